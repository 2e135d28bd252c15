//! Sorted-set commands (ZADD … ZSCAN), reproducing Redis 7.0's `t_zset.c`: option parsing order,
//! error texts, reply shapes in RESP2 and RESP3 (scores are doubles; WITHSCORES pairs nest in
//! RESP3 for ZRANGE & co., ZPOP with a count, ZMPOP, ZUNION/ZINTER/ZDIFF and ZRANDMEMBER),
//! keyspace events, and the blocking BZPOPMIN/BZPOPMAX/BZMPOP.
//!
//! Range arguments are parsed exactly as Redis does (`(1.5` exclusive, `-inf`/`+inf`, and
//! `[a`/`(a`/`-`/`+` for lex ranges). The geo family reuses the store/reply helpers here.

use crate::cmd;
use crate::resp::{Protocol, Value};
use crate::sim::bytes::SmallBytes;
use crate::sim::command::{arg_i64, arg_timeout, is_kw, BlockOn, CmdError, CmdResult, Command, Ctx};
use crate::sim::db::{Entry, RValue};
use crate::sim::errors;
use crate::sim::float::{fmt_double, parse_f64};
use crate::sim::types::{Set, ZSet};

use super::hashes::{check_reply_size, parse_rand_count, parse_scan_opts, pick_distinct, scan_reply};
use super::keys::parse_cursor;

/// The sorted-set commands.
pub static COMMANDS: &[Command] = &[
    cmd!("zadd", -4, "write denyoom fast", 1, 1, 1, zadd_cmd, "sorted-set", "Add one or more members to a sorted set, or update its score if it already exists"),
    cmd!("zincrby", 4, "write denyoom fast", 1, 1, 1, zincrby_cmd, "sorted-set", "Increment the score of a member in a sorted set"),
    cmd!("zscore", 3, "readonly fast", 1, 1, 1, zscore_cmd, "sorted-set", "Get the score associated with the given member in a sorted set"),
    cmd!("zmscore", -3, "readonly fast", 1, 1, 1, zmscore_cmd, "sorted-set", "Get the score associated with the given members in a sorted set"),
    cmd!("zcard", 2, "readonly fast", 1, 1, 1, zcard_cmd, "sorted-set", "Get the number of members in a sorted set"),
    cmd!("zcount", 4, "readonly fast", 1, 1, 1, zcount_cmd, "sorted-set", "Count the members in a sorted set with scores within the given values"),
    cmd!("zlexcount", 4, "readonly fast", 1, 1, 1, zlexcount_cmd, "sorted-set", "Count the number of members in a sorted set between a given lexicographical range"),
    cmd!("zrank", 3, "readonly fast", 1, 1, 1, zrank_cmd, "sorted-set", "Determine the index of a member in a sorted set"),
    cmd!("zrevrank", 3, "readonly fast", 1, 1, 1, zrevrank_cmd, "sorted-set", "Determine the index of a member in a sorted set, with scores ordered from high to low"),
    cmd!("zrem", -3, "write fast", 1, 1, 1, zrem_cmd, "sorted-set", "Remove one or more members from a sorted set"),
    cmd!("zremrangebyrank", 4, "write", 1, 1, 1, zremrangebyrank_cmd, "sorted-set", "Remove all members in a sorted set within the given indexes"),
    cmd!("zremrangebyscore", 4, "write", 1, 1, 1, zremrangebyscore_cmd, "sorted-set", "Remove all members in a sorted set within the given scores"),
    cmd!("zremrangebylex", 4, "write", 1, 1, 1, zremrangebylex_cmd, "sorted-set", "Remove all members in a sorted set between the given lexicographical range"),
    cmd!("zrange", -4, "readonly", 1, 1, 1, zrange_cmd, "sorted-set", "Return a range of members in a sorted set"),
    cmd!("zrangebyscore", -4, "readonly", 1, 1, 1, zrangebyscore_cmd, "sorted-set", "Return a range of members in a sorted set, by score"),
    cmd!("zrevrangebyscore", -4, "readonly", 1, 1, 1, zrevrangebyscore_cmd, "sorted-set", "Return a range of members in a sorted set, by score, with scores ordered from high to low"),
    cmd!("zrangebylex", -4, "readonly", 1, 1, 1, zrangebylex_cmd, "sorted-set", "Return a range of members in a sorted set, by lexicographical range"),
    cmd!("zrevrangebylex", -4, "readonly", 1, 1, 1, zrevrangebylex_cmd, "sorted-set", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."),
    cmd!("zrevrange", -4, "readonly", 1, 1, 1, zrevrange_cmd, "sorted-set", "Return a range of members in a sorted set, by index, with scores ordered from high to low"),
    cmd!("zrangestore", -5, "write denyoom", 1, 2, 1, zrangestore_cmd, "sorted-set", "Store a range of members from sorted set into another key"),
    cmd!("zpopmin", -2, "write fast", 1, 1, 1, zpopmin_cmd, "sorted-set", "Remove and return members with the lowest scores in a sorted set"),
    cmd!("zpopmax", -2, "write fast", 1, 1, 1, zpopmax_cmd, "sorted-set", "Remove and return members with the highest scores in a sorted set"),
    cmd!("bzpopmin", -3, "write noscript blocking fast", 1, -2, 1, bzpopmin_cmd, "sorted-set", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available"),
    cmd!("bzpopmax", -3, "write noscript blocking fast", 1, -2, 1, bzpopmax_cmd, "sorted-set", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available"),
    cmd!("bzmpop", -5, "write blocking movablekeys", 0, 0, 0, bzmpop_cmd, "sorted-set", "Remove and return members with scores in a sorted set or block until one is available"),
    cmd!("zmpop", -4, "write movablekeys", 0, 0, 0, zmpop_cmd, "sorted-set", "Remove and return members with scores in a sorted set"),
    cmd!("zunion", -3, "readonly movablekeys", 0, 0, 0, zunion_cmd, "sorted-set", "Add multiple sorted sets"),
    cmd!("zinter", -3, "readonly movablekeys", 0, 0, 0, zinter_cmd, "sorted-set", "Intersect multiple sorted sets"),
    cmd!("zdiff", -3, "readonly movablekeys", 0, 0, 0, zdiff_cmd, "sorted-set", "Subtract multiple sorted sets"),
    cmd!("zunionstore", -4, "write denyoom movablekeys", 1, 1, 1, zunionstore_cmd, "sorted-set", "Add multiple sorted sets and store the resulting sorted set in a new key"),
    cmd!("zinterstore", -4, "write denyoom movablekeys", 1, 1, 1, zinterstore_cmd, "sorted-set", "Intersect multiple sorted sets and store the resulting sorted set in a new key"),
    cmd!("zdiffstore", -4, "write denyoom movablekeys", 1, 1, 1, zdiffstore_cmd, "sorted-set", "Subtract multiple sorted sets and store the resulting sorted set in a new key"),
    cmd!("zintercard", -3, "readonly movablekeys", 0, 0, 0, zintercard_cmd, "sorted-set", "Intersect multiple sorted sets and return the cardinality of the result"),
    cmd!("zrandmember", -2, "readonly", 1, 1, 1, zrandmember_cmd, "sorted-set", "Get one or multiple random elements from a sorted set"),
    cmd!("zscan", -3, "readonly", 1, 1, 1, zscan_cmd, "sorted-set", "Incrementally iterate sorted sets elements and associated scores"),
];

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// C `isspace`.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// True when the decimal text has a non-zero digit in its mantissa (to tell underflow from 0).
fn has_nonzero_mantissa(b: &[u8]) -> bool {
    b.iter().take_while(|c| !matches!(c, b'e' | b'E')).any(|c| matches!(c, b'1'..=b'9'))
}

/// C `strtod` over the whole input for the forms Redis users meet: decimal (via `parse_f64`) and
/// hexadecimal (`0x1.8p3`), with an optional sign.
fn parse_strtod(b: &[u8]) -> Option<f64> {
    let (neg, body) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        let v = parse_hex_float(&body[2..])?;
        return Some(if neg { -v } else { v });
    }
    parse_f64(b)
}

/// The part of a hex float after `0x`: hex digits, optional `.` fraction, optional `p` exponent.
fn parse_hex_float(b: &[u8]) -> Option<f64> {
    let (mant, exp) = match b.iter().position(|&c| c | 0x20 == b'p') {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let (int_part, frac_part) = match mant.iter().position(|&c| c == b'.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, &[][..]),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for &c in int_part {
        v = v * 16.0 + f64::from((c as char).to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for &c in frac_part {
        v += f64::from((c as char).to_digit(16)?) * scale;
        scale /= 16.0;
    }
    if let Some(e) = exp {
        let e = crate::sim::float::parse_i64(e.strip_prefix(b"+").unwrap_or(e))?;
        v *= 2f64.powi(e.clamp(-2000, 2000) as i32);
    }
    Some(v)
}

/// Parses a score like Redis's `getDoubleFromObject`: strict `strtod` over the whole string,
/// no leading space, no NaN, and overflow/underflow (ERANGE) rejected.
pub fn parse_score(b: &[u8]) -> Option<f64> {
    let v = parse_strtod(b)?;
    let ends_with = |suffix: &[u8]| b.len() >= suffix.len() && b[b.len() - suffix.len()..].eq_ignore_ascii_case(suffix);
    if v.is_infinite() && !(ends_with(b"inf") || ends_with(b"infinity")) {
        return None;
    }
    if v == 0.0 && has_nonzero_mantissa(b) {
        return None;
    }
    Some(v)
}

/// A score argument (`ERR value is not a valid float`).
pub fn arg_score(b: &[u8]) -> Result<f64, CmdError> {
    parse_score(b).ok_or_else(errors::not_float)
}

/// One bound of a score range as `zslParseRange` reads it: bare `strtod` (an empty string is 0,
/// leading spaces allowed, overflow saturates to inf), `(` prefix for exclusive.
fn parse_range_bound(b: &[u8]) -> Option<(f64, bool)> {
    let (text, ex) = match b.first() {
        Some(b'(') => (&b[1..], true),
        _ => (b, false),
    };
    if text.is_empty() {
        return Some((0.0, ex));
    }
    let start = text.iter().position(|&c| !is_c_space(c))?;
    let v = parse_strtod(&text[start..])?;
    Some((v, ex))
}

/// A score interval.
#[derive(Debug, Clone, Copy)]
pub struct ScoreRange {
    /// Lower bound.
    pub min: f64,
    /// Lower bound excluded.
    pub minex: bool,
    /// Upper bound.
    pub max: f64,
    /// Upper bound excluded.
    pub maxex: bool,
}

impl ScoreRange {
    /// Parses `min max` (`ERR min or max is not a float`).
    pub fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
        let (min, minex) = parse_range_bound(min).ok_or_else(errors::min_max_not_float)?;
        let (max, maxex) = parse_range_bound(max).ok_or_else(errors::min_max_not_float)?;
        Ok(ScoreRange { min, minex, max, maxex })
    }

    fn gte_min(&self, s: f64) -> bool {
        if self.minex {
            s > self.min
        } else {
            s >= self.min
        }
    }

    fn lte_max(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }
}

/// One bound of a lex range.
#[derive(Debug, Clone)]
enum LexBound {
    NegInf,
    PosInf,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

fn parse_lex_bound(b: &[u8]) -> Option<LexBound> {
    match b.first()? {
        b'+' if b.len() == 1 => Some(LexBound::PosInf),
        b'-' if b.len() == 1 => Some(LexBound::NegInf),
        b'(' => Some(LexBound::Excl(b[1..].to_vec())),
        b'[' => Some(LexBound::Incl(b[1..].to_vec())),
        _ => None,
    }
}

/// A score or lex interval.
#[derive(Debug, Clone)]
enum Range {
    Score(ScoreRange),
    Lex(LexBound, LexBound),
}

/// Order of lex bounds as Redis's `sdscmplex` sees them (`-` below and `+` above everything).
fn lex_bound_cmp(a: &LexBound, b: &LexBound) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let key = |x: &LexBound| match x {
        LexBound::NegInf => (0, None),
        LexBound::Incl(v) | LexBound::Excl(v) => (1, Some(v.clone())),
        LexBound::PosInf => (2, None),
    };
    match (key(a), key(b)) {
        ((x, _), (y, _)) if x != y => {
            if x < y {
                Less
            } else {
                Greater
            }
        }
        ((_, Some(u)), (_, Some(v))) => u.cmp(&v),
        _ => Equal,
    }
}

impl Range {
    /// Ranges that can never match (`zslIsInRange`/`zslIsInLexRange`'s first test).
    fn always_empty(&self) -> bool {
        match self {
            Range::Score(r) => r.min > r.max || (r.min == r.max && (r.minex || r.maxex)),
            Range::Lex(min, max) => {
                let ex = |b: &LexBound| !matches!(b, LexBound::Incl(_));
                match lex_bound_cmp(min, max) {
                    std::cmp::Ordering::Greater => true,
                    std::cmp::Ordering::Equal => ex(min) || ex(max),
                    std::cmp::Ordering::Less => false,
                }
            }
        }
    }

    /// Quick rejection shared by the first/last lookups: the last element must reach `min` and
    /// the first must not pass `max`.
    fn may_match(&self, z: &ZSet) -> bool {
        if self.always_empty() {
            return false;
        }
        match (z.at_rank(0), z.len().checked_sub(1).and_then(|i| z.at_rank(i))) {
            (Some((fs, fm)), Some((ls, lm))) => self.gte_min(ls, lm) && self.lte_max(fs, fm),
            _ => false,
        }
    }

    /// Rank of the first element in range, found the way Redis does for the encoding: a linear
    /// scan over a listpack (`zzlFirstIn*Range`), a descent over the skiplist (binary search).
    fn first_in(&self, z: &ZSet) -> Option<usize> {
        if !self.may_match(z) {
            return None;
        }
        let i = if z.encoding() == "listpack" {
            z.iter().position(|(s, m)| self.gte_min(s, m))?
        } else {
            z.partition_point(|s, m| !self.gte_min(s, m))
        };
        let (s, m) = z.at_rank(i)?;
        self.lte_max(s, m).then_some(i)
    }

    /// Rank of the last element in range (`zzlLast*InRange` / `zslLastIn*Range`).
    fn last_in(&self, z: &ZSet) -> Option<usize> {
        if !self.may_match(z) {
            return None;
        }
        let i = if z.encoding() == "listpack" {
            let back = z.iter_rev_from(z.len() - 1).position(|(s, m)| self.lte_max(s, m))?;
            z.len() - 1 - back
        } else {
            z.partition_point(|s, m| self.lte_max(s, m)).checked_sub(1)?
        };
        let (s, m) = z.at_rank(i)?;
        self.gte_min(s, m).then_some(i)
    }

    fn parse_lex(min: &[u8], max: &[u8]) -> Result<Range, CmdError> {
        match (parse_lex_bound(min), parse_lex_bound(max)) {
            (Some(a), Some(b)) => Ok(Range::Lex(a, b)),
            _ => Err(errors::min_max_not_lex()),
        }
    }

    fn gte_min(&self, s: f64, m: &[u8]) -> bool {
        match self {
            Range::Score(r) => r.gte_min(s),
            Range::Lex(min, _) => match min {
                LexBound::NegInf => true,
                LexBound::PosInf => false,
                LexBound::Incl(v) => m >= v.as_slice(),
                LexBound::Excl(v) => m > v.as_slice(),
            },
        }
    }

    fn lte_max(&self, s: f64, m: &[u8]) -> bool {
        match self {
            Range::Score(r) => r.lte_max(s),
            Range::Lex(_, max) => match max {
                LexBound::PosInf => true,
                LexBound::NegInf => false,
                LexBound::Incl(v) => m <= v.as_slice(),
                LexBound::Excl(v) => m < v.as_slice(),
            },
        }
    }
}

/// Clamps a Redis rank range (negative = from the end) to `0..len`; None when empty.
fn rank_bounds(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize))
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

fn resp3(ctx: &Ctx) -> bool {
    ctx.cl.proto == Protocol::Resp3
}

/// (max entries, max member length) of the listpack encoding.
pub fn listpack_limits(ctx: &Ctx) -> (usize, usize) {
    (ctx.st.config.zset_max_listpack_entries, ctx.st.config.zset_max_listpack_value)
}

/// Elements with optional scores: flat in RESP2, `[member, score]` pairs in RESP3.
pub fn emit_pairs(items: Vec<(SmallBytes, f64)>, withscores: bool, resp3: bool) -> Value {
    if !withscores {
        return Value::Array(items.into_iter().map(|(m, _)| Value::Bulk(m.to_vec())).collect());
    }
    if resp3 {
        return Value::Array(
            items.into_iter().map(|(m, s)| Value::Array(vec![Value::Bulk(m.to_vec()), Value::Double(s)])).collect(),
        );
    }
    let mut out = Vec::with_capacity(items.len() * 2);
    for (m, s) in items {
        out.push(Value::Bulk(m.to_vec()));
        out.push(Value::Double(s));
    }
    Value::Array(out)
}

/// Stores a freshly built set at `dst` (or deletes `dst` when the result is empty) and replies
/// with its size, signalling `event` like Redis's STORE commands.
pub fn store_result(ctx: &mut Ctx, dst: &[u8], mut z: ZSet, event: &str) -> CmdResult {
    let n = z.len();
    if n == 0 {
        if ctx.delete(dst) {
            ctx.written(dst, 'g', "del");
        }
        return Ok(Value::Int(0));
    }
    let (entries, value) = listpack_limits(ctx);
    z.fit_encoding(entries, value);
    ctx.set_value(dst, RValue::ZSet(Box::new(z)));
    ctx.written(dst, 'z', event);
    Ok(Value::Int(n as i64))
}

/// After removing elements: signal `event`, then delete the key (with its `del` event) if empty.
fn removed(ctx: &mut Ctx, key: &[u8], event: &str) {
    ctx.written(key, 'z', event);
    ctx.delete_if_empty(key);
}

/// Parses a count that must be ≥ 1 (`ERR <msg>` for anything else, non-integers included).
fn arg_count_min1(b: &[u8], msg: &str) -> Result<i64, CmdError> {
    match crate::sim::float::parse_i64(b) {
        Some(v) if v >= 1 => Ok(v),
        _ => Err(CmdError::msg(format!("ERR {msg}"))),
    }
}

// ---------------------------------------------------------------------------------------------
// ZADD / ZINCRBY
// ---------------------------------------------------------------------------------------------

#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    incr: bool,
}

/// What one ZADD element did.
enum AddOutcome {
    Added(f64),
    Updated(f64),
    /// Same score again (processed but unchanged).
    Same(f64),
    Nop,
    Nan,
}

/// Redis's `zsetAdd` on one element.
fn zset_add(z: &mut ZSet, member: &[u8], score: f64, f: AddFlags, limits: (usize, usize)) -> AddOutcome {
    if score.is_nan() {
        return AddOutcome::Nan;
    }
    match z.score(member) {
        Some(cur) => {
            if f.nx {
                return AddOutcome::Nop;
            }
            let mut score = score;
            if f.incr {
                score += cur;
                if score.is_nan() {
                    return AddOutcome::Nan;
                }
            }
            if (f.lt && score >= cur) || (f.gt && score <= cur) {
                return AddOutcome::Nop;
            }
            if score != cur {
                z.insert(member, score);
                AddOutcome::Updated(score)
            } else {
                AddOutcome::Same(score)
            }
        }
        None if !f.xx => {
            z.note_growth(limits.0, limits.1, member.len());
            z.insert(member, score);
            AddOutcome::Added(score)
        }
        None => AddOutcome::Nop,
    }
}

fn zadd_generic(ctx: &mut Ctx, argv: &[Vec<u8>], mut f: AddFlags) -> CmdResult {
    let key = &argv[1];
    let mut ch = false;
    let mut idx = 2;
    while idx < argv.len() {
        let a = &argv[idx];
        if is_kw(a, "nx") {
            f.nx = true;
        } else if is_kw(a, "xx") {
            f.xx = true;
        } else if is_kw(a, "ch") {
            ch = true;
        } else if is_kw(a, "incr") {
            f.incr = true;
        } else if is_kw(a, "gt") {
            f.gt = true;
        } else if is_kw(a, "lt") {
            f.lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    let rest = &argv[idx..];
    if rest.is_empty() || rest.len() % 2 != 0 {
        return Err(errors::syntax());
    }
    if f.nx && f.xx {
        return Err(CmdError::msg("ERR XX and NX options at the same time are not compatible"));
    }
    if ((f.gt || f.lt) && f.nx) || (f.gt && f.lt) {
        return Err(CmdError::msg("ERR GT, LT, and/or NX options at the same time are not compatible"));
    }
    if f.incr && rest.len() > 2 {
        return Err(CmdError::msg("ERR INCR option supports a single increment-element pair"));
    }
    let scores = rest.chunks(2).map(|p| arg_score(&p[0])).collect::<Result<Vec<f64>, _>>()?;
    let limits = listpack_limits(ctx);
    if ctx.get_zset(key)?.is_none() {
        if f.xx {
            return Ok(if f.incr { Value::Nil } else { Value::Int(0) });
        }
        // Redis 7.0 picks the encoding from the first member's length only.
        let mut z = ZSet::default();
        if limits.0 == 0 || rest[1].len() > limits.1 {
            z.note_growth(0, 0, 1);
        }
        ctx.set_value(key, RValue::ZSet(Box::new(z)));
    }
    let Some(z) = ctx.get_zset(key)? else { return Err(errors::wrong_type()) };
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut last = 0.0;
    let mut nan = false;
    for (pair, &score) in rest.chunks(2).zip(&scores) {
        match zset_add(z, &pair[1], score, f, limits) {
            AddOutcome::Added(s) => {
                added += 1;
                processed += 1;
                last = s;
            }
            AddOutcome::Updated(s) => {
                updated += 1;
                processed += 1;
                last = s;
            }
            AddOutcome::Same(s) => {
                processed += 1;
                last = s;
            }
            AddOutcome::Nop => {}
            AddOutcome::Nan => {
                nan = true;
                break;
            }
        }
    }
    if added > 0 || updated > 0 {
        ctx.written(key, 'z', if f.incr { "zincr" } else { "zadd" });
    }
    if nan {
        ctx.delete_if_empty(key);
        return Err(CmdError::msg("ERR resulting score is not a number (NaN)"));
    }
    if f.incr {
        return Ok(if processed > 0 { Value::Double(last) } else { Value::Nil });
    }
    Ok(Value::Int(if ch { added + updated } else { added }))
}

/// ZADD (GEOADD delegates to it like Redis does).
pub(crate) fn zadd_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zadd_generic(ctx, argv, AddFlags::default())
}

fn zincrby_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zadd_generic(ctx, argv, AddFlags { incr: true, ..AddFlags::default() })
}

// ---------------------------------------------------------------------------------------------
// Point reads
// ---------------------------------------------------------------------------------------------

fn zscore_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(match ctx.get_zset(&argv[1])?.and_then(|z| z.score(&argv[2])) {
        Some(s) => Value::Double(s),
        None => Value::Nil,
    })
}

fn zmscore_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let z = ctx.get_zset(&argv[1])?;
    let z = z.as_deref();
    Ok(Value::Array(
        argv[2..].iter().map(|m| z.and_then(|z| z.score(m)).map(Value::Double).unwrap_or(Value::Nil)).collect(),
    ))
}

fn zcard_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(ctx.get_zset(&argv[1])?.map(|z| z.len()).unwrap_or(0) as i64))
}

/// ZCOUNT/ZLEXCOUNT: a walk from the first element in range over a listpack, rank arithmetic
/// on a skiplist, as Redis does.
fn count_in(z: &ZSet, r: &Range) -> usize {
    let Some(first) = r.first_in(z) else { return 0 };
    if z.encoding() == "listpack" {
        return z.iter_from(first).take_while(|(s, m)| r.lte_max(*s, m)).count();
    }
    match r.last_in(z) {
        Some(last) if last >= first => last - first + 1,
        _ => 0,
    }
}

fn zcount_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let r = Range::Score(ScoreRange::parse(&argv[2], &argv[3])?);
    Ok(Value::Int(ctx.get_zset(&argv[1])?.map(|z| count_in(z, &r)).unwrap_or(0) as i64))
}

fn zlexcount_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let r = Range::parse_lex(&argv[2], &argv[3])?;
    Ok(Value::Int(ctx.get_zset(&argv[1])?.map(|z| count_in(z, &r)).unwrap_or(0) as i64))
}

fn rank_generic(ctx: &mut Ctx, argv: &[Vec<u8>], rev: bool) -> CmdResult {
    let Some(z) = ctx.get_zset(&argv[1])? else { return Ok(Value::Nil) };
    let len = z.len();
    Ok(match z.rank(&argv[2]) {
        Some(r) => Value::Int(if rev { len - 1 - r } else { r } as i64),
        None => Value::Nil,
    })
}

fn zrank_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    rank_generic(ctx, argv, false)
}

fn zrevrank_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    rank_generic(ctx, argv, true)
}

// ---------------------------------------------------------------------------------------------
// Removal
// ---------------------------------------------------------------------------------------------

fn zrem_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let Some(z) = ctx.get_zset(&argv[1])? else { return Ok(Value::Int(0)) };
    let mut n = 0;
    for m in &argv[2..] {
        if z.remove(m).is_some() {
            n += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    if n > 0 {
        removed(ctx, &argv[1], "zrem");
    }
    Ok(Value::Int(n))
}

/// Members of `z` within `r` in ascending order.
fn members_in(z: &ZSet, r: &Range) -> Vec<SmallBytes> {
    let Some(lo) = r.first_in(z) else { return Vec::new() };
    z.iter_from(lo).take_while(|(s, m)| r.lte_max(*s, m)).map(|(_, m)| m.clone()).collect()
}

#[derive(Clone, Copy)]
enum RemBy {
    Rank,
    Score,
    Lex,
}

fn zremrange_generic(ctx: &mut Ctx, argv: &[Vec<u8>], by: RemBy) -> CmdResult {
    let key = &argv[1];
    let (ranks, range) = match by {
        RemBy::Rank => (Some((arg_i64(&argv[2])?, arg_i64(&argv[3])?)), None),
        RemBy::Score => (None, Some(Range::Score(ScoreRange::parse(&argv[2], &argv[3])?))),
        RemBy::Lex => (None, Some(Range::parse_lex(&argv[2], &argv[3])?)),
    };
    let Some(z) = ctx.get_zset(key)? else { return Ok(Value::Int(0)) };
    let n = match (ranks, range) {
        (Some((start, end)), _) => match rank_bounds(start, end, z.len()) {
            Some((s, e)) => z.remove_rank_range(s, e),
            None => 0,
        },
        (None, Some(r)) => {
            let victims = members_in(z, &r);
            for m in &victims {
                z.remove(m);
            }
            victims.len()
        }
        (None, None) => 0,
    };
    if n > 0 {
        let event = match by {
            RemBy::Rank => "zremrangebyrank",
            RemBy::Score => "zremrangebyscore",
            RemBy::Lex => "zremrangebylex",
        };
        removed(ctx, key, event);
    }
    Ok(Value::Int(n as i64))
}

fn zremrangebyrank_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zremrange_generic(ctx, argv, RemBy::Rank)
}

fn zremrangebyscore_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zremrange_generic(ctx, argv, RemBy::Score)
}

fn zremrangebylex_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zremrange_generic(ctx, argv, RemBy::Lex)
}

// ---------------------------------------------------------------------------------------------
// ZRANGE and friends
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

/// Elements of `z` in `r`, ascending or descending, after skipping `offset` and taking at most
/// `limit` (negative = all), like `genericZrangebyscoreCommand`/`genericZrangebylexCommand`.
fn range_select(z: &ZSet, r: &Range, rev: bool, offset: i64, limit: i64) -> Vec<(SmallBytes, f64)> {
    if offset < 0 || (offset > 0 && offset as u64 >= z.len() as u64) {
        return Vec::new();
    }
    let take = if limit < 0 { usize::MAX } else { limit as usize };
    let skip = offset as usize;
    // Like Redis, the elements skipped by the offset are not range-checked.
    if rev {
        let Some(hi) = r.last_in(z) else { return Vec::new() };
        z.iter_rev_from(hi)
            .skip(skip)
            .take_while(|(s, m)| r.gte_min(*s, m))
            .take(take)
            .map(|(s, m)| (m.clone(), s))
            .collect()
    } else {
        let Some(lo) = r.first_in(z) else { return Vec::new() };
        z.iter_from(lo)
            .skip(skip)
            .take_while(|(s, m)| r.lte_max(*s, m))
            .take(take)
            .map(|(s, m)| (m.clone(), s))
            .collect()
    }
}

/// Elements with ranks `start..=end` (Redis semantics), forward or from the end.
fn rank_select(z: &ZSet, start: i64, end: i64, rev: bool) -> Vec<(SmallBytes, f64)> {
    let Some((s, e)) = rank_bounds(start, end, z.len()) else { return Vec::new() };
    let n = e - s + 1;
    if rev {
        z.iter_rev_from(z.len() - 1 - s).take(n).map(|(sc, m)| (m.clone(), sc)).collect()
    } else {
        z.iter_from(s).take(n).map(|(sc, m)| (m.clone(), sc)).collect()
    }
}

/// Redis's `zrangeGenericCommand`: `argc_start` is the position of the source key; `store` is
/// ZRANGESTORE (destination at argv\[1\]).
fn zrange_generic(
    ctx: &mut Ctx,
    argv: &[Vec<u8>],
    argc_start: usize,
    store: bool,
    mut rt: RangeType,
    mut rev: Option<bool>,
) -> CmdResult {
    let key = &argv[argc_start];
    let (mut minidx, mut maxidx) = (argc_start + 1, argc_start + 2);
    let mut withscores = false;
    let mut offset = 0i64;
    let mut limit = -1i64;
    let mut j = argc_start + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = &argv[j];
        if !store && is_kw(a, "withscores") {
            withscores = true;
        } else if is_kw(a, "limit") && left >= 2 {
            offset = arg_i64(&argv[j + 1])?;
            limit = arg_i64(&argv[j + 2])?;
            j += 2;
        } else if rev.is_none() && is_kw(a, "rev") {
            rev = Some(true);
        } else if rt == RangeType::Auto && is_kw(a, "bylex") {
            rt = RangeType::Lex;
        } else if rt == RangeType::Auto && is_kw(a, "byscore") {
            rt = RangeType::Score;
        } else {
            return Err(errors::syntax());
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if rt == RangeType::Auto {
        rt = RangeType::Rank;
    }
    if limit != -1 && rt == RangeType::Rank {
        return Err(CmdError::msg(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && rt == RangeType::Lex {
        return Err(CmdError::msg("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    if rev && rt != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let (ranks, range) = match rt {
        RangeType::Score => (None, Some(Range::Score(ScoreRange::parse(&argv[minidx], &argv[maxidx])?))),
        RangeType::Lex => (None, Some(Range::parse_lex(&argv[minidx], &argv[maxidx])?)),
        _ => (Some((arg_i64(&argv[minidx])?, arg_i64(&argv[maxidx])?)), None),
    };
    let items = match ctx.get_zset(key)? {
        None => Vec::new(),
        Some(z) => match (ranks, &range) {
            (Some((s, e)), _) => rank_select(z, s, e, rev),
            (None, Some(r)) => range_select(z, r, rev, offset, limit),
            (None, None) => Vec::new(),
        },
    };
    if store {
        let mut out = ZSet::default();
        for (m, s) in &items {
            out.insert(m, *s);
        }
        let dst = argv[1].clone();
        return store_result(ctx, &dst, out, "zrangestore");
    }
    Ok(emit_pairs(items, withscores, resp3(ctx)))
}

fn zrange_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 1, false, RangeType::Auto, None)
}

fn zrangestore_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 2, true, RangeType::Auto, None)
}

fn zrevrange_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 1, false, RangeType::Rank, Some(true))
}

fn zrangebyscore_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 1, false, RangeType::Score, Some(false))
}

fn zrevrangebyscore_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 1, false, RangeType::Score, Some(true))
}

fn zrangebylex_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 1, false, RangeType::Lex, Some(false))
}

fn zrevrangebylex_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zrange_generic(ctx, argv, 1, false, RangeType::Lex, Some(true))
}

// ---------------------------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------------------------

/// How a pop reply is shaped (Redis's `emitkey` / `use_nested_array`).
#[derive(Clone, Copy)]
struct PopShape {
    emit_key: bool,
    nested: bool,
    nil_when_empty: bool,
}

impl PopShape {
    /// The reply when every key is missing (and the command does not block).
    fn empty(self) -> Value {
        if self.nil_when_empty {
            Value::NilArray
        } else {
            Value::Array(Vec::new())
        }
    }
}

/// Redis's `genericZpopCommand`: pops up to `count` (None = single) from the first non-empty
/// key. Returns None when every key is missing (so the caller may block).
fn zpop_generic(
    ctx: &mut Ctx,
    keys: &[Vec<u8>],
    max: bool,
    count: Option<u64>,
    shape: PopShape,
) -> Result<Option<Value>, CmdError> {
    // A blocked client being re-run ignores keys that turned into another type, as Redis only
    // serves it from keys that hold a sorted set.
    let skip_wrong_type = ctx.unblocking;
    let mut found = None;
    for k in keys {
        match ctx.get_zset(k) {
            Ok(Some(z)) if !z.is_empty() => {
                found = Some(k);
                break;
            }
            Ok(_) => {}
            Err(_) if skip_wrong_type => {}
            Err(e) => return Err(e),
        }
    }
    if count == Some(0) {
        return Ok(Some(Value::Array(Vec::new())));
    }
    let Some(key) = found else { return Ok(None) };
    let z = ctx.zset_or_create(key)?;
    let n = count.unwrap_or(1).min(z.len() as u64) as usize;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        match z.pop(max) {
            Some(x) => items.push(x),
            None => break,
        }
    }
    removed(ctx, key, if max { "zpopmax" } else { "zpopmin" });
    let pairs = emit_pairs(items, true, shape.nested);
    let Value::Array(pairs) = pairs else { return Ok(Some(pairs)) };
    let key_v = Value::Bulk(key.clone());
    Ok(Some(match (shape.emit_key, shape.nested) {
        (false, _) => Value::Array(pairs),
        (true, false) => Value::Array(std::iter::once(key_v).chain(pairs).collect()),
        (true, true) => Value::Array(vec![key_v, Value::Array(pairs)]),
    }))
}

fn zpop_cmd(ctx: &mut Ctx, argv: &[Vec<u8>], max: bool) -> CmdResult {
    if argv.len() > 3 {
        return Err(errors::syntax());
    }
    let count = match argv.get(2) {
        Some(c) => match crate::sim::float::parse_i64(c) {
            Some(v) if v >= 0 => Some(v as u64),
            _ => return Err(errors::not_positive()),
        },
        None => None,
    };
    let nested = resp3(ctx) && count.is_some();
    let shape = PopShape { emit_key: false, nested, nil_when_empty: false };
    Ok(zpop_generic(ctx, &argv[1..2], max, count, shape)?.unwrap_or_else(|| shape.empty()))
}

fn zpopmin_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zpop_cmd(ctx, argv, false)
}

fn zpopmax_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zpop_cmd(ctx, argv, true)
}

/// Pops now, or blocks (`NilArray` on timeout; at once inside MULTI/scripts).
fn blocking_pop(
    ctx: &mut Ctx,
    keys: &[Vec<u8>],
    timeout: &[u8],
    max: bool,
    count: Option<u64>,
    shape: PopShape,
) -> CmdResult {
    let deadline = arg_timeout(timeout, ctx.now_ms)?;
    if let Some(v) = zpop_generic(ctx, keys, max, count, shape)? {
        return Ok(v);
    }
    if ctx.no_block {
        return Ok(Value::NilArray);
    }
    Err(CmdError::Block(Box::new(BlockOn { keys: keys.to_vec(), deadline_ms: deadline, on_timeout: Value::NilArray })))
}

fn bzpop_cmd(ctx: &mut Ctx, argv: &[Vec<u8>], max: bool) -> CmdResult {
    let shape = PopShape { emit_key: true, nested: false, nil_when_empty: true };
    blocking_pop(ctx, &argv[1..argv.len() - 1], &argv[argv.len() - 1], max, None, shape)
}

fn bzpopmin_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    bzpop_cmd(ctx, argv, false)
}

fn bzpopmax_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    bzpop_cmd(ctx, argv, true)
}

/// Redis's `zmpopGenericCommand`; `numkeys_idx` is 1 for ZMPOP, 2 for BZMPOP.
fn zmpop_generic(ctx: &mut Ctx, argv: &[Vec<u8>], numkeys_idx: usize) -> CmdResult {
    let numkeys = arg_count_min1(&argv[numkeys_idx], "numkeys should be greater than 0")? as u64;
    let where_idx = (numkeys_idx as u64).saturating_add(numkeys).saturating_add(1);
    if where_idx >= argv.len() as u64 {
        return Err(errors::syntax());
    }
    let where_idx = where_idx as usize;
    let max = if is_kw(&argv[where_idx], "min") {
        false
    } else if is_kw(&argv[where_idx], "max") {
        true
    } else {
        return Err(errors::syntax());
    };
    let mut count: Option<u64> = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        if count.is_none() && is_kw(&argv[j], "count") && j + 1 < argv.len() {
            j += 1;
            count = Some(arg_count_min1(&argv[j], "count should be greater than 0")? as u64);
        } else {
            return Err(errors::syntax());
        }
        j += 1;
    }
    let count = Some(count.unwrap_or(1));
    let keys = &argv[numkeys_idx + 1..where_idx];
    let shape = PopShape { emit_key: true, nested: true, nil_when_empty: true };
    if numkeys_idx == 2 {
        return blocking_pop(ctx, keys, &argv[1], max, count, shape);
    }
    let r = zpop_generic(ctx, keys, max, count, shape)?;
    Ok(r.unwrap_or_else(|| shape.empty()))
}

fn zmpop_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zmpop_generic(ctx, argv, 1)
}

fn bzmpop_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    zmpop_generic(ctx, argv, 2)
}

// ---------------------------------------------------------------------------------------------
// ZUNION / ZINTER / ZDIFF (+STORE), ZINTERCARD
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

fn aggregate(target: &mut f64, val: f64, agg: Aggregate) {
    match agg {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// An input of a set operation: a sorted set, a plain set (scores 1), or a missing key.
enum Src<'a> {
    Missing,
    Z(&'a ZSet),
    S(&'a Set),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::Missing => 0,
            Src::Z(z) => z.len(),
            Src::S(v) => v.len(),
        }
    }

    fn find(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Missing => None,
            Src::Z(z) => z.score(m),
            Src::S(v) => v.contains(m).then_some(1.0),
        }
    }

    fn items(&self) -> Vec<(SmallBytes, f64)> {
        match self {
            Src::Missing => Vec::new(),
            Src::Z(z) => z.iter().map(|(s, m)| (m.clone(), s)).collect(),
            Src::S(v) => v.iter().map(|m| (SmallBytes::from_vec(m.to_vec()), 1.0)).collect(),
        }
    }
}

/// Parsed options of a set operation.
struct SetOpArgs {
    weights: Vec<f64>,
    agg: Aggregate,
    withscores: bool,
    limit: u64,
}

/// Computes a set operation over `keys` (already checked to be sets or sorted sets).
fn compute_setop(ctx: &mut Ctx, keys: &[Vec<u8>], op: SetOp, o: &SetOpArgs, card_only: bool) -> (ZSet, u64) {
    let db = ctx.cl.db;
    let table = &ctx.st.dbs[db].keys;
    let mut srcs: Vec<(Src, f64)> = keys
        .iter()
        .zip(&o.weights)
        .map(|(k, &w)| {
            let src = match table.get(k.as_slice()).map(|e: &Entry| &e.value) {
                Some(RValue::ZSet(z)) => Src::Z(z),
                Some(RValue::Set(s)) => Src::S(s),
                _ => Src::Missing,
            };
            (src, w)
        })
        .collect();
    if op != SetOp::Diff {
        srcs.sort_by_key(|(s, _)| s.len());
    }
    let mut out = ZSet::new_skiplist();
    let mut card = 0u64;
    match op {
        SetOp::Inter => {
            if srcs.first().map(|(s, _)| s.len()).unwrap_or(0) > 0 {
                let (first, rest) = srcs.split_at(1);
                let (src0, w0) = &first[0];
                for (m, sc) in src0.items() {
                    let mut score = w0 * sc;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    let mut all = true;
                    for (src, w) in rest {
                        match src.find(&m) {
                            Some(v) => aggregate(&mut score, v * w, o.agg),
                            None => {
                                all = false;
                                break;
                            }
                        }
                    }
                    if !all {
                        continue;
                    }
                    if card_only {
                        card += 1;
                        if o.limit > 0 && card >= o.limit {
                            break;
                        }
                    } else {
                        out.insert(&m, score);
                    }
                }
            }
        }
        SetOp::Union => {
            let mut acc: indexmap::IndexMap<SmallBytes, f64, foldhash::fast::FixedState> = Default::default();
            for (src, w) in &srcs {
                for (m, sc) in src.items() {
                    let mut score = w * sc;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(&m) {
                        Some(t) => aggregate(t, score, o.agg),
                        None => {
                            acc.insert(m, score);
                        }
                    }
                }
            }
            for (m, s) in acc {
                out.insert(&m, s);
            }
        }
        SetOp::Diff => {
            if let Some(((src0, _), rest)) = srcs.split_first() {
                for (m, sc) in src0.items() {
                    if !rest.iter().any(|(s, _)| s.find(&m).is_some()) {
                        out.insert(&m, sc);
                    }
                }
            }
        }
    }
    (out, card)
}

/// Redis's `zunionInterDiffGenericCommand`.
fn setop_generic(
    ctx: &mut Ctx,
    argv: &[Vec<u8>],
    dst: Option<&[u8]>,
    numkeys_idx: usize,
    op: SetOp,
    card_only: bool,
) -> CmdResult {
    let setnum = arg_i64(&argv[numkeys_idx])?;
    if setnum < 1 {
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
        return Err(CmdError::msg(format!("ERR at least 1 input key is needed for '{name}' command")));
    }
    let first = numkeys_idx + 1;
    if setnum as u64 > (argv.len() - first) as u64 {
        return Err(errors::syntax());
    }
    let n = setnum as usize;
    let keys = &argv[first..first + n];
    for k in keys {
        match ctx.value(k) {
            None | Some(RValue::ZSet(_)) | Some(RValue::Set(_)) => {}
            Some(_) => return Err(errors::wrong_type()),
        }
    }
    let mut o = SetOpArgs { weights: vec![1.0; n], agg: Aggregate::Sum, withscores: false, limit: 0 };
    let mut j = first + n;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = &argv[j];
        if op != SetOp::Diff && !card_only && remaining > n && is_kw(a, "weights") {
            for i in 0..n {
                o.weights[i] =
                    parse_score(&argv[j + 1 + i]).ok_or_else(|| CmdError::msg("ERR weight value is not a float"))?;
            }
            j += 1 + n;
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && is_kw(a, "aggregate") {
            let v = &argv[j + 1];
            o.agg = if is_kw(v, "sum") {
                Aggregate::Sum
            } else if is_kw(v, "min") {
                Aggregate::Min
            } else if is_kw(v, "max") {
                Aggregate::Max
            } else {
                return Err(errors::syntax());
            };
            j += 2;
        } else if dst.is_none() && !card_only && is_kw(a, "withscores") {
            o.withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is_kw(a, "limit") {
            let l = arg_i64(&argv[j + 1]).map_err(|_| CmdError::msg("ERR LIMIT can't be negative"))?;
            if l < 0 {
                return Err(CmdError::msg("ERR LIMIT can't be negative"));
            }
            o.limit = l as u64;
            j += 2;
        } else {
            return Err(errors::syntax());
        }
    }
    let (out, card) = compute_setop(ctx, keys, op, &o, card_only);
    if card_only {
        return Ok(Value::Int(card as i64));
    }
    if let Some(dst) = dst {
        let event = match op {
            SetOp::Union => "zunionstore",
            SetOp::Inter => "zinterstore",
            SetOp::Diff => "zdiffstore",
        };
        return store_result(ctx, dst, out, event);
    }
    let items = out.iter().map(|(s, m)| (m.clone(), s)).collect();
    Ok(emit_pairs(items, o.withscores, resp3(ctx)))
}

fn zunion_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    setop_generic(ctx, argv, None, 1, SetOp::Union, false)
}

fn zinter_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    setop_generic(ctx, argv, None, 1, SetOp::Inter, false)
}

fn zdiff_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    setop_generic(ctx, argv, None, 1, SetOp::Diff, false)
}

fn zunionstore_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    setop_generic(ctx, argv, Some(&argv[1]), 2, SetOp::Union, false)
}

fn zinterstore_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    setop_generic(ctx, argv, Some(&argv[1]), 2, SetOp::Inter, false)
}

fn zdiffstore_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    setop_generic(ctx, argv, Some(&argv[1]), 2, SetOp::Diff, false)
}

fn zintercard_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    setop_generic(ctx, argv, None, 1, SetOp::Inter, true)
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER
// ---------------------------------------------------------------------------------------------

fn zrandmember_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let r3 = resp3(ctx);
    if argv.len() < 3 {
        let Some(len) = ctx.get_zset(&argv[1])?.map(|z| z.len()) else { return Ok(Value::Nil) };
        let i = ctx.st.random_below(len);
        let z = ctx.get_zset(&argv[1])?;
        return Ok(z.and_then(|z| z.at_index(i)).map(|(m, _)| Value::Bulk(m.to_vec())).unwrap_or(Value::Nil));
    }
    let l = parse_rand_count(&argv[2])?;
    let withscores = match argv.len() {
        3 => false,
        4 if is_kw(&argv[3], "withscores") => true,
        _ => return Err(errors::syntax()),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    let Some(z) = ctx.get_zset(&argv[1])? else { return Ok(Value::Array(Vec::new())) };
    let size = z.len();
    let count = l.unsigned_abs();
    if count == 0 {
        return Ok(Value::Array(Vec::new()));
    }
    let items: Vec<(SmallBytes, f64)> = if count >= size as u64 && l > 0 {
        match z.len().checked_sub(1) {
            Some(last) => z.iter_rev_from(last).map(|(s, m)| (m.clone(), s)).collect(),
            None => Vec::new(),
        }
    } else {
        let picks: Vec<usize> = if l < 0 {
            let n = check_reply_size(count)?;
            (0..n).map(|_| ctx.st.random_below(size)).collect()
        } else {
            pick_distinct(ctx.st, size, count as usize)
        };
        let z = ctx.get_zset(&argv[1])?.map(|z| &*z);
        let Some(z) = z else { return Ok(Value::Array(Vec::new())) };
        picks.into_iter().filter_map(|i| z.at_index(i).map(|(m, s)| (m.clone(), s))).collect()
    };
    Ok(emit_pairs(items, withscores, r3))
}

// ---------------------------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------------------------

/// A listpack score as ZSCAN prints it (Redis's `d2string`: integral values in the safe range as
/// integers, everything else `%.17g`).
fn listpack_score_text(s: f64) -> String {
    let half = (i64::MAX / 2) as f64;
    if s.fract() == 0.0 && s >= -half && s <= half && s != 0.0 {
        return (s as i64).to_string();
    }
    fmt_double(s)
}

fn zscan_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let cursor = parse_cursor(&argv[2])?;
    let Some(z) = ctx.get_zset(&argv[1])? else { return Ok(scan_reply(0, Vec::new())) };
    let opts = parse_scan_opts(argv, 3)?;
    let listpack = z.encoding() == "listpack";
    let mut out = Vec::new();
    let mut push = |m: &SmallBytes, s: f64| {
        if opts.matches(m) {
            out.push(Value::Bulk(m.to_vec()));
            let text = if listpack { listpack_score_text(s) } else { fmt_double(s) };
            out.push(Value::Bulk(text.into_bytes()));
        }
    };
    let next = if listpack {
        for (s, m) in z.iter() {
            push(m, s);
        }
        0
    } else {
        z.scan_step(cursor, opts.count, push)
    };
    Ok(scan_reply(next, out))
}

#[cfg(test)]
mod tests {
    use crate::resp::Value;
    use crate::sim::{Clock, Simulator, Submitted};

    fn bulk(s: &str) -> Value {
        Value::bulk(s)
    }

    #[test]
    fn bzpopmin_wakes_when_a_member_arrives() {
        let sim = Simulator::with_clock(Clock::manual(0));
        let mut waiter = sim.connect();
        let mut writer = sim.connect();
        assert_eq!(waiter.submit(&["BZPOPMIN", "a", "b", "0"]), Submitted::Blocked);
        assert_eq!(waiter.poll(), None);
        assert_eq!(writer.execute(&["ZADD", "b", "2", "x", "1", "y"]), Value::Int(2));
        assert_eq!(waiter.poll(), Some(Value::Array(vec![bulk("b"), bulk("y"), Value::Double(1.0)])));
        assert_eq!(writer.execute(&["ZCARD", "b"]), Value::Int(1));
    }

    #[test]
    fn first_blocked_is_served_first_and_timeouts_follow_the_clock() {
        let sim = Simulator::with_clock(Clock::manual(1_000));
        let mut first = sim.connect();
        let mut second = sim.connect();
        let mut writer = sim.connect();
        assert_eq!(first.submit(&["BZPOPMAX", "k", "5"]), Submitted::Blocked);
        assert_eq!(second.submit(&["BZMPOP", "2", "1", "k", "MAX", "COUNT", "5"]), Submitted::Blocked);
        assert_eq!(writer.execute(&["ZADD", "k", "1", "a"]), Value::Int(1));
        assert_eq!(first.poll(), Some(Value::Array(vec![bulk("k"), bulk("a"), Value::Double(1.0)])));
        assert_eq!(second.poll(), None);
        sim.advance_ms(1_999);
        assert_eq!(second.poll(), None);
        sim.advance_ms(1);
        assert_eq!(second.poll(), Some(Value::NilArray));
    }

    #[test]
    fn bzmpop_reply_is_nested() {
        let sim = Simulator::with_clock(Clock::manual(0));
        let mut c = sim.connect();
        let mut w = sim.connect();
        assert_eq!(c.submit(&["BZMPOP", "0", "1", "z", "MIN", "COUNT", "2"]), Submitted::Blocked);
        w.execute(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
        let pair = |m: &str, s: f64| Value::Array(vec![bulk(m), Value::Double(s)]);
        assert_eq!(c.poll(), Some(Value::Array(vec![bulk("z"), Value::Array(vec![pair("a", 1.0), pair("b", 2.0)])])));
    }

    #[test]
    fn zrandmember_invariants() {
        let sim = Simulator::new();
        let mut c = sim.connect();
        let members: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
        let mut argv = vec!["ZADD".to_string(), "z".to_string()];
        for (i, m) in members.iter().enumerate() {
            argv.push(i.to_string());
            argv.push(m.clone());
        }
        c.execute(&argv);
        for count in [1i64, 5, 99, 150, 299, 300, 500] {
            let Value::Array(v) = c.execute(&["ZRANDMEMBER", "z", &count.to_string()]) else { panic!("array") };
            assert_eq!(v.len() as i64, count.min(300));
            let distinct: std::collections::HashSet<_> = v.iter().map(|x| x.to_text()).collect();
            assert_eq!(distinct.len(), v.len(), "distinct for positive count {count}");
            assert!(distinct.iter().all(|m| members.contains(m)));
        }
        let Value::Array(v) = c.execute(&["ZRANDMEMBER", "z", "-1000", "WITHSCORES"]) else { panic!("array") };
        assert_eq!(v.len(), 2000);
        for pair in v.chunks(2) {
            let m = pair[0].to_text();
            let idx: usize = m[1..].parse().unwrap_or(usize::MAX);
            assert_eq!(pair[1], Value::Double(idx as f64));
        }
    }

    #[test]
    fn encoding_follows_thresholds() {
        let sim = Simulator::new();
        let mut c = sim.connect();
        let enc = |c: &mut crate::sim::Connection, k: &str| {
            let st = c.simulator().lock();
            match st.dbs[0].keys.get(k.as_bytes()).map(|e| &e.value) {
                Some(crate::sim::db::RValue::ZSet(z)) => z.encoding(),
                _ => "none",
            }
        };
        c.execute(&["ZADD", "z", "1", "a"]);
        assert_eq!(enc(&mut c, "z"), "listpack");
        for i in 0..128 {
            c.execute(&["ZADD", "z", &i.to_string(), &format!("n{i}")]);
        }
        assert_eq!(enc(&mut c, "z"), "skiplist");
        c.execute(&["ZREMRANGEBYRANK", "z", "0", "-3"]);
        assert_eq!(enc(&mut c, "z"), "skiplist");
        c.execute(&["ZRANGESTORE", "d", "z", "0", "-1"]);
        assert_eq!(enc(&mut c, "d"), "listpack");
        c.execute(&["ZADD", "long", "1", &"x".repeat(65)]);
        assert_eq!(enc(&mut c, "long"), "skiplist");
    }

    #[test]
    fn keyspace_events_match_redis() {
        let sim = Simulator::new();
        let mut sub = sim.connect();
        let mut c = sim.connect();
        sim.lock().config.notify_flags = crate::sim::commands::pubsub::parse_notify_flags("KEA").unwrap_or(0);
        sub.execute(&["PSUBSCRIBE", "__keyevent@0__:*"]);
        sub.drain_pushes();
        for cmd in [
            &["ZADD", "z", "1", "a", "2", "b"][..],
            &["ZADD", "z", "1", "a"],
            &["ZINCRBY", "z", "1", "a"],
            &["ZREM", "z", "a"],
            &["ZPOPMIN", "z"],
            &["ZADD", "s", "1", "x"],
            &["ZUNIONSTORE", "u", "1", "s"],
            &["ZRANGESTORE", "u", "s", "5", "6"],
            &["ZREMRANGEBYSCORE", "s", "0", "5"],
            &["GEOADD", "g", "1", "1", "a"],
            &["GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"],
            &["GEORADIUS", "g", "1", "1", "1", "km", "STORE", "gr"],
            &["ZADD", "p", "1", "a", "2", "b"],
            &["ZMPOP", "1", "p", "MAX", "COUNT", "5"],
            &["ZINTERSTORE", "i", "2", "p", "missing"],
        ] {
            c.execute(cmd);
        }
        let got: Vec<String> = sub
            .drain_pushes()
            .iter()
            .filter_map(|v| match v.as_array() {
                Some([_, _, ch, key]) => {
                    Some(format!("{} {}", ch.to_text().trim_start_matches("__keyevent@0__:"), key.to_text()))
                }
                _ => None,
            })
            .collect();
        let want = "zadd z;zincr z;zrem z;zpopmin z;del z;zadd s;zunionstore u;del u;zremrangebyscore s;del s;zadd g;\
                    geosearchstore gs;georadiusstore gr;zadd p;zpopmax p;del p";
        assert_eq!(got.join(";"), want);
    }

    #[test]
    fn blocked_pop_ignores_a_key_that_becomes_another_type() {
        let sim = Simulator::with_clock(Clock::manual(0));
        let mut waiter = sim.connect();
        let mut w = sim.connect();
        assert_eq!(waiter.submit(&["BZPOPMIN", "a", "b", "0"]), Submitted::Blocked);
        w.execute(&["SET", "a", "x"]);
        assert_eq!(waiter.poll(), None);
        w.execute(&["ZADD", "b", "1", "m"]);
        assert_eq!(waiter.poll(), Some(Value::Array(vec![bulk("b"), bulk("m"), Value::Double(1.0)])));
    }
}
