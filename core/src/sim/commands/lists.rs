//! The list commands (Redis `t_list.c`): pushes and pops at both ends, indexed access, LINSERT,
//! LREM, LTRIM, LPOS, LMOVE/RPOPLPUSH, LMPOP, and the blocking BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
//! BLMPOP. Argument checks happen in Redis's order (so the same bad command gets the same error),
//! replies and keyspace events are Redis's, and an emptied list is deleted with a `del` event.
//!
//! Blocking: with no data a blocking command returns [`CmdError::Block`]; the dispatcher re-runs
//! it when one of its keys is written, and then the handler serves only from the key that became
//! ready ([`blocking::serving_key`]) and ignores a key of another type, as Redis does.

use crate::cmd;
use crate::resp::Value;
use crate::sim::blocking;
use crate::sim::bytes::SmallBytes;
use crate::sim::command::{arg_i64, arg_timeout, is_kw, BlockOn, CmdError, CmdResult, Command, Ctx};
use crate::sim::errors;
use crate::sim::float::parse_i64;

/// The list commands.
pub static COMMANDS: &[Command] = &[
    cmd!("lpush", -3, "write denyoom fast", 1, 1, 1, lpush, "list", "Prepend one or multiple elements to a list"),
    cmd!("rpush", -3, "write denyoom fast", 1, 1, 1, rpush, "list", "Append one or multiple elements to a list"),
    cmd!(
        "lpushx",
        -3,
        "write denyoom fast",
        1,
        1,
        1,
        lpushx,
        "list",
        "Prepend an element to a list, only if the list exists"
    ),
    cmd!(
        "rpushx",
        -3,
        "write denyoom fast",
        1,
        1,
        1,
        rpushx,
        "list",
        "Append an element to a list, only if the list exists"
    ),
    cmd!("lpop", -2, "write fast", 1, 1, 1, lpop, "list", "Remove and get the first elements in a list"),
    cmd!("rpop", -2, "write fast", 1, 1, 1, rpop, "list", "Remove and get the last elements in a list"),
    cmd!("llen", 2, "readonly fast", 1, 1, 1, llen, "list", "Get the length of a list"),
    cmd!("lrange", 4, "readonly", 1, 1, 1, lrange, "list", "Get a range of elements from a list"),
    cmd!("lindex", 3, "readonly", 1, 1, 1, lindex, "list", "Get an element from a list by its index"),
    cmd!("lset", 4, "write denyoom", 1, 1, 1, lset, "list", "Set the value of an element in a list by its index"),
    cmd!(
        "linsert",
        5,
        "write denyoom",
        1,
        1,
        1,
        linsert,
        "list",
        "Insert an element before or after another element in a list"
    ),
    cmd!("lrem", 4, "write", 1, 1, 1, lrem, "list", "Remove elements from a list"),
    cmd!("ltrim", 4, "write", 1, 1, 1, ltrim, "list", "Trim a list to the specified range"),
    cmd!("lpos", -3, "readonly", 1, 1, 1, lpos, "list", "Return the index of matching elements on a list"),
    cmd!(
        "lmove",
        5,
        "write denyoom",
        1,
        2,
        1,
        lmove,
        "list",
        "Pop an element from a list, push it to another list and return it"
    ),
    cmd!(
        "rpoplpush",
        3,
        "write denyoom",
        1,
        2,
        1,
        rpoplpush,
        "list",
        "Remove the last element in a list, prepend it to another list and return it"
    ),
    cmd!("lmpop", -4, "write movablekeys", 0, 0, 0, lmpop, "list", "Pop elements from a list"),
    cmd!(
        "blpop",
        -3,
        "write noscript blocking",
        1,
        -2,
        1,
        blpop,
        "list",
        "Remove and get the first element in a list, or block until one is available"
    ),
    cmd!(
        "brpop",
        -3,
        "write noscript blocking",
        1,
        -2,
        1,
        brpop,
        "list",
        "Remove and get the last element in a list, or block until one is available"
    ),
    cmd!(
        "blmove",
        6,
        "write denyoom noscript blocking",
        1,
        2,
        1,
        blmove,
        "list",
        "Pop an element from a list, push it to another list and return it; or block until one is available"
    ),
    cmd!(
        "brpoplpush",
        4,
        "write denyoom noscript blocking",
        1,
        2,
        1,
        brpoplpush,
        "list",
        "Pop an element from a list, push it to another list and return it; or block until one is available"
    ),
    cmd!(
        "blmpop",
        -5,
        "write blocking movablekeys",
        0,
        0,
        0,
        blmpop,
        "list",
        "Pop elements from a list, or block until one is available"
    ),
];

/// Keyspace event of a push at the head (`left`) or tail.
fn push_event(left: bool) -> &'static str {
    if left {
        "lpush"
    } else {
        "rpush"
    }
}

/// Keyspace event of a pop at the head (`left`) or tail.
fn pop_event(left: bool) -> &'static str {
    if left {
        "lpop"
    } else {
        "rpop"
    }
}

/// `LEFT` → true, `RIGHT` → false, anything else a syntax error.
fn arg_side(b: &[u8]) -> Result<bool, CmdError> {
    if is_kw(b, "left") {
        Ok(true)
    } else if is_kw(b, "right") {
        Ok(false)
    } else {
        Err(errors::syntax())
    }
}

/// A Redis index (negative counts from the tail) into a list of `len`, if in range.
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if index < 0 { len + index } else { index };
    (0..len).contains(&i).then_some(i as usize)
}

/// LRANGE/LTRIM's normalisation of `start..=end`: None when the range is empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// Replies `immediate` when the command cannot wait (inside MULTI or a script), otherwise asks
/// the dispatcher to block on `keys`. A list-blocked client that times out always gets a null
/// array in Redis 7.0 (replyToBlockedClientTimedOut), even BLMOVE, whose MULTI reply is a null bulk.
fn block_or(ctx: &Ctx, keys: &[Vec<u8>], deadline_ms: Option<u64>, immediate: Value) -> CmdResult {
    if ctx.no_block {
        return Ok(immediate);
    }
    Err(CmdError::Block(Box::new(BlockOn { keys: keys.to_vec(), deadline_ms, on_timeout: Value::NilArray })))
}

/// Pops up to `count` elements from the list `key`, signals the pop, and deletes the key when
/// emptied (Redis's listElementsRemoved). None when the key does not exist.
fn pop_elements(ctx: &mut Ctx, key: &[u8], left: bool, count: usize) -> Result<Option<Vec<SmallBytes>>, CmdError> {
    let Some(list) = ctx.get_list(key)? else { return Ok(None) };
    let n = count.min(list.len());
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        if let Some(v) = list.pop(left) {
            out.push(v);
        }
    }
    let emptied = list.is_empty();
    ctx.written(key, 'l', pop_event(left));
    ctx.st.dirty += n.saturating_sub(1) as u64;
    if emptied {
        ctx.delete(key);
        ctx.notify('g', "del", key);
    }
    Ok(Some(out))
}

/// Elements as a bulk array.
fn bulk_array(items: Vec<SmallBytes>) -> Value {
    Value::Array(items.into_iter().map(|v| Value::Bulk(v.to_vec())).collect())
}

fn push_generic(ctx: &mut Ctx, argv: &[Vec<u8>], left: bool, only_existing: bool) -> CmdResult {
    let key = &argv[1];
    let list = if only_existing {
        match ctx.get_list(key)? {
            Some(l) => l,
            None => return Ok(Value::Int(0)),
        }
    } else {
        ctx.list_or_create(key)?
    };
    for v in &argv[2..] {
        list.push(left, SmallBytes::new(v));
    }
    let len = list.len();
    ctx.written(key, 'l', push_event(left));
    ctx.st.dirty += (argv.len() - 3) as u64;
    Ok(Value::Int(len as i64))
}

fn lpush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    push_generic(ctx, argv, true, false)
}

fn rpush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    push_generic(ctx, argv, false, false)
}

fn lpushx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    push_generic(ctx, argv, true, true)
}

fn rpushx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    push_generic(ctx, argv, false, true)
}

/// LPOP/RPOP key \[count\].
fn pop_generic(ctx: &mut Ctx, argv: &[Vec<u8>], left: bool) -> CmdResult {
    if argv.len() > 3 {
        return Err(errors::wrong_arity(if left { "lpop" } else { "rpop" }));
    }
    let count = match argv.get(2) {
        Some(c) => Some(parse_i64(c).filter(|&n| n >= 0).ok_or_else(errors::not_positive)?),
        None => None,
    };
    let key = &argv[1];
    let n = match count {
        None => 1,
        Some(0) => {
            return Ok(if ctx.get_list(key)?.is_some() { Value::Array(Vec::new()) } else { Value::NilArray });
        }
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
    };
    let Some(popped) = pop_elements(ctx, key, left, n)? else {
        return Ok(if count.is_some() { Value::NilArray } else { Value::Nil });
    };
    Ok(match count {
        None => popped.into_iter().next().map_or(Value::Nil, |v| Value::Bulk(v.to_vec())),
        Some(_) => bulk_array(popped),
    })
}

fn lpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    pop_generic(ctx, argv, true)
}

fn rpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    pop_generic(ctx, argv, false)
}

fn llen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(ctx.get_list(&argv[1])?.map_or(0, |l| l.len() as i64)))
}

fn lrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let start = arg_i64(&argv[2])?;
    let end = arg_i64(&argv[3])?;
    let Some(list) = ctx.get_list(&argv[1])? else { return Ok(Value::Array(Vec::new())) };
    let items = match clamp_range(start, end, list.len()) {
        Some((s, e)) => list.range(s, e).map(|v| Value::Bulk(v.to_vec())).collect(),
        None => Vec::new(),
    };
    Ok(Value::Array(items))
}

fn lindex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let index = arg_i64(&argv[2]);
    let Some(list) = ctx.get_list(&argv[1])? else { return Ok(Value::Nil) };
    let index = index?;
    Ok(resolve_index(index, list.len()).and_then(|i| list.get(i)).map_or(Value::Nil, |v| Value::Bulk(v.to_vec())))
}

fn lset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let index = arg_i64(&argv[2]);
    let key = &argv[1];
    let Some(list) = ctx.get_list(key)? else { return Err(errors::no_such_key()) };
    let index = index?;
    let Some(i) = resolve_index(index, list.len()) else { return Err(errors::index_out_of_range()) };
    list.set(i, SmallBytes::new(&argv[3]));
    ctx.written(key, 'l', "lset");
    Ok(Value::ok())
}

fn linsert(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let after = if is_kw(&argv[2], "after") {
        true
    } else if is_kw(&argv[2], "before") {
        false
    } else {
        return Err(errors::syntax());
    };
    let key = &argv[1];
    let Some(list) = ctx.get_list(key)? else { return Ok(Value::Int(0)) };
    let Some(pos) = list.position(&argv[3]) else { return Ok(Value::Int(-1)) };
    list.insert(pos + usize::from(after), SmallBytes::new(&argv[4]));
    let len = list.len();
    ctx.written(key, 'l', "linsert");
    Ok(Value::Int(len as i64))
}

fn lrem(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let count = arg_i64(&argv[2])?;
    let key = &argv[1];
    let Some(list) = ctx.get_list(key)? else { return Ok(Value::Int(0)) };
    let removed = list.remove_matching(&argv[3], count);
    if removed > 0 {
        ctx.written(key, 'l', "lrem");
        ctx.st.dirty += removed as u64 - 1;
        ctx.delete_if_empty(key);
    }
    Ok(Value::Int(removed as i64))
}

fn ltrim(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let start = arg_i64(&argv[2])?;
    let end = arg_i64(&argv[3])?;
    let key = &argv[1];
    let Some(list) = ctx.get_list(key)? else { return Ok(Value::ok()) };
    let len = list.len();
    let (front, back) = match clamp_range(start, end, len) {
        Some((s, e)) => (s, len - e - 1),
        None => (len, 0),
    };
    list.trim(front, back);
    ctx.written(key, 'l', "ltrim");
    // Redis counts the removed elements as changes (possibly none).
    ctx.st.dirty = ctx.st.dirty - 1 + (front + back).min(len) as u64;
    ctx.delete_if_empty(key);
    Ok(Value::ok())
}

/// LPOS options after parsing.
struct LposOpts {
    /// Which match to start from; negative searches from the tail (i64::MIN behaves like
    /// Redis 7.0's unchecked negation: every match qualifies).
    rank: i64,
    /// COUNT (0 = all matches); None without the option.
    count: Option<u64>,
    /// MAXLEN: compare at most this many elements (0 = all).
    maxlen: u64,
}

fn parse_lpos(argv: &[Vec<u8>]) -> Result<LposOpts, CmdError> {
    let mut o = LposOpts { rank: 1, count: None, maxlen: 0 };
    let mut j = 3;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        let opt = &argv[j];
        if is_kw(opt, "rank") && more {
            j += 1;
            o.rank = arg_i64(&argv[j])?;
            if o.rank == 0 {
                return Err(CmdError::msg(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if is_kw(opt, "count") && more {
            j += 1;
            let n = parse_i64(&argv[j]).filter(|&n| n >= 0);
            o.count = Some(n.ok_or_else(|| CmdError::msg("ERR COUNT can't be negative"))? as u64);
        } else if is_kw(opt, "maxlen") && more {
            j += 1;
            let n = parse_i64(&argv[j]).filter(|&n| n >= 0);
            o.maxlen = n.ok_or_else(|| CmdError::msg("ERR MAXLEN can't be negative"))? as u64;
        } else {
            return Err(errors::syntax());
        }
        j += 1;
    }
    Ok(o)
}

fn lpos(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let o = parse_lpos(argv)?;
    let Some(list) = ctx.get_list(&argv[1])? else {
        return Ok(if o.count.is_some() { Value::Array(Vec::new()) } else { Value::Nil });
    };
    let from_tail = o.rank < 0;
    let rank = if from_tail { o.rank.wrapping_neg() } else { o.rank };
    let len = list.len();
    let limit = if o.maxlen == 0 { len } else { usize::try_from(o.maxlen).unwrap_or(usize::MAX).min(len) };
    let elem = argv[2].as_slice();
    let mut found = Vec::new();
    let mut matches: i64 = 0;
    for k in 0..limit {
        let pos = if from_tail { len - 1 - k } else { k };
        if list.get(pos).map(|e| e.as_slice()) != Some(elem) {
            continue;
        }
        matches += 1;
        if matches < rank {
            continue;
        }
        match o.count {
            None => return Ok(Value::Int(pos as i64)),
            Some(c) => {
                found.push(Value::Int(pos as i64));
                if c != 0 && found.len() as u64 >= c {
                    break;
                }
            }
        }
    }
    Ok(if o.count.is_some() { Value::Array(found) } else { Value::Nil })
}

/// Moves one element from the list `src` to `dst` (LMOVE, RPOPLPUSH and the blocking forms
/// when data is there). None when `src` does not exist. WRONGTYPE for a non-list `dst`.
fn move_element(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from_left: bool,
    to_left: bool,
) -> Result<Option<Vec<u8>>, CmdError> {
    if ctx.get_list(src)?.is_none() {
        return Ok(None);
    }
    if src != dst {
        ctx.get_list(dst)?;
    }
    let Some(v) = ctx.get_list(src)?.and_then(|l| l.pop(from_left)) else { return Ok(None) };
    let out = v.to_vec();
    ctx.list_or_create(dst)?.push(to_left, v);
    ctx.written(dst, 'l', push_event(to_left));
    ctx.written(src, 'l', pop_event(from_left));
    ctx.st.dirty -= 1; // one change for the move, as Redis counts it
    ctx.delete_if_empty(src);
    Ok(Some(out))
}

fn lmove(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let from_left = arg_side(&argv[3])?;
    let to_left = arg_side(&argv[4])?;
    Ok(move_element(ctx, &argv[1], &argv[2], from_left, to_left)?.map_or(Value::Nil, Value::Bulk))
}

fn rpoplpush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(move_element(ctx, &argv[1], &argv[2], false, true)?.map_or(Value::Nil, Value::Bulk))
}

/// Pops from the first non-empty list among `keys` (only the ready key when re-run after a
/// signal). `count` None: one element, replied `[key, element]` (BLPOP); Some: up to `count`,
/// replied `[key, [elements]]` (LMPOP). Ok(None) when no list has data.
fn pop_first(ctx: &mut Ctx, keys: &[Vec<u8>], left: bool, count: Option<usize>) -> Result<Option<Value>, CmdError> {
    let ready = blocking::serving_key(ctx);
    for key in keys {
        if ready.as_ref().is_some_and(|r| r.as_slice() != key.as_slice()) {
            continue;
        }
        match ctx.get_list(key) {
            Ok(Some(l)) if !l.is_empty() => {}
            Ok(_) => continue,
            // A key that became another type does not serve a blocked client (it stays blocked).
            Err(_) if ready.is_some() => continue,
            Err(e) => return Err(e),
        }
        let popped = pop_elements(ctx, key, left, count.unwrap_or(1))?.unwrap_or_default();
        let k = Value::Bulk(key.clone());
        return Ok(Some(match count {
            Some(_) => Value::Array(vec![k, bulk_array(popped)]),
            None => Value::Array(vec![k, popped.into_iter().next().map_or(Value::Nil, |v| Value::Bulk(v.to_vec()))]),
        }));
    }
    Ok(None)
}

/// BLPOP/BRPOP key \[key …\] timeout.
fn blocking_pop(ctx: &mut Ctx, argv: &[Vec<u8>], left: bool) -> CmdResult {
    let last = argv.len() - 1;
    let deadline = arg_timeout(&argv[last], ctx.now_ms)?;
    let keys = &argv[1..last];
    match pop_first(ctx, keys, left, None)? {
        Some(v) => Ok(v),
        None => block_or(ctx, keys, deadline, Value::NilArray),
    }
}

fn blpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    blocking_pop(ctx, argv, true)
}

fn brpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    blocking_pop(ctx, argv, false)
}

/// BLMOVE/BRPOPLPUSH once the sides and deadline are parsed.
fn blocking_move(ctx: &mut Ctx, argv: &[Vec<u8>], from_left: bool, to_left: bool, deadline: Option<u64>) -> CmdResult {
    let (src, dst) = (&argv[1], &argv[2]);
    let serving = blocking::serving_key(ctx).is_some();
    match ctx.get_list(src) {
        Ok(Some(_)) => return Ok(move_element(ctx, src, dst, from_left, to_left)?.map_or(Value::Nil, Value::Bulk)),
        Ok(None) => {}
        Err(_) if serving => {}
        Err(e) => return Err(e),
    }
    block_or(ctx, std::slice::from_ref(src), deadline, Value::Nil)
}

fn blmove(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let from_left = arg_side(&argv[3])?;
    let to_left = arg_side(&argv[4])?;
    let deadline = arg_timeout(&argv[5], ctx.now_ms)?;
    blocking_move(ctx, argv, from_left, to_left, deadline)
}

fn brpoplpush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let deadline = arg_timeout(&argv[3], ctx.now_ms)?;
    blocking_move(ctx, argv, false, true, deadline)
}

/// Parsed `numkeys key … LEFT|RIGHT [COUNT n]` of LMPOP/BLMPOP.
struct MpopArgs<'a> {
    keys: &'a [Vec<u8>],
    left: bool,
    count: usize,
}

/// Parses LMPOP/BLMPOP arguments starting at `numkeys` in `argv[at]`, in Redis's order.
fn parse_mpop(argv: &[Vec<u8>], at: usize) -> Result<MpopArgs<'_>, CmdError> {
    let numkeys =
        parse_i64(&argv[at]).filter(|&n| n > 0).ok_or_else(|| CmdError::msg("ERR numkeys should be greater than 0"))?;
    let where_at = usize::try_from(numkeys).ok().and_then(|n| n.checked_add(at + 1)).filter(|&w| w < argv.len());
    let Some(where_at) = where_at else { return Err(errors::syntax()) };
    let left = arg_side(&argv[where_at])?;
    let mut count = None;
    let mut j = where_at + 1;
    while j < argv.len() {
        if count.is_none() && is_kw(&argv[j], "count") && j + 1 < argv.len() {
            j += 1;
            let n = parse_i64(&argv[j]).filter(|&n| n > 0);
            count = Some(n.ok_or_else(|| CmdError::msg("ERR count should be greater than 0"))?);
        } else {
            return Err(errors::syntax());
        }
        j += 1;
    }
    let count = usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX);
    Ok(MpopArgs { keys: &argv[at + 1..where_at], left, count })
}

fn lmpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let a = parse_mpop(argv, 1)?;
    Ok(pop_first(ctx, a.keys, a.left, Some(a.count))?.unwrap_or(Value::NilArray))
}

fn blmpop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let a = parse_mpop(argv, 2)?;
    let deadline = arg_timeout(&argv[1], ctx.now_ms)?;
    match pop_first(ctx, a.keys, a.left, Some(a.count))? {
        Some(v) => Ok(v),
        None => block_or(ctx, a.keys, deadline, Value::NilArray),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::blocking::timeout_ms;
    use crate::sim::client::Client;
    use crate::sim::config::Config;
    use crate::sim::dispatch;
    use crate::sim::state::State;

    const NOW_MS: u64 = 1_000_000;

    fn argv(args: &[&str]) -> Vec<Vec<u8>> {
        args.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    /// Runs one command on a standalone state; `nested` runs it as EXEC does (no blocking).
    fn run(st: &mut State, cl: &mut Client, nested: bool, args: &[&str]) -> CmdResult {
        let mut ctx = Ctx { st, cl, now_ms: NOW_MS, now_us: NOW_MS * 1000, no_block: false, unblocking: false };
        if nested {
            Ok(dispatch::call_nested(&mut ctx, &argv(args)))
        } else {
            dispatch::call_handler(&mut ctx, &argv(args))
        }
    }

    fn setup() -> (State, Client) {
        (State::new(Config::default(), NOW_MS), Client::new(1, NOW_MS))
    }

    #[test]
    fn inside_multi_blocking_commands_answer_at_once() {
        let (mut st, mut cl) = setup();
        let cases: &[(&[&str], Value)] = &[
            (&["BLPOP", "a", "b", "0"], Value::NilArray),
            (&["BRPOP", "a", "0"], Value::NilArray),
            (&["BLMOVE", "a", "b", "LEFT", "RIGHT", "0"], Value::Nil),
            (&["BRPOPLPUSH", "a", "b", "5"], Value::Nil),
            (&["BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "3"], Value::NilArray),
        ];
        for (args, want) in cases {
            assert_eq!(run(&mut st, &mut cl, true, args).ok().as_ref(), Some(want), "{args:?}");
        }
        run(&mut st, &mut cl, false, &["RPUSH", "b", "x", "y"]).ok();
        let got = run(&mut st, &mut cl, true, &["BLPOP", "a", "b", "0"]).ok();
        assert_eq!(got, Some(Value::Array(vec![Value::bulk("b"), Value::bulk("x")])));
        let got = run(&mut st, &mut cl, true, &["BLMOVE", "b", "c", "LEFT", "RIGHT", "0"]).ok();
        assert_eq!(got, Some(Value::bulk("y")));
    }

    #[test]
    fn without_data_the_handler_asks_to_block() {
        let (mut st, mut cl) = setup();
        let cases: &[(&[&str], &[&str], Option<u64>)] = &[
            (&["BLPOP", "a", "b", "1.5"], &["a", "b"], Some(NOW_MS + 1500)),
            (&["BRPOP", "a", "0"], &["a"], None),
            (&["BLMOVE", "s", "d", "LEFT", "RIGHT", "0.25"], &["s"], Some(NOW_MS + 250)),
            (&["BRPOPLPUSH", "s", "d", "0"], &["s"], None),
            (&["BLMPOP", "2", "2", "x", "y", "RIGHT"], &["x", "y"], Some(NOW_MS + 2000)),
        ];
        for (args, keys, deadline) in cases {
            match run(&mut st, &mut cl, false, args) {
                Err(CmdError::Block(b)) => {
                    assert_eq!(b.keys, argv(keys), "{args:?}");
                    assert_eq!(b.deadline_ms, *deadline, "{args:?}");
                    assert_eq!(b.on_timeout, Value::NilArray, "{args:?}");
                }
                other => panic!("{args:?} should block, got {other:?}"),
            }
        }
    }

    #[test]
    fn timeouts_parse_like_redis() {
        assert_eq!(timeout_ms(b"0"), Ok(0));
        assert_eq!(timeout_ms(b"1.5"), Ok(1500));
        assert_eq!(timeout_ms(b"0.0019"), Ok(1));
        assert_eq!(timeout_ms(b"0.0004"), Ok(0));
        assert_eq!(timeout_ms(b"-0.0004"), Ok(0));
        assert_eq!(timeout_ms(b"+2"), Ok(2000));
        assert_eq!(timeout_ms(b".5"), Ok(500));
        assert_eq!(timeout_ms(b"5."), Ok(5000));
        assert_eq!(timeout_ms(b"1e3"), Ok(1_000_000));
        assert_eq!(timeout_ms(b"0x10"), Ok(16_000));
        assert_eq!(timeout_ms(b"0x1p-3"), Ok(125));
        assert_eq!(timeout_ms(b"0X.8"), Ok(500));
        assert_eq!(timeout_ms(b"9223372036854775"), Ok(9_223_372_036_854_775_000));
        for bad in
            [&b""[..], b"abc", b" 1", b"1 ", b"nan", b"-nan", b"0x", b"0x.", b"1e", b"+-1", b"--1", b"1e5000", b"1\0"]
        {
            assert_eq!(timeout_ms(bad), Err(true), "{:?}", String::from_utf8_lossy(bad));
        }
        for negative in [&b"-1"[..], b"-0.5", b"inf", b"-inf", b"Infinity", b"1e16", b"9223372036854776", b"1e400"] {
            assert_eq!(timeout_ms(negative), Err(false), "{:?}", String::from_utf8_lossy(negative));
        }
        assert_eq!(timeout_ms(&[b'1'; 5200]), Err(true));
        assert_eq!(arg_timeout(b"9223372036854775", u64::MAX - 5).ok(), Some(Some(u64::MAX)));
    }

    #[test]
    fn lpos_rank_of_i64_min_matches_the_first_from_the_tail() {
        let (mut st, mut cl) = setup();
        run(&mut st, &mut cl, false, &["RPUSH", "l", "a", "b", "a"]).ok();
        let got = run(&mut st, &mut cl, false, &["LPOS", "l", "a", "RANK", "-9223372036854775808"]).ok();
        assert_eq!(got, Some(Value::Int(2)));
    }

    #[test]
    fn memory_estimate_follows_contents() {
        let (mut st, mut cl) = setup();
        run(&mut st, &mut cl, false, &["RPUSH", "l", "a"]).ok();
        let mut ctx = Ctx { st: &mut st, cl: &mut cl, now_ms: NOW_MS, now_us: 0, no_block: false, unblocking: false };
        let small = ctx.get_list(b"l").ok().flatten().map(|l| l.mem_usage()).unwrap_or(0);
        let big = vec![b'x'; 20_000];
        let mut args = vec![b"RPUSH".to_vec(), b"l".to_vec()];
        args.extend(std::iter::repeat_n(big, 3));
        dispatch::call_handler(&mut ctx, &args).ok();
        let large = ctx.get_list(b"l").ok().flatten().map(|l| l.mem_usage()).unwrap_or(0);
        assert!(large > small + 60_000, "{small} -> {large}");
        dispatch::call_handler(&mut ctx, &argv(&["LTRIM", "l", "0", "0"])).ok();
        let back = ctx.get_list(b"l").ok().flatten().map(|l| l.mem_usage()).unwrap_or(0);
        assert_eq!(back, small);
    }
}
