//! The rate limiters' scripts. [`LIMITER_CHECK`] decides one call against one or more limits
//! of any algorithm (fixed window, sliding log, sliding window counter, token bucket, GCRA,
//! concurrency) all or nothing: either every limit admits the call and all of them record it,
//! or none records anything. [`LIMITER_RELEASE`] ends a concurrency lease early.
//!
//! Why one script for every algorithm: a call checked against "10 per second and 1000 per
//! hour" must be atomic across both limits, whatever their algorithms, and one script per
//! combination would not scale. The argument and reply layout is documented at the top of
//! `lua/limiter_check.lua`; the twins below mirror the Lua line by line, with Lua's float
//! arithmetic (`f64`) and `string.format('%d')` for every number passed to a command.

use super::{lua_number_reply, script_error, tonumber, Env, Script};
use crate::backend::{value, Cmd};
use crate::error::Result;
use crate::resp::Value;

/// `limiter_check`: KEYS = (state, aux, block) per limit; ARGV = cost, `consume`|`peek`, a lease
/// id (concurrency limits: unique, chosen by the caller), then
/// (algorithm, limit, window_ms, p1, p2, block_ms) per limit. Replies one
/// `{allowed, remaining, limit, reset_after_ms, retry_after_ms, lease}` per limit.
pub static LIMITER_CHECK: Script = Script::new("limiter_check", include_str!("lua/limiter_check.lua"), check);

/// `limiter_release`: KEYS = lease set, its aux hash; ARGV = lease. Replies 1 if a live lease
/// was released.
pub static LIMITER_RELEASE: Script = Script::new("limiter_release", include_str!("lua/limiter_release.lua"), release);

/// The largest limit, window, cost or block the script accepts (keeps all arithmetic exact).
pub const MAX_ARG: u64 = 1_000_000_000_000;

/// The largest GCRA tolerance (burst × emission interval) in microseconds.
pub const MAX_GCRA_TOLERANCE_US: u64 = 1_000_000_000_000_000;

/// Lua's `int`: an integer argument from 0 to 1e12.
fn int(v: &[u8]) -> Option<f64> {
    tonumber(v).filter(|n| *n == n.floor() && *n >= 0.0 && *n <= MAX_ARG as f64)
}

/// Lua's `num` on a reply: a stored number within the exact-integer range, else `None`.
fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        other => other.as_bytes().and_then(tonumber),
    }
    .filter(|n| *n >= 0.0 && *n < 9e15)
}

/// Lua's `string.format('%d', n)`.
fn s(n: f64) -> String {
    (n as i64).to_string()
}

/// Lua's `weight`: the digits after the member's last `:`, else 1.
fn weight(member: &[u8]) -> f64 {
    let digits = member.rsplit(|b| *b == b':').next().filter(|_| member.contains(&b':'));
    match digits {
        Some(d) if !d.is_empty() && d.iter().all(u8::is_ascii_digit) => num(&Value::Bulk(d.to_vec())).unwrap_or(1.0),
        _ => 1.0,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Algo {
    FixedWindow,
    SlidingLog,
    SlidingWindow,
    TokenBucket,
    Gcra,
    Concurrency,
}

struct Limit<'a> {
    algo: Algo,
    limit: f64,
    window: f64,
    p1: f64,
    p2: f64,
    block: f64,
    key: &'a [u8],
    aux: &'a [u8],
    bkey: &'a [u8],
    cap: f64,
    emission: f64,
}

/// Lua's `x`: what one limit allows now, and the state its commit needs.
#[derive(Default)]
struct Eval {
    blocked: bool,
    used: f64,
    ok: bool,
    avail: f64,
    retry: f64,
    reset: f64,
    reset_c: f64,
    ttl: f64,
    id: f64,
    e: f64,
    cur: f64,
    prev: f64,
    tokens: f64,
    ts: f64,
    new_tat: f64,
    /// sliding_log: the stored sequence (raw), entries weighing more than 1, the latest score,
    /// the keys' last expiry, and whether the trim changed what aux must say.
    seq: Option<Vec<u8>>,
    heavy: f64,
    last: Option<f64>,
    exp: Option<f64>,
    dirty: bool,
}

struct Now {
    us: f64,
    ms: f64,
}

fn err(msg: &str) -> crate::Error {
    script_error(msg)
}

fn parse_limit<'a>(keys: &'a [Vec<u8>], args: &[Vec<u8>], i: usize, peek: bool) -> Result<Limit<'a>> {
    let a = 3 + i * 6;
    let algo = match args[a].as_slice() {
        b"fixed_window" => Some(Algo::FixedWindow),
        b"sliding_log" => Some(Algo::SlidingLog),
        b"sliding_window" => Some(Algo::SlidingWindow),
        b"token_bucket" => Some(Algo::TokenBucket),
        b"gcra" => Some(Algo::Gcra),
        b"concurrency" => Some(Algo::Concurrency),
        _ => None,
    };
    let (limit, window, p1, p2, block) =
        match (int(&args[a + 1]), int(&args[a + 2]), int(&args[a + 3]), int(&args[a + 4]), int(&args[a + 5])) {
            (Some(l), Some(w), Some(p1), Some(p2), Some(b)) if l >= 1.0 && w >= 1.0 => (l, w, p1, p2, b),
            _ => {
                return Err(err(
                    "ERR limiter limit and window must be integers from 1 to 1e12, p1, p2 and block from 0",
                ))
            }
        };
    let mut l = Limit {
        algo: Algo::FixedWindow,
        limit,
        window,
        p1,
        p2,
        block,
        key: &keys[3 * i],
        aux: &keys[3 * i + 1],
        bkey: &keys[3 * i + 2],
        cap: limit,
        emission: 0.0,
    };
    match algo {
        Some(Algo::TokenBucket) => {
            if p1 < 1.0 || p2 < 1.0 {
                return Err(err("ERR token bucket refill and interval must be at least 1"));
            }
        }
        Some(Algo::Gcra) => {
            l.emission = (window * 1000.0 / limit).ceil();
            l.cap = p1;
            if p1 < 1.0 || l.emission * p1 > MAX_GCRA_TOLERANCE_US as f64 {
                return Err(err("ERR gcra burst must be at least 1 and burst * emission interval at most 1e15 us"));
            }
        }
        Some(Algo::Concurrency) => {
            if args[2].is_empty() && !peek {
                return Err(err("ERR a concurrency limiter needs a lease id"));
            }
        }
        Some(_) => {}
        None => return Err(err("ERR unknown limiter algorithm")),
    }
    l.algo = algo.unwrap_or(Algo::FixedWindow);
    Ok(l)
}

fn pttl(env: &mut Env<'_, '_>, key: &[u8]) -> Result<f64> {
    Ok(value::int(&env.call(Cmd::new("PTTL").arg(key))?)? as f64)
}

fn fixed_window(env: &mut Env<'_, '_>, l: &Limit<'_>, x: &mut Eval) -> Result<()> {
    let mut used = num(&env.call(Cmd::new("GET").arg(l.key))?).unwrap_or(0.0);
    x.ttl = pttl(env, l.key)?;
    if x.ttl == 0.0 {
        used = 0.0;
    }
    let left = if x.ttl > 0.0 { x.ttl } else { l.window };
    x.avail = (l.limit - used).max(0.0);
    x.retry = left;
    x.reset = if used > 0.0 { left } else { 0.0 };
    x.reset_c = left;
    Ok(())
}

/// Lua's `sliding_log`: the log's usage from aux (sum, heavy, last) and the trim's count.
fn sliding_log(env: &mut Env<'_, '_>, l: &Limit<'_>, x: &mut Eval, now: &Now, cost: f64) -> Result<()> {
    let member = |v: &Value| weight(v.as_bytes().unwrap_or_default());
    let cut = s(now.ms - l.window);
    let fields = Cmd::new("HMGET").arg(l.aux).arg("sum").arg("seq").arg("heavy").arg("last").arg("exp");
    let a = value::array(env.call(fields)?)?;
    let field = |i: usize| a.get(i).and_then(num);
    let (mut used, mut heavy, mut last) = (field(0), field(2), field(3));
    x.seq = a.get(1).and_then(Value::as_bytes).map(<[u8]>::to_vec);
    x.exp = field(4);
    match (used, heavy, last) {
        (Some(u), Some(0.0), Some(_)) => {
            let gone = value::int(&env.call(Cmd::new("ZREMRANGEBYSCORE").arg(l.key).arg("-inf").arg(&cut))?)? as f64;
            used = Some((u - gone).max(0.0));
            x.dirty = gone > 0.0;
        }
        (Some(mut u), Some(mut h), Some(_)) => {
            let gone = value::array(env.call(Cmd::new("ZRANGEBYSCORE").arg(l.key).arg("-inf").arg(&cut))?)?;
            if !gone.is_empty() {
                env.call(Cmd::new("ZREMRANGEBYSCORE").arg(l.key).arg("-inf").arg(&cut))?;
            }
            for g in &gone {
                let w = member(g);
                u -= w;
                if w > 1.0 {
                    h -= 1.0;
                }
            }
            (used, heavy) = (Some(u.max(0.0)), Some(h.max(0.0)));
            x.dirty = !gone.is_empty();
        }
        _ => {
            env.call(Cmd::new("ZREMRANGEBYSCORE").arg(l.key).arg("-inf").arg(&cut))?;
            let all = value::array(env.call(Cmd::new("ZRANGE").arg(l.key).arg(0).arg(-1))?)?;
            let (mut u, mut h) = (0.0, 0.0);
            for w in all.iter().map(member) {
                u += w;
                if w > 1.0 {
                    h += 1.0;
                }
            }
            (used, heavy) = (Some(u), Some(h));
            let newest = value::array(env.call(Cmd::new("ZRANGE").arg(l.key).arg(-1).arg(-1).arg("WITHSCORES"))?)?;
            last = newest.get(1).map(|score| num(score).unwrap_or(now.ms));
            x.exp = None;
        }
    }
    let used = used.unwrap_or(0.0);
    (x.used, x.heavy, x.last) = (used, heavy.unwrap_or(0.0), last);
    x.avail = (l.limit - used).max(0.0);
    x.retry = 0.0;
    let need = used + cost - l.limit;
    let mut freed = 0.0;
    if need > 0.0 {
        let first = value::array(env.call(Cmd::new("ZRANGE").arg(l.key).arg(0).arg(s(need - 1.0)).arg("WITHSCORES"))?)?;
        for pair in first.chunks(2) {
            freed += member(&pair[0]);
            x.retry = pair.get(1).and_then(num).unwrap_or(now.ms) + l.window - now.ms;
            if freed >= need {
                break;
            }
        }
    }
    x.reset = last.map_or(0.0, |last| (last + l.window - now.ms).max(0.0));
    x.reset_c = x.reset.max(l.window);
    Ok(())
}

/// Lua's `log`: a concurrency limiter's leases.
fn log(env: &mut Env<'_, '_>, l: &Limit<'_>, x: &mut Eval, now: &Now, cost: f64, offset: f64) -> Result<()> {
    let member = |v: &Value| weight(v.as_bytes().unwrap_or_default());
    let cut = s(now.ms - offset);
    let gone = value::array(env.call(Cmd::new("ZRANGEBYSCORE").arg(l.key).arg("-inf").arg(&cut))?)?;
    if !gone.is_empty() {
        env.call(Cmd::new("ZREMRANGEBYSCORE").arg(l.key).arg("-inf").arg(&cut))?;
    }
    let used = match num(&env.call(Cmd::new("HGET").arg(l.aux).arg("sum"))?) {
        Some(mut used) => {
            for g in &gone {
                used -= member(g);
            }
            used = used.max(0.0);
            if !gone.is_empty() {
                env.call(Cmd::new("HSET").arg(l.aux).arg("sum").arg(s(used)))?;
            }
            used
        }
        None => {
            let all = value::array(env.call(Cmd::new("ZRANGE").arg(l.key).arg(0).arg(-1))?)?;
            all.iter().map(member).fold(0.0, |a, w| a + w)
        }
    };
    x.used = used;
    x.avail = (l.limit - used).max(0.0);
    x.retry = 0.0;
    let need = used + cost - l.limit;
    let mut freed = 0.0;
    if need > 0.0 {
        let first = value::array(env.call(Cmd::new("ZRANGE").arg(l.key).arg(0).arg(s(need - 1.0)).arg("WITHSCORES"))?)?;
        for pair in first.chunks(2) {
            freed += member(&pair[0]);
            x.retry = pair.get(1).and_then(num).unwrap_or(now.ms) + offset - now.ms;
            if freed >= need {
                break;
            }
        }
    }
    let last = value::array(env.call(Cmd::new("ZRANGE").arg(l.key).arg(-1).arg(-1).arg("WITHSCORES"))?)?;
    x.reset = match last.get(1) {
        Some(score) => (num(score).unwrap_or(now.ms) + offset - now.ms).max(0.0),
        None => 0.0,
    };
    x.reset_c = x.reset.max(l.window);
    Ok(())
}

/// Lua's `fit`: the first elapsed time within a window at which `floor(p * (w - e) / w) <= room`.
fn fit(p: f64, room: f64, w: f64) -> Option<f64> {
    if room < 0.0 {
        return None;
    }
    if p <= room {
        return Some(0.0);
    }
    let mut e = (w - (room + 1.0) * w / p).floor() + 1.0;
    if e < w && (p * (w - e) / w).floor() > room {
        e += 1.0;
    }
    (e < w).then_some(e)
}

fn sliding_window(env: &mut Env<'_, '_>, l: &Limit<'_>, x: &mut Eval, now: &Now, cost: f64) -> Result<()> {
    let v = value::array(env.call(Cmd::new("HMGET").arg(l.key).arg("w").arg("cur").arg("prev"))?)?;
    let field = |i: usize| v.get(i).and_then(num);
    let w = l.window;
    x.id = (now.ms / w).floor();
    x.e = now.ms - x.id * w;
    let (win, mut cur, mut prev) = (field(0).unwrap_or(-1.0), field(1).unwrap_or(0.0), field(2).unwrap_or(0.0));
    if win > x.id {
        x.id = win;
        x.e = 0.0;
    }
    if win == x.id - 1.0 {
        prev = cur;
        cur = 0.0;
    } else if win != x.id {
        prev = 0.0;
        cur = 0.0;
    }
    x.cur = cur;
    x.prev = prev;
    x.avail = (l.limit - ((prev * (w - x.e) / w).floor() + cur)).max(0.0);
    let here = fit(prev, l.limit - cost - cur, w);
    let later = fit(cur, l.limit - cost, w);
    x.retry = match (here, later) {
        (Some(h), _) => h - x.e,
        (None, Some(n)) => w - x.e + n,
        (None, None) => 2.0 * w - x.e,
    };
    x.reset = if cur > 0.0 {
        2.0 * w - x.e
    } else if prev > 0.0 {
        w - x.e
    } else {
        0.0
    };
    x.reset_c = if cur + cost > 0.0 { 2.0 * w - x.e } else { x.reset };
    Ok(())
}

fn token_bucket(env: &mut Env<'_, '_>, l: &Limit<'_>, x: &mut Eval, now: &Now, cost: f64) -> Result<()> {
    let v = value::array(env.call(Cmd::new("HMGET").arg(l.key).arg("tokens").arg("ts"))?)?;
    let (mut tokens, mut ts) = match (v.first().and_then(num), v.get(1).and_then(num)) {
        (Some(t), Some(s)) => (t, s),
        _ => (l.limit, now.ms),
    };
    if now.ms > ts {
        let k = ((now.ms - ts) / l.p2).floor();
        tokens += k * l.p1;
        ts += k * l.p2;
    }
    if tokens >= l.limit {
        tokens = l.limit;
        ts = now.ms;
    }
    x.tokens = tokens;
    x.ts = ts;
    let full_in = |have: f64| {
        if have >= l.limit {
            0.0
        } else {
            ts + ((l.limit - have) / l.p1).ceil() * l.p2 - now.ms
        }
    };
    x.avail = tokens.max(0.0);
    x.retry = ts + ((cost - tokens) / l.p1).ceil() * l.p2 - now.ms;
    x.reset = full_in(tokens);
    x.reset_c = full_in(tokens - cost);
    Ok(())
}

fn gcra(env: &mut Env<'_, '_>, l: &Limit<'_>, x: &mut Eval, now: &Now, cost: f64) -> Result<()> {
    let dvt = l.emission * l.p1;
    let mut tat = num(&env.call(Cmd::new("GET").arg(l.key))?).unwrap_or(now.us);
    if tat < now.us {
        tat = now.us;
    }
    if tat > now.us + dvt {
        tat = now.us + dvt;
    }
    x.new_tat = tat + l.emission * cost;
    x.avail = ((dvt - (tat - now.us)) / l.emission).floor().max(0.0);
    x.retry = ((x.new_tat - dvt - now.us) / 1000.0).ceil();
    x.reset = ((tat - now.us) / 1000.0).ceil();
    x.reset_c = ((x.new_tat - now.us) / 1000.0).ceil();
    Ok(())
}

fn evaluate(env: &mut Env<'_, '_>, l: &Limit<'_>, now: &Now, cost: f64) -> Result<Eval> {
    let mut x = Eval::default();
    let blocked = pttl(env, l.bkey)?;
    if blocked > 0.0 {
        x.blocked = true;
        (x.avail, x.retry, x.reset, x.reset_c) = (0.0, blocked, blocked, blocked);
    } else {
        match l.algo {
            Algo::FixedWindow => fixed_window(env, l, &mut x)?,
            Algo::SlidingLog => sliding_log(env, l, &mut x, now, cost)?,
            Algo::Concurrency => log(env, l, &mut x, now, cost, 0.0)?,
            Algo::SlidingWindow => sliding_window(env, l, &mut x, now, cost)?,
            Algo::TokenBucket => token_bucket(env, l, &mut x, now, cost)?,
            Algo::Gcra => gcra(env, l, &mut x, now, cost)?,
        }
    }
    x.ok = !x.blocked && cost <= x.avail;
    if cost > l.cap {
        x.retry = -1.0;
    }
    Ok(x)
}

/// Lua's `commit`: records the call; returns the lease (concurrency) or empty.
fn commit(env: &mut Env<'_, '_>, l: &Limit<'_>, x: &Eval, now: &Now, cost: f64, lease: &[u8]) -> Result<Vec<u8>> {
    match l.algo {
        Algo::FixedWindow => {
            if x.ttl == 0.0 || x.ttl == -2.0 {
                env.call(Cmd::new("SET").arg(l.key).arg(s(cost)).arg("PX").arg(s(l.window)))?;
            } else {
                env.call(Cmd::new("INCRBY").arg(l.key).arg(s(cost)))?;
                if x.ttl < 0.0 {
                    env.call(Cmd::new("PEXPIRE").arg(l.key).arg(s(l.window)))?;
                }
            }
        }
        Algo::SlidingLog => {
            let stored = x.seq.clone().unwrap_or_else(|| b"0".to_vec());
            let seq = match num(&Value::Bulk(stored)) {
                Some(n) if n == n.floor() => n + 1.0,
                _ => value::int(&env.call(Cmd::new("HINCRBY").arg(l.aux).arg("seq").arg(1))?)? as f64,
            };
            env.call(Cmd::new("ZADD").arg(l.key).arg(s(now.ms)).arg(format!("{}:{}", s(seq), s(cost))))?;
            let heavy = x.heavy + if cost > 1.0 { 1.0 } else { 0.0 };
            let last = x.last.unwrap_or(now.ms).max(now.ms);
            let exp = now.ms + l.window;
            env.call(
                Cmd::new("HSET")
                    .arg(l.aux)
                    .arg("sum")
                    .arg(s(x.used + cost))
                    .arg("seq")
                    .arg(s(seq))
                    .arg("heavy")
                    .arg(s(heavy))
                    .arg("last")
                    .arg(s(last))
                    .arg("exp")
                    .arg(s(exp)),
            )?;
            if x.exp != Some(exp) || x.used == 0.0 {
                env.call(Cmd::new("PEXPIRE").arg(l.key).arg(s(l.window)))?;
                env.call(Cmd::new("PEXPIRE").arg(l.aux).arg(s(l.window)))?;
            }
        }
        Algo::Concurrency => {
            let mut member = lease.to_vec();
            member.extend_from_slice(format!(":{}", s(cost)).as_bytes());
            env.call(Cmd::new("ZADD").arg(l.key).arg(s(now.ms + l.window)).arg(&member))?;
            env.call(Cmd::new("HSET").arg(l.aux).arg("sum").arg(s(x.used + cost)))?;
            env.call(Cmd::new("PEXPIRE").arg(l.key).arg(s(l.window)))?;
            env.call(Cmd::new("PEXPIRE").arg(l.aux).arg(s(l.window)))?;
            return Ok(member);
        }
        Algo::SlidingWindow => {
            env.call(
                Cmd::new("HSET")
                    .arg(l.key)
                    .arg("w")
                    .arg(s(x.id))
                    .arg("cur")
                    .arg(s(x.cur + cost))
                    .arg("prev")
                    .arg(s(x.prev)),
            )?;
            env.call(Cmd::new("PEXPIRE").arg(l.key).arg(s(2.0 * l.window - x.e)))?;
        }
        Algo::TokenBucket => {
            env.call(Cmd::new("HSET").arg(l.key).arg("tokens").arg(s(x.tokens - cost)).arg("ts").arg(s(x.ts)))?;
            env.call(Cmd::new("PEXPIRE").arg(l.key).arg(s(x.reset_c)))?;
        }
        Algo::Gcra => {
            env.call(Cmd::new("SET").arg(l.key).arg(s(x.new_tat)).arg("PX").arg(s(x.reset_c)))?;
        }
    }
    Ok(Vec::new())
}

fn check(env: &mut Env<'_, '_>, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let n = keys.len() / 3;
    if n < 1 || keys.len() % 3 != 0 || args.len() != 3 + 6 * n {
        return Err(err("ERR limiter_check needs 3 keys per limit and 3 + 6 per limit arguments"));
    }
    let cost = int(&args[0]).ok_or_else(|| err("ERR limiter cost must be an integer from 0 to 1e12"))?;
    let peek = args[1] == b"peek";
    if !peek && args[1] != b"consume" {
        return Err(err("ERR limiter mode must be consume or peek"));
    }
    let limits = (0..n).map(|i| parse_limit(keys, args, i, peek)).collect::<Result<Vec<_>>>()?;
    let now = Now { us: env.time_us() as f64, ms: env.time_ms() as f64 };
    let mut evals = Vec::with_capacity(n);
    for l in &limits {
        evals.push(evaluate(env, l, &now, cost)?);
    }
    let record = evals.iter().all(|x| x.ok) && !peek && cost > 0.0;
    let mut out = Vec::with_capacity(n);
    for (l, x) in limits.iter().zip(&evals) {
        let (mut remaining, mut reset, mut retry, mut lease) = (x.avail, x.reset, 0.0, Vec::new());
        if record {
            remaining = x.avail - cost;
            reset = x.reset_c;
            lease = commit(env, l, x, &now, cost, &args[2])?;
        } else if x.dirty {
            env.call(Cmd::new("HSET").arg(l.aux).arg("sum").arg(s(x.used)).arg("heavy").arg(s(x.heavy)))?;
        }
        if !record && !x.ok {
            retry = x.retry;
            if !peek && !x.blocked && l.block > 0.0 {
                env.call(Cmd::new("SET").arg(l.bkey).arg("1").arg("PX").arg(s(l.block)))?;
                if retry >= 0.0 && retry < l.block {
                    retry = l.block;
                }
                reset = reset.max(l.block);
            }
        }
        out.push(Value::Array(vec![
            Value::Int(i64::from(x.ok)),
            lua_number_reply(remaining),
            lua_number_reply(l.cap),
            lua_number_reply(reset),
            lua_number_reply(retry),
            Value::Bulk(lease),
        ]));
    }
    Ok(Value::Array(out))
}

fn release(env: &mut Env<'_, '_>, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    if keys.len() != 2 || args.len() != 1 {
        return Err(err("ERR limiter_release needs 2 keys and 1 argument"));
    }
    let score = env.call(Cmd::new("ZSCORE").arg(&keys[0]).arg(&args[0]))?;
    if score.is_nil() {
        return Ok(Value::Int(0));
    }
    env.call(Cmd::new("ZREM").arg(&keys[0]).arg(&args[0]))?;
    if let Some(sum) = num(&env.call(Cmd::new("HGET").arg(&keys[1]).arg("sum"))?) {
        let left = (sum - weight(&args[0])).max(0.0);
        env.call(Cmd::new("HSET").arg(&keys[1]).arg("sum").arg(s(left)))?;
    }
    let score = value::float(&score).unwrap_or(f64::INFINITY);
    Ok(Value::Int(i64::from(score > env.time_ms() as f64)))
}
