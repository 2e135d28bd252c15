//! Commands of the sets family: SADD & co., SPOP/SRANDMEMBER, SMOVE, the algebra commands
//! (SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms) and SSCAN, with Redis 7.0's replies
//! and error texts.
//!
//! Reply order follows Redis where it is deterministic: the algebra commands build their result
//! the way Redis does (SINTER walks the smallest set, SUNION/SDIFF fill a fresh intset that turns
//! into a hashtable on the first non-integer), so all-integer results come back sorted exactly
//! like Redis's.

use super::hashes::{check_reply_size, parse_cursor, parse_rand_count, parse_scan_opts, pick_distinct, scan_reply};
use crate::resp::Value;
use crate::sim::command::{arg_i64, arg_u64, is_kw, CmdError, CmdResult, Command, Ctx};
use crate::sim::db::RValue;
use crate::sim::errors;
use crate::sim::types::set::{Member, Set};

/// The sets commands.
pub static COMMANDS: &[Command] = &[
    crate::cmd!("sadd", -3, "write denyoom fast", 1, 1, 1, sadd, "set", "Add members to a set"),
    crate::cmd!("srem", -3, "write fast", 1, 1, 1, srem, "set", "Remove members from a set"),
    crate::cmd!("smembers", 2, "readonly", 1, 1, 1, smembers, "set", "Get all the members"),
    crate::cmd!("sismember", 3, "readonly fast", 1, 1, 1, sismember, "set", "Is a value a member"),
    crate::cmd!("smismember", -3, "readonly fast", 1, 1, 1, smismember, "set", "Are values members"),
    crate::cmd!("scard", 2, "readonly fast", 1, 1, 1, scard, "set", "Get the number of members"),
    crate::cmd!("spop", -2, "write fast", 1, 1, 1, spop, "set", "Remove and return random members"),
    crate::cmd!("srandmember", -2, "readonly", 1, 1, 1, srandmember, "set", "Get random members"),
    crate::cmd!("smove", 4, "write fast", 1, 2, 1, smove, "set", "Move a member to another set"),
    crate::cmd!("sinter", -2, "readonly", 1, -1, 1, sinter, "set", "Intersect sets"),
    crate::cmd!("sintercard", -3, "readonly movablekeys", 0, 0, 0, sintercard, "set", "Intersection size"),
    crate::cmd!("sinterstore", -3, "write denyoom", 1, -1, 1, sinterstore, "set", "Store an intersection"),
    crate::cmd!("sunion", -2, "readonly", 1, -1, 1, sunion, "set", "Union of sets"),
    crate::cmd!("sunionstore", -3, "write denyoom", 1, -1, 1, sunionstore, "set", "Store a union"),
    crate::cmd!("sdiff", -2, "readonly", 1, -1, 1, sdiff, "set", "Difference of sets"),
    crate::cmd!("sdiffstore", -3, "write denyoom", 1, -1, 1, sdiffstore, "set", "Store a difference"),
    crate::cmd!("sscan", -3, "readonly", 1, 1, 1, sscan, "set", "Incrementally iterate members"),
];

fn max_intset(ctx: &Ctx) -> usize {
    ctx.st.config.set_max_intset_entries
}

fn members_reply<'a>(items: impl Iterator<Item = Member<'a>>) -> Value {
    Value::Set(items.map(Member::to_value).collect())
}

fn sadd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let max = max_intset(ctx);
    let s = ctx.set_or_create(&argv[1])?;
    let added = argv[2..].iter().filter(|m| s.insert(m, max)).count();
    if added > 0 {
        ctx.written(&argv[1], 's', "sadd");
    }
    Ok(Value::Int(added as i64))
}

fn srem(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let Some(s) = ctx.get_set(&argv[1])? else { return Ok(Value::Int(0)) };
    let mut removed = 0;
    for m in &argv[2..] {
        if s.remove(m) {
            removed += 1;
            if s.is_empty() {
                break;
            }
        }
    }
    if removed > 0 {
        ctx.written(&argv[1], 's', "srem");
        ctx.delete_if_empty(&argv[1]);
    }
    Ok(Value::Int(removed))
}

fn smembers(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(members_reply(ctx.get_set(&argv[1])?.as_deref().into_iter().flat_map(Set::iter)))
}

fn sismember(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(ctx.get_set(&argv[1])?.is_some_and(|s| s.contains(&argv[2])) as i64))
}

fn smismember(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let s = ctx.get_set(&argv[1])?;
    let s = s.as_deref();
    Ok(Value::Array(argv[2..].iter().map(|m| Value::Int(s.is_some_and(|s| s.contains(m)) as i64)).collect()))
}

fn scard(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(ctx.get_set(&argv[1])?.map_or(0, |s| s.len()) as i64))
}

fn spop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    match argv.len() {
        2 => {
            let Some(s) = ctx.get_set(&argv[1])? else { return Ok(Value::Nil) };
            let n = s.len();
            let i = ctx.st.random_below(n);
            let popped = ctx.get_set(&argv[1])?.and_then(|s| s.take_index(i));
            ctx.written(&argv[1], 's', "spop");
            ctx.delete_if_empty(&argv[1]);
            Ok(popped.map(Value::Bulk).unwrap_or(Value::Nil))
        }
        3 => spop_count(ctx, argv),
        _ => Err(errors::syntax()),
    }
}

fn spop_count(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let count = arg_i64(&argv[2]).ok().filter(|c| *c >= 0).ok_or_else(errors::not_positive)? as u64;
    let max = max_intset(ctx);
    let Some(s) = ctx.get_set(&argv[1])? else { return Ok(Value::Set(Vec::new())) };
    if count == 0 {
        return Ok(Value::Set(Vec::new()));
    }
    let size = s.len();
    if count >= size as u64 {
        // Redis answers with SUNION of the set (a fresh intset when possible), then deletes it.
        let all = union_of(&[Some(&*s)], max);
        ctx.written(&argv[1], 's', "spop");
        ctx.delete(&argv[1]);
        ctx.notify('g', "del", &argv[1]);
        return Ok(members_reply(all.iter()));
    }
    let picks = pick_distinct(ctx.st, size, count as usize);
    let Some(s) = ctx.get_set(&argv[1])? else { return Ok(Value::Set(Vec::new())) };
    // Descending, so a table's swap-remove only moves members that were not picked.
    let mut out: Vec<Value> = picks.iter().rev().filter_map(|&i| s.take_index(i)).map(Value::Bulk).collect();
    out.reverse();
    ctx.written(&argv[1], 's', "spop");
    Ok(Value::Set(out))
}

fn srandmember(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    match argv.len() {
        2 => {
            let Some(s) = ctx.get_set(&argv[1])? else { return Ok(Value::Nil) };
            let n = s.len();
            let i = ctx.st.random_below(n);
            let s = ctx.get_set(&argv[1])?;
            Ok(s.and_then(|s| s.get_index(i)).map(Member::to_value).unwrap_or(Value::Nil))
        }
        3 => {
            let count = parse_rand_count(&argv[2])?;
            let Some(s) = ctx.get_set(&argv[1])? else { return Ok(Value::Array(Vec::new())) };
            let size = s.len();
            let picks: Vec<usize> = if count < 0 {
                let n = check_reply_size(count.unsigned_abs())?;
                (0..n).map(|_| ctx.st.random_below(size)).collect()
            } else {
                pick_distinct(ctx.st, size, count as usize)
            };
            let Some(s) = ctx.get_set(&argv[1])? else { return Ok(Value::Array(Vec::new())) };
            Ok(Value::Array(picks.into_iter().filter_map(|i| s.get_index(i)).map(Member::to_value).collect()))
        }
        _ => Err(errors::syntax()),
    }
}

fn smove(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (src, dst, m) = (&argv[1], &argv[2], &argv[3]);
    if ctx.get_set(src)?.is_none() {
        return Ok(Value::Int(0));
    }
    ctx.get_set(dst)?;
    if src == dst {
        return Ok(Value::Int(ctx.get_set(src)?.is_some_and(|s| s.contains(m)) as i64));
    }
    if !ctx.get_set(src)?.is_some_and(|s| s.remove(m)) {
        return Ok(Value::Int(0));
    }
    ctx.written(src, 's', "srem");
    ctx.delete_if_empty(src);
    let max = max_intset(ctx);
    if ctx.set_or_create(dst)?.insert(m, max) {
        ctx.written(dst, 's', "sadd");
    }
    Ok(Value::Int(1))
}

/// Runs `f` over the sets under `keys` (None for a missing key) after expiring them lazily;
/// WRONGTYPE if any key holds another type.
fn with_sets<R>(ctx: &mut Ctx, keys: &[Vec<u8>], f: impl FnOnce(&[Option<&Set>]) -> R) -> Result<R, CmdError> {
    for k in keys {
        ctx.lookup(k);
    }
    let db = &ctx.st.dbs[ctx.cl.db];
    let mut sets = Vec::with_capacity(keys.len());
    for k in keys {
        match db.keys.get(k.as_slice()).map(|e| &e.value) {
            None => sets.push(None),
            Some(RValue::Set(s)) => sets.push(Some(&**s)),
            Some(_) => return Err(errors::wrong_type()),
        }
    }
    Ok(f(&sets))
}

/// The smallest set first (stable, like glibc's merge-sort qsort), or None if any is missing.
fn by_size<'a>(sets: &[Option<&'a Set>]) -> Option<Vec<&'a Set>> {
    let mut v: Vec<&Set> = sets.iter().copied().collect::<Option<_>>()?;
    v.sort_by_key(|s| s.len());
    Some(v)
}

/// Walks the smallest set, calling `f` with each member all the others contain, until `f`
/// returns false.
fn intersect(sets: &[Option<&Set>], mut f: impl FnMut(Member) -> bool) {
    let Some(sorted) = by_size(sets) else { return };
    let Some((first, rest)) = sorted.split_first() else { return };
    for m in first.iter() {
        if rest.iter().all(|s| std::ptr::eq(*s, *first) || s.contains_member(m)) && !f(m) {
            break;
        }
    }
}

fn union_of(sets: &[Option<&Set>], max: usize) -> Set {
    let mut out = Set::default();
    for s in sets.iter().flatten() {
        for m in s.iter() {
            out.insert_member(m, max);
        }
    }
    out
}

fn diff_of(sets: &[Option<&Set>], max: usize) -> Set {
    let mut out = Set::default();
    let Some(Some(first)) = sets.first() else { return out };
    for m in first.iter() {
        if !sets[1..].iter().flatten().any(|s| s.contains_member(m)) {
            out.insert_member(m, max);
        }
    }
    out
}

fn sinter(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    with_sets(ctx, &argv[1..], |sets| {
        let mut out = Vec::new();
        intersect(sets, |m| {
            out.push(m.to_value());
            true
        });
        Value::Set(out)
    })
}

fn sintercard(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let numkeys_err = || CmdError::msg("ERR numkeys should be greater than 0");
    let numkeys = arg_i64(&argv[1]).map_err(|_| numkeys_err())?;
    if numkeys < 1 {
        return Err(numkeys_err());
    }
    if numkeys > (argv.len() - 2) as i64 {
        return Err(CmdError::msg("ERR Number of keys can't be greater than number of args"));
    }
    let end = 2 + numkeys as usize;
    let mut limit = 0u64;
    let mut i = end;
    while i < argv.len() {
        if is_kw(&argv[i], "limit") && i + 1 < argv.len() {
            limit = arg_u64(&argv[i + 1]).map_err(|_| CmdError::msg("ERR LIMIT can't be negative"))?;
            i += 2;
        } else {
            return Err(errors::syntax());
        }
    }
    with_sets(ctx, &argv[2..end], |sets| {
        let mut n = 0u64;
        intersect(sets, |_| {
            n += 1;
            limit == 0 || n < limit
        });
        Value::Int(n as i64)
    })
}

/// Stores `result` under `dst` (deleting `dst` when empty) and replies with its size.
fn store(ctx: &mut Ctx, dst: &[u8], result: Set, event: &str) -> CmdResult {
    let n = result.len() as i64;
    if result.is_empty() {
        if ctx.delete(dst) {
            ctx.written(dst, 'g', "del");
        }
    } else {
        ctx.set_value(dst, RValue::Set(Box::new(result)));
        ctx.written(dst, 's', event);
    }
    Ok(Value::Int(n))
}

fn sinterstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let max = max_intset(ctx);
    let result = with_sets(ctx, &argv[2..], |sets| {
        let mut out = Set::default();
        intersect(sets, |m| {
            out.insert_member(m, max);
            true
        });
        out
    })?;
    store(ctx, &argv[1], result, "sinterstore")
}

fn sunion(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let max = max_intset(ctx);
    with_sets(ctx, &argv[1..], |sets| members_reply(union_of(sets, max).iter()))
}

fn sunionstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let max = max_intset(ctx);
    let result = with_sets(ctx, &argv[2..], |sets| union_of(sets, max))?;
    store(ctx, &argv[1], result, "sunionstore")
}

fn sdiff(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let max = max_intset(ctx);
    with_sets(ctx, &argv[1..], |sets| members_reply(diff_of(sets, max).iter()))
}

fn sdiffstore(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let max = max_intset(ctx);
    let result = with_sets(ctx, &argv[2..], |sets| diff_of(sets, max))?;
    store(ctx, &argv[1], result, "sdiffstore")
}

fn sscan(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let cursor = parse_cursor(&argv[2])?;
    let Some(s) = ctx.get_set(&argv[1])? else { return Ok(scan_reply(0, Vec::new())) };
    let opts = parse_scan_opts(argv, 3)?;
    let mut items = Vec::new();
    let mut push = |m: Member| {
        let v = m.to_value();
        if v.as_bytes().is_some_and(|b| opts.matches(b)) {
            items.push(v);
        }
    };
    let next = if s.is_intset() {
        s.iter().for_each(&mut push);
        0
    } else {
        s.scan_step(cursor, opts.count, push)
    };
    Ok(scan_reply(next, items))
}

#[cfg(test)]
mod tests {
    use crate::resp::Value;
    use crate::sim::Simulator;

    fn len(v: &Value) -> usize {
        v.as_array().map_or(0, <[Value]>::len)
    }

    #[test]
    fn srandmember_and_spop_counts() {
        let sim = Simulator::new();
        let mut c = sim.connect();
        for i in 0..30 {
            c.execute(&["SADD", "s", &format!("m{i}")]);
        }
        for n in [1, 9, 10, 11, 29, 30, 40] {
            let r = c.execute(&["SRANDMEMBER", "s", &n.to_string()]);
            let mut items: Vec<_> = r.as_array().unwrap_or(&[]).iter().filter_map(Value::as_bytes).collect();
            assert_eq!(items.len(), n.min(30));
            items.sort();
            items.dedup();
            assert_eq!(items.len(), n.min(30));
        }
        assert_eq!(len(&c.execute(&["SRANDMEMBER", "s", "-100"])), 100);
        let popped = c.execute(&["SPOP", "s", "12"]);
        assert_eq!(len(&popped), 12);
        assert_eq!(c.execute(&["SCARD", "s"]), Value::Int(18));
        for m in popped.as_array().unwrap_or(&[]) {
            let m = m.as_bytes().unwrap_or(b"");
            assert_eq!(c.execute(&[&b"SISMEMBER"[..], b"s", m]), Value::Int(0));
        }
        assert_eq!(len(&c.execute(&["SPOP", "s", "100"])), 18);
        assert_eq!(c.execute(&["SCARD", "s"]), Value::Int(0));
    }
}
