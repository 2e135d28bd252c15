//! Commands of the hashes family: HSET & co., HINCRBY/HINCRBYFLOAT, HRANDFIELD and HSCAN, with
//! Redis 7.0's replies and error texts. The encoding rules (listpack keeps insertion order,
//! converts to hashtable once) live in [`crate::sim::types::hash`].
//!
//! This file also holds the helpers the sets family shares: SCAN-style cursor and option
//! parsing, the random-count parsing of HRANDFIELD/SRANDMEMBER and distinct random sampling.

use crate::resp::{Protocol, Value};
use crate::sim::command::{arg_i64, is_kw, CmdError, CmdResult, Command, Ctx};
use crate::sim::errors;
use crate::sim::float::{parse_f64, parse_i64};
use crate::sim::state::State;
use crate::sim::types::hash::HashLimits;

/// The hashes commands.
pub static COMMANDS: &[Command] = &[
    crate::cmd!("hset", -4, "write denyoom fast", 1, 1, 1, hset, "hash", "Set the value of one or more fields"),
    crate::cmd!("hmset", -4, "write denyoom fast", 1, 1, 1, hmset, "hash", "Set multiple hash fields"),
    crate::cmd!("hsetnx", 4, "write denyoom fast", 1, 1, 1, hsetnx, "hash", "Set a field only if it is new"),
    crate::cmd!("hget", 3, "readonly fast", 1, 1, 1, hget, "hash", "Get the value of a field"),
    crate::cmd!("hmget", -3, "readonly fast", 1, 1, 1, hmget, "hash", "Get the values of fields"),
    crate::cmd!("hdel", -3, "write fast", 1, 1, 1, hdel, "hash", "Delete one or more fields"),
    crate::cmd!("hlen", 2, "readonly fast", 1, 1, 1, hlen, "hash", "Get the number of fields"),
    crate::cmd!("hstrlen", 3, "readonly fast", 1, 1, 1, hstrlen, "hash", "Get the length of a field's value"),
    crate::cmd!("hexists", 3, "readonly fast", 1, 1, 1, hexists, "hash", "Determine if a field exists"),
    crate::cmd!("hkeys", 2, "readonly", 1, 1, 1, hkeys, "hash", "Get all the fields"),
    crate::cmd!("hvals", 2, "readonly", 1, 1, 1, hvals, "hash", "Get all the values"),
    crate::cmd!("hgetall", 2, "readonly", 1, 1, 1, hgetall, "hash", "Get all the fields and values"),
    crate::cmd!("hincrby", 4, "write denyoom fast", 1, 1, 1, hincrby, "hash", "Increment a field by an integer"),
    crate::cmd!("hincrbyfloat", 4, "write denyoom fast", 1, 1, 1, hincrbyfloat, "hash", "Increment a field by a float"),
    crate::cmd!("hrandfield", -2, "readonly", 1, 1, 1, hrandfield, "hash", "Get one or more random fields"),
    crate::cmd!("hscan", -3, "readonly", 1, 1, 1, hscan, "hash", "Incrementally iterate fields and values"),
];

fn limits(ctx: &Ctx) -> HashLimits {
    HashLimits { entries: ctx.st.config.hash_max_listpack_entries, value: ctx.st.config.hash_max_listpack_value }
}

/// HSET and HMSET: field/value pairs after the key; returns the number of new fields.
fn set_pairs(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Result<i64, CmdError> {
    if argv.len() % 2 != 0 {
        return Err(errors::wrong_arity(&String::from_utf8_lossy(&argv[0])));
    }
    let lim = limits(ctx);
    let h = ctx.hash_or_create(&argv[1])?;
    h.convert_for(argv[2..].iter().map(Vec::as_slice), lim);
    let added = argv[2..].chunks_exact(2).filter(|p| h.set(&p[0], &p[1], lim)).count();
    ctx.written(&argv[1], 'h', "hset");
    Ok(added as i64)
}

fn hset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    set_pairs(ctx, argv).map(Value::Int)
}

fn hmset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    set_pairs(ctx, argv).map(|_| Value::ok())
}

fn hsetnx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let lim = limits(ctx);
    let h = ctx.hash_or_create(&argv[1])?;
    // Redis converts on the arguments' length before checking whether the field exists.
    h.convert_for([argv[2].as_slice(), argv[3].as_slice()], lim);
    if h.contains(&argv[2]) {
        return Ok(Value::Int(0));
    }
    h.set(&argv[2], &argv[3], lim);
    ctx.written(&argv[1], 'h', "hset");
    Ok(Value::Int(1))
}

fn hget(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(match ctx.get_hash(&argv[1])?.and_then(|h| h.get(&argv[2])) {
        Some(v) => Value::bulk(v),
        None => Value::Nil,
    })
}

fn hmget(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let h = ctx.get_hash(&argv[1])?;
    let h = h.as_deref();
    Ok(Value::Array(
        argv[2..].iter().map(|f| h.and_then(|h| h.get(f)).map(Value::bulk).unwrap_or(Value::Nil)).collect(),
    ))
}

fn hdel(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let Some(h) = ctx.get_hash(&argv[1])? else { return Ok(Value::Int(0)) };
    let mut deleted = 0;
    for f in &argv[2..] {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.written(&argv[1], 'h', "hdel");
        ctx.delete_if_empty(&argv[1]);
    }
    Ok(Value::Int(deleted))
}

fn hlen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(ctx.get_hash(&argv[1])?.map_or(0, |h| h.len()) as i64))
}

fn hstrlen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(ctx.get_hash(&argv[1])?.and_then(|h| h.get(&argv[2])).map_or(0, |v| v.len()) as i64))
}

fn hexists(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(ctx.get_hash(&argv[1])?.is_some_and(|h| h.contains(&argv[2])) as i64))
}

/// Which parts of each field/value pair HKEYS, HVALS and HGETALL reply with.
#[derive(Clone, Copy, PartialEq)]
enum Parts {
    Keys,
    Values,
    Both,
}

fn get_all(ctx: &mut Ctx, key: &[u8], parts: Parts) -> CmdResult {
    let h = ctx.get_hash(key)?;
    let iter = h.as_deref().into_iter().flat_map(|h| h.iter());
    Ok(match parts {
        Parts::Keys => Value::Array(iter.map(|(k, _)| Value::bulk(k)).collect()),
        Parts::Values => Value::Array(iter.map(|(_, v)| Value::bulk(v)).collect()),
        Parts::Both => Value::Map(iter.map(|(k, v)| (Value::bulk(k), Value::bulk(v))).collect()),
    })
}

fn hkeys(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    get_all(ctx, &argv[1], Parts::Keys)
}

fn hvals(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    get_all(ctx, &argv[1], Parts::Values)
}

fn hgetall(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    get_all(ctx, &argv[1], Parts::Both)
}

fn hincrby(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let incr = arg_i64(&argv[3])?;
    let lim = limits(ctx);
    let h = ctx.hash_or_create(&argv[1])?;
    let old = match h.get(&argv[2]) {
        Some(v) => parse_i64(v).ok_or_else(|| CmdError::msg("ERR hash value is not an integer"))?,
        None => 0,
    };
    let new = old.checked_add(incr).ok_or_else(errors::overflow)?;
    h.set(&argv[2], new.to_string().as_bytes(), lim);
    ctx.written(&argv[1], 'h', "hincrby");
    Ok(Value::Int(new))
}

/// Formats an HINCRBYFLOAT result like Redis's `ld2string(LD_STR_HUMAN)` (`%.17Lf`, trailing
/// zeros stripped, "-0" → "0").
// merge: replace with the strings helper's long-double formatter in float.rs; this f64 version
// prints the shortest round-trip decimal, which equals Redis's output whenever the long-double
// sum rounds to a short decimal at 17 places (0.1 + 0.2 does not: corpus avoids such cases).
fn fmt_human(v: f64) -> String {
    let s = format!("{}", v);
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

fn hincrbyfloat(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let incr = parse_f64(&argv[3]).ok_or_else(errors::not_float)?;
    if !incr.is_finite() {
        return Err(CmdError::msg("ERR value is NaN or Infinity"));
    }
    let lim = limits(ctx);
    let h = ctx.hash_or_create(&argv[1])?;
    let old = match h.get(&argv[2]) {
        Some(v) => parse_f64(v).ok_or_else(|| CmdError::msg("ERR hash value is not a float"))?,
        None => 0.0,
    };
    let new = old + incr;
    if !new.is_finite() {
        return Err(CmdError::msg("ERR increment would produce NaN or Infinity"));
    }
    let text = fmt_human(new);
    h.set(&argv[2], text.as_bytes(), lim);
    ctx.written(&argv[1], 'h', "hincrbyfloat");
    Ok(Value::bulk(text))
}

/// Largest reply (elements) a random command with a negative count builds; Redis would stream
/// an unbounded reply, the simulator refuses instead of exhausting memory.
const MAX_RANDOM_REPLY: u64 = 1 << 27;

/// Parses the count of HRANDFIELD/SRANDMEMBER (`-LONG_MAX..=LONG_MAX`, Redis's messages).
pub(crate) fn parse_rand_count(b: &[u8]) -> Result<i64, CmdError> {
    let v = arg_i64(b)?;
    if v == i64::MIN {
        return Err(CmdError::msg(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    Ok(v)
}

/// Checks that a reply of `n` random picks is buildable (see [`MAX_RANDOM_REPLY`]).
pub(crate) fn check_reply_size(n: u64) -> Result<usize, CmdError> {
    if n > MAX_RANDOM_REPLY {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    Ok(n as usize)
}

/// `count` distinct random positions below `size`, ascending (all of them when count ≥ size).
/// Dense requests use selection sampling (one pass), sparse ones rejection sampling.
pub(crate) fn pick_distinct(st: &mut State, size: usize, count: usize) -> Vec<usize> {
    if count >= size {
        return (0..size).collect();
    }
    let mut out = Vec::with_capacity(count);
    if count.saturating_mul(3) > size {
        let mut needed = count;
        for i in 0..size {
            if needed == 0 {
                break;
            }
            if st.random_below(size - i) < needed {
                out.push(i);
                needed -= 1;
            }
        }
    } else {
        let mut seen = std::collections::HashSet::with_capacity(count);
        while out.len() < count {
            let i = st.random_below(size);
            if seen.insert(i) {
                out.push(i);
            }
        }
        out.sort_unstable();
    }
    out
}

fn hrandfield(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() == 2 {
        let Some(h) = ctx.get_hash(&argv[1])? else { return Ok(Value::Nil) };
        let n = h.len();
        let i = ctx.st.random_below(n);
        let h = ctx.get_hash(&argv[1])?;
        return Ok(h.and_then(|h| h.get_index(i)).map(|(k, _)| Value::bulk(k)).unwrap_or(Value::Nil));
    }
    let count = parse_rand_count(&argv[2])?;
    let with_values = match argv.len() {
        3 => false,
        4 if is_kw(&argv[3], "withvalues") => true,
        _ => return Err(errors::syntax()),
    };
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    let resp3 = ctx.cl.proto != Protocol::Resp2;
    let size = match ctx.get_hash(&argv[1])? {
        Some(h) => h.len(),
        None => return Ok(Value::Array(Vec::new())),
    };
    let picks: Vec<usize> = if count < 0 {
        let n = check_reply_size(count.unsigned_abs())?;
        (0..n).map(|_| ctx.st.random_below(size)).collect()
    } else {
        pick_distinct(ctx.st, size, count as usize)
    };
    let Some(h) = ctx.get_hash(&argv[1])? else { return Ok(Value::Array(Vec::new())) };
    let mut out = Vec::with_capacity(picks.len() * if with_values && !resp3 { 2 } else { 1 });
    for (k, v) in picks.into_iter().filter_map(|i| h.get_index(i)) {
        match (with_values, resp3) {
            (false, _) => out.push(Value::bulk(k)),
            (true, true) => out.push(Value::Array(vec![Value::bulk(k), Value::bulk(v)])),
            (true, false) => {
                out.push(Value::bulk(k));
                out.push(Value::bulk(v));
            }
        }
    }
    Ok(Value::Array(out))
}

/// Parses a SCAN cursor like Redis (`strtoul`: optional sign, negative values wrap, no leading
/// space, the empty string is 0).
// merge: the keys helper's SCAN may provide the same parser; keep one.
pub(crate) fn parse_cursor(b: &[u8]) -> Result<u64, CmdError> {
    if b.is_empty() {
        return Ok(0);
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(CmdError::msg("ERR invalid cursor"));
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
            .ok_or_else(|| CmdError::msg("ERR invalid cursor"))?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// MATCH and COUNT of HSCAN/SSCAN.
pub(crate) struct ScanOpts<'a> {
    /// Glob the element (hash field) must match; None for all.
    pub pattern: Option<&'a [u8]>,
    /// Positions to visit per call.
    pub count: usize,
}

impl ScanOpts<'_> {
    /// True when `elem` passes the MATCH filter.
    pub fn matches(&self, elem: &[u8]) -> bool {
        match self.pattern {
            Some(p) => glob_match(p, elem),
            None => true,
        }
    }
}

/// Parses `[MATCH pattern] [COUNT count]` from `argv[from..]`.
pub(crate) fn parse_scan_opts(argv: &[Vec<u8>], from: usize) -> Result<ScanOpts<'_>, CmdError> {
    let mut opts = ScanOpts { pattern: None, count: 10 };
    let mut i = from;
    while i < argv.len() {
        let has_arg = i + 1 < argv.len();
        if has_arg && is_kw(&argv[i], "count") {
            let c = arg_i64(&argv[i + 1])?;
            if c < 1 {
                return Err(errors::syntax());
            }
            opts.count = usize::try_from(c).unwrap_or(usize::MAX);
        } else if has_arg && is_kw(&argv[i], "match") {
            let p = argv[i + 1].as_slice();
            opts.pattern = (p != b"*").then_some(p);
        } else {
            return Err(errors::syntax());
        }
        i += 2;
    }
    Ok(opts)
}

/// The reply of a SCAN-family command.
pub(crate) fn scan_reply(cursor: u64, items: Vec<Value>) -> Value {
    Value::Array(vec![Value::bulk(cursor.to_string()), Value::Array(items)])
}

fn hscan(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let cursor = parse_cursor(&argv[2])?;
    let Some(h) = ctx.get_hash(&argv[1])? else { return Ok(scan_reply(0, Vec::new())) };
    let opts = parse_scan_opts(argv, 3)?;
    let mut items = Vec::new();
    let mut push = |k: &[u8], v: &[u8]| {
        if opts.matches(k) {
            items.push(Value::bulk(k));
            items.push(Value::bulk(v));
        }
    };
    let next = if h.is_listpack() {
        h.iter().for_each(|(k, v)| push(k, v));
        0
    } else {
        h.scan_step(cursor, opts.count, |k, v| push(k, v))
    };
    Ok(scan_reply(next, items))
}

/// Redis's `stringmatchlen` glob: `*`, `?`, `[...]` (with `^`, ranges, escapes) and `\`.
// merge: replace with keys::glob_match
pub(crate) fn glob_match(pattern: &[u8], s: &[u8]) -> bool {
    let mut skip_longer = false;
    glob_at(pattern, s, &mut skip_longer, 0)
}

fn glob_at(mut p: &[u8], mut s: &[u8], skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > 1000 {
        return false;
    }
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if glob_at(&p[1..], s, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                *skip_longer = true;
                return false;
            }
            b'?' => s = &s[1..],
            b'[' => {
                p = &p[1..];
                let not = p.first() == Some(&b'^');
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    if p.is_empty() {
                        // Unterminated class: Redis steps back so the outer advance lands at the end.
                        break;
                    } else if p[0] == b'\\' && p.len() >= 2 {
                        p = &p[1..];
                        matched |= p[0] == s[0];
                    } else if p[0] == b']' {
                        break;
                    } else if p.len() >= 3 && p[1] == b'-' {
                        let (a, b) = if p[0] <= p[2] { (p[0], p[2]) } else { (p[2], p[0]) };
                        matched |= (a..=b).contains(&s[0]);
                        p = &p[2..];
                    } else {
                        matched |= p[0] == s[0];
                    }
                    p = &p[1..];
                }
                if matched == not {
                    return false;
                }
                s = &s[1..];
                if p.is_empty() {
                    // The class consumed the rest of the pattern (unterminated).
                    if s.is_empty() {
                        return true;
                    }
                    return false;
                }
            }
            b'\\' if p.len() >= 2 => {
                if p[1] != s[0] {
                    return false;
                }
                p = &p[1..];
                s = &s[1..];
            }
            c => {
                if c != s[0] {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
        if s.is_empty() {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Simulator;

    #[test]
    fn glob() {
        assert!(glob_match(b"*", b"abc"));
        assert!(glob_match(b"a*c", b"abbbc"));
        assert!(!glob_match(b"a*c", b"abbb"));
        assert!(glob_match(b"h?llo", b"hello"));
        assert!(glob_match(b"h[ae]llo", b"hallo"));
        assert!(!glob_match(b"h[^e]llo", b"hello"));
        assert!(glob_match(b"h[a-b]llo", b"hbllo"));
        assert!(glob_match(b"a\\*", b"a*"));
        assert!(!glob_match(b"a\\*", b"ab"));
        assert!(glob_match(b"f*", b"f"));
        assert!(glob_match(b"a[b", b"ab"));
        assert!(!glob_match(b"", b"a"));
        assert!(glob_match(b"", b""));
    }

    #[test]
    fn cursor_parsing() {
        assert_eq!(parse_cursor(b"").ok(), Some(0));
        assert_eq!(parse_cursor(b"-1").ok(), Some(u64::MAX));
        assert_eq!(parse_cursor(b"+5").ok(), Some(5));
        assert!(parse_cursor(b" 1").is_err());
        assert!(parse_cursor(b"18446744073709551616").is_err());
        assert!(parse_cursor(b"-").is_err());
    }

    fn fields(v: &Value) -> Vec<Vec<u8>> {
        v.as_array().unwrap_or(&[]).iter().filter_map(|x| x.as_bytes().map(<[u8]>::to_vec)).collect()
    }

    #[test]
    fn hrandfield_count_invariants() {
        let sim = Simulator::new();
        let mut c = sim.connect();
        for i in 0..20 {
            c.execute(&["HSET", "h", &format!("f{i}"), "v"]);
        }
        for n in [1usize, 5, 7, 19, 20, 30] {
            let got = fields(&c.execute(&["HRANDFIELD", "h", &n.to_string()]));
            let mut uniq = got.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(got.len(), n.min(20));
            assert_eq!(uniq.len(), got.len(), "positive count must give distinct fields");
        }
        let got = fields(&c.execute(&["HRANDFIELD", "h", "-50"]));
        assert_eq!(got.len(), 50);
        assert!(got.iter().all(|f| f.starts_with(b"f")));
        let got = c.execute(&["HRANDFIELD", "h", "-3", "WITHVALUES"]);
        assert_eq!(got.as_array().map(<[Value]>::len), Some(6));
    }

    #[test]
    fn resp3_withvalues_are_pairs_and_hgetall_is_a_map() {
        let sim = Simulator::new();
        let mut c = sim.connect();
        c.execute(&["HSET", "h", "a", "1", "b", "2"]);
        if let Some(cl) = sim.lock().clients.get_mut(&c.id()) {
            cl.proto = Protocol::Resp3;
        }
        let pair = |k: &str, v: &str| Value::Array(vec![Value::bulk(k), Value::bulk(v)]);
        assert_eq!(
            c.execute(&["HRANDFIELD", "h", "5", "WITHVALUES"]),
            Value::Array(vec![pair("a", "1"), pair("b", "2")])
        );
        let r = c.execute(&["HRANDFIELD", "h", "-4", "WITHVALUES"]);
        assert!(r
            .as_array()
            .is_some_and(|a| a.len() == 4 && a.iter().all(|p| p.as_array().is_some_and(|p| p.len() == 2))));
        assert_eq!(
            c.execute(&["HGETALL", "h"]),
            Value::Map(vec![(Value::bulk("a"), Value::bulk("1")), (Value::bulk("b"), Value::bulk("2"))])
        );
    }

    #[test]
    fn hscan_hashtable_iterates_everything() {
        let sim = Simulator::new();
        let mut c = sim.connect();
        for i in 0..300 {
            c.execute(&["HSET", "h", &format!("f{i}"), "v"]);
        }
        let mut cursor = "0".to_string();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let r = c.execute(&["HSCAN", "h", &cursor, "COUNT", "17"]);
            let parts = r.as_array().unwrap_or(&[]).to_vec();
            cursor = parts
                .first()
                .and_then(Value::as_bytes)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            for f in fields(&parts[1]).chunks(2) {
                seen.insert(f[0].clone());
            }
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 300);
    }
}
