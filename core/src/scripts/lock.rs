//! The lock and semaphore scripts (see [`crate::patterns::lock`],
//! [`crate::patterns::semaphore`], [`crate::patterns::redlock`]): each atomic step as Lua for
//! Redis (`lua/lock_*.lua`, `lua/semaphore_*.lua`, where each script's contract is written) and
//! its native twin, which runs the same commands in the same order on the simulator.
//!
//! Why scripts: "is it still mine?" and "then change it" must be one step, or a lock that
//! expired between the check and the change would be released or extended on behalf of its new
//! owner. The fence counter lives beside the lock, without a TTL, so fencing tokens keep
//! increasing across every acquisition of a name.

use super::{script_error, tonumber, Env, Script};
use crate::backend::value;
use crate::command;
use crate::error::Result;
use crate::resp::Value;

/// `lock_acquire`: KEYS lock, fence, signal; ARGV token, ttl ms, reentrant, wait (0 | 1 | 2).
pub static LOCK_ACQUIRE: Script = Script::new("lock_acquire", include_str!("lua/lock_acquire.lua"), lock_acquire);
/// `lock_release`: KEYS lock, signal; ARGV token, signal ttl ms.
pub static LOCK_RELEASE: Script = Script::new("lock_release", include_str!("lua/lock_release.lua"), lock_release);
/// `lock_extend`: KEYS lock; ARGV token, ttl ms.
pub static LOCK_EXTEND: Script = Script::new("lock_extend", include_str!("lua/lock_extend.lua"), lock_extend);
/// `semaphore_acquire`: KEYS holders, signal; ARGV token, permits, lease ms.
pub static SEMAPHORE_ACQUIRE: Script =
    Script::new("semaphore_acquire", include_str!("lua/semaphore_acquire.lua"), semaphore_acquire);
/// `semaphore_release`: KEYS holders, signal; ARGV token, signal ttl ms, permits.
pub static SEMAPHORE_RELEASE: Script =
    Script::new("semaphore_release", include_str!("lua/semaphore_release.lua"), semaphore_release);
/// `semaphore_extend`: KEYS holders; ARGV token, lease ms.
pub static SEMAPHORE_EXTEND: Script =
    Script::new("semaphore_extend", include_str!("lua/semaphore_extend.lua"), semaphore_extend);
/// `semaphore_count`: KEYS holders; the number of live leases.
pub static SEMAPHORE_COUNT: Script =
    Script::new("semaphore_count", include_str!("lua/semaphore_count.lua"), semaphore_count);

const TTL_ERROR: &str = "ERR lock ttl must be a positive integer of milliseconds";
const SIGNAL_TTL_ERROR: &str = "ERR signal ttl must be a positive integer of milliseconds";
const LEASE_ERROR: &str = "ERR lease must be a positive integer of milliseconds";
const PERMITS_ERROR: &str = "ERR permits must be a positive integer";

/// The Lua check `string.match(a or '', '^[1-9]%d*$')` with at most `digits` digits: the
/// argument's digits, or the script's error.
fn positive<'a>(arg: Option<&'a Vec<u8>>, digits: usize, error: &str) -> Result<&'a [u8]> {
    match arg {
        Some(a) if !a.is_empty() && a.len() <= digits && a[0] != b'0' && a.iter().all(u8::is_ascii_digit) => Ok(a),
        _ => Err(script_error(error)),
    }
}

/// The digits as a number (exact: at most 15 digits).
fn digits_value(d: &[u8]) -> i64 {
    d.iter().fold(0i64, |n, c| n * 10 + i64::from(c - b'0'))
}

/// `redis.call('HGET', lock, 'token') == ARGV[1]`.
fn holds(env: &mut Env<'_, '_>, lock: &[u8], token: Option<&Vec<u8>>) -> Result<bool> {
    let owner = value::opt_bytes(&env.call(command!("HGET", lock, "token"))?)?;
    Ok(owner.is_some() && owner.as_ref() == token)
}

/// A script's key, or the error Redis gives for a missing KEYS entry used in a call.
fn key(keys: &[Vec<u8>], i: usize) -> Result<&[u8]> {
    keys.get(i)
        .map(Vec::as_slice)
        .ok_or_else(|| script_error("ERR Lua redis lib command arguments must be strings or integers"))
}

fn ints(items: &[i64]) -> Value {
    Value::Array(items.iter().map(|i| Value::Int(*i)).collect())
}

fn lock_acquire(env: &mut Env<'_, '_>, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let ttl = positive(args.get(1), 15, TTL_ERROR)?;
    let wait = args.get(3).map(Vec::as_slice);
    let lock = key(keys, 0)?;
    let owner = value::opt_bytes(&env.call(command!("HGET", lock, "token"))?)?;
    let Some(owner) = owner else {
        let fence = value::int(&env.call(command!("INCR", key(keys, 1)?))?)?;
        let token = args.first().cloned().unwrap_or_default();
        if wait == Some(b"2") {
            env.call(command!("HSET", lock, "token", token, "count", 1, "fence", fence, "waiters", 1))?;
            env.call(command!("DEL", key(keys, 2)?))?;
        } else {
            env.call(command!("HSET", lock, "token", token, "count", 1, "fence", fence))?;
        }
        env.call(command!("PEXPIRE", lock, ttl))?;
        return Ok(ints(&[1, fence, 1, digits_value(ttl), 0]));
    };
    if Some(&owner) == args.first() && args.get(2).is_some_and(|r| r == b"1") {
        let count = value::int(&env.call(command!("HINCRBY", lock, "count", 1))?)?;
        env.call(command!("PEXPIRE", lock, ttl))?;
        let stored = value::opt_bytes(&env.call(command!("HGET", lock, "fence"))?)?;
        let fence = tonumber(stored.as_deref().unwrap_or(b"0")).unwrap_or(0.0);
        return Ok(ints(&[1, fence as i64, count, digits_value(ttl), 0]));
    }
    if matches!(wait, Some(b"1" | b"2")) {
        env.call(command!("HSET", lock, "waiters", 1))?;
    }
    let now = env.time_ms() as i64;
    let pttl = value::int(&env.call(command!("PTTL", lock))?)?;
    Ok(ints(&[0, 0, 0, pttl, now]))
}

fn lock_release(env: &mut Env<'_, '_>, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let signal_ttl = positive(args.get(1), 15, SIGNAL_TTL_ERROR)?;
    let lock = key(keys, 0)?;
    let fields = value::array(env.call(command!("HMGET", lock, "token", "count", "waiters"))?)?;
    let field = |i: usize| fields.get(i).map(value::opt_bytes).transpose().map(Option::flatten);
    let owner = field(0)?;
    if owner.is_none() || owner.as_ref() != args.first() {
        return Ok(Value::Int(-1));
    }
    if field(1)?.as_deref() != Some(b"1") {
        let count = value::int(&env.call(command!("HINCRBY", lock, "count", -1))?)?;
        if count > 0 {
            return Ok(Value::Int(count));
        }
    }
    env.call(command!("DEL", lock))?;
    if field(2)?.is_some() {
        let signal = key(keys, 1)?;
        env.call(command!("DEL", signal))?;
        env.call(command!("RPUSH", signal, 1))?;
        env.call(command!("PEXPIRE", signal, signal_ttl))?;
    }
    Ok(Value::Int(0))
}

fn lock_extend(env: &mut Env<'_, '_>, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let ttl = positive(args.get(1), 15, TTL_ERROR)?;
    let lock = key(keys, 0)?;
    if !holds(env, lock, args.first())? {
        return Ok(Value::Int(0));
    }
    env.call(command!("PEXPIRE", lock, ttl))?;
    Ok(Value::Int(1))
}

/// `ZADD holders now+lease token`, then the key expires with its longest lease.
fn add_lease(env: &mut Env<'_, '_>, holders: &[u8], token: Vec<u8>, expiry: i64) -> Result<()> {
    env.call(command!("ZADD", holders, expiry, token))?;
    let last = value::array(env.call(command!("ZRANGE", holders, -1, -1, "WITHSCORES"))?)?;
    let score = last.get(1).map(value::bytes).transpose()?.unwrap_or_default();
    env.call(command!("PEXPIREAT", holders, score))?;
    Ok(())
}

fn semaphore_acquire(env: &mut Env<'_, '_>, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let permits = digits_value(positive(args.get(1), 9, PERMITS_ERROR)?);
    let lease = digits_value(positive(args.get(2), 15, LEASE_ERROR)?);
    let now = env.time_ms() as i64;
    let holders = key(keys, 0)?;
    let token = args.first().cloned().unwrap_or_default();
    env.call(command!("ZREMRANGEBYSCORE", holders, "-inf", now))?;
    let held = value::int(&env.call(command!("ZCARD", holders))?)?;
    if held < permits || !env.call(command!("ZSCORE", holders, &token))?.is_nil() {
        add_lease(env, holders, token, now + lease)?;
        let held = value::int(&env.call(command!("ZCARD", holders))?)?;
        return Ok(ints(&[1, permits - held, 0, now]));
    }
    let first = value::array(env.call(command!("ZRANGE", holders, 0, 0, "WITHSCORES"))?)?;
    let earliest = first.get(1).map(value::float).transpose()?.unwrap_or(0.0);
    Ok(ints(&[0, 0, (earliest - now as f64) as i64, now]))
}

/// A lease's expiry (ms) if `token` holds one, live or not: `ZSCORE holders token`.
fn lease_expiry(env: &mut Env<'_, '_>, holders: &[u8], token: Option<&Vec<u8>>) -> Result<Option<f64>> {
    let token = token.cloned().unwrap_or_default();
    value::opt_float(&env.call(command!("ZSCORE", holders, token))?)
}

fn semaphore_release(env: &mut Env<'_, '_>, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let signal_ttl = positive(args.get(1), 15, SIGNAL_TTL_ERROR)?;
    let permits = digits_value(positive(args.get(2), 9, PERMITS_ERROR)?);
    let now = env.time_ms() as f64;
    let holders = key(keys, 0)?;
    let Some(expiry) = lease_expiry(env, holders, args.first())? else {
        return Ok(Value::Int(0));
    };
    env.call(command!("ZREM", holders, args.first().cloned().unwrap_or_default()))?;
    if expiry <= now {
        return Ok(Value::Int(0));
    }
    let signal = key(keys, 1)?;
    env.call(command!("RPUSH", signal, 1))?;
    env.call(command!("LTRIM", signal, 0, permits - 1))?;
    env.call(command!("PEXPIRE", signal, signal_ttl))?;
    Ok(Value::Int(1))
}

fn semaphore_extend(env: &mut Env<'_, '_>, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let lease = digits_value(positive(args.get(1), 15, LEASE_ERROR)?);
    let now = env.time_ms() as i64;
    let holders = key(keys, 0)?;
    match lease_expiry(env, holders, args.first())? {
        Some(expiry) if expiry > now as f64 => {
            add_lease(env, holders, args.first().cloned().unwrap_or_default(), now + lease)?;
            Ok(Value::Int(1))
        }
        _ => Ok(Value::Int(0)),
    }
}

fn semaphore_count(env: &mut Env<'_, '_>, keys: &[Vec<u8>], _args: &[Vec<u8>]) -> Result<Value> {
    let now = env.time_ms();
    env.call(command!("ZCOUNT", key(keys, 0)?, format!("({now}"), "+inf"))
}
