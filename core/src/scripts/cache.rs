//! The cache's atomic steps ([`crate::patterns::cache`]): read an entry and take the load lock
//! in one step ([`CACHE_GET`]), store an entry and hand it to the waiting processes
//! ([`CACHE_SET`]), and give the load lock up without a value ([`CACHE_UNLOCK`]).
//!
//! Why scripts: a miss must register the caller as a waiter in the same step that finds the lock
//! taken, or the loader could publish its value between the two and leave the waiter blocked
//! until its timeout; a store must release the lock and push the value to exactly the waiters
//! counted so far; and the namespace version must be read in the same step as the entry it
//! stamps, or a concurrent version bump would be lost. Each Lua file's header documents its
//! KEYS and ARGV; the native twins below run the same command sequence on the simulator.

use super::{lua_number_reply, script_error, tonumber, Env, Script};
use crate::backend::value::opt_bytes;
use crate::backend::Cmd;
use crate::error::Result;
use crate::resp::Value;

/// Reads an entry (honouring the namespace version), decides XFetch early recomputation with
/// the server's clock, and optionally takes the load lock or registers as a waiter.
pub static CACHE_GET: Script = Script::new("cache_get", include_str!("lua/cache_get.lua"), cache_get);

/// Stores an entry with its tags, releases the load lock, pushes the value to the waiters,
/// publishes an invalidation and appends to the write-behind stream.
pub static CACHE_SET: Script = Script::new("cache_set", include_str!("lua/cache_set.lua"), cache_set);

/// Releases the load lock without a value and tells the waiters with a marker.
pub static CACHE_UNLOCK: Script = Script::new("cache_unlock", include_str!("lua/cache_unlock.lua"), cache_unlock);

/// `tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`: the server time in ms.
fn now_ms(env: &Env) -> f64 {
    env.time_ms() as f64
}

/// Lua's `tostring` of an integral number well inside 1e14, as `HSET` receives it.
fn int_text(n: f64) -> String {
    format!("{}", n as i64)
}

/// `tonumber(x)` where `x` is an ARGV entry or a reply that may be nil.
fn number(v: Option<&[u8]>) -> Option<f64> {
    v.and_then(tonumber)
}

fn is_int(n: f64) -> bool {
    n == n.floor()
}

/// The script's error when the caller passed fewer keys than it documents.
fn need_keys(keys: &[Vec<u8>], n: usize, script: &str) -> Result<()> {
    if keys.len() < n {
        return Err(script_error(format!("ERR {script} needs {n} keys")));
    }
    Ok(())
}

fn cache_get(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need_keys(keys, 5, "cache_get")?;
    let arg = |i: usize| args.get(i).map(Vec::as_slice);
    let mode = number(arg(0));
    if mode != Some(0.0) && mode != Some(1.0) {
        return Err(script_error("ERR cache_get mode must be 0 or 1"));
    }
    let factor = match number(arg(3)) {
        Some(f) if f >= 0.0 => f,
        _ => return Err(script_error("ERR cache_get xfetch factor must be a number >= 0")),
    };
    let now = now_ms(env);
    let ver = opt_bytes(&env.call(Cmd::new("GET").arg(&keys[1]))?)?.unwrap_or_else(|| b"0".to_vec());
    let e = env.call(Cmd::new("HMGET").arg(&keys[0]).arg("k").arg("v").arg("d").arg("f").arg("g"))?;
    let field = |i: usize| e.as_array().and_then(|a| a.get(i)).and_then(Value::as_bytes).map(<[u8]>::to_vec);
    let (mut kind, mut payload, mut delta, mut left) = (0.0, Vec::new(), 0.0, 0.0);
    if let Some(k) = field(0) {
        if field(4).as_deref() == Some(ver.as_slice()) {
            kind = tonumber(&k).unwrap_or(0.0);
            payload = field(1).unwrap_or_default();
            delta = number(field(2).as_deref()).unwrap_or(0.0);
            left = number(field(3).as_deref()).unwrap_or(0.0) - now;
        } else {
            env.call(Cmd::new("UNLINK").arg(&keys[0]))?;
        }
    }
    let early = kind == 1.0 && left > 0.0 && delta * factor >= left;
    let mut lock = -1.0;
    if mode == Some(1.0) && (kind == 0.0 || left <= 0.0 || early) {
        match number(arg(2)) {
            Some(ms) if ms >= 1.0 && is_int(ms) => {}
            _ => return Err(script_error("ERR cache_get lock_ms must be a positive integer")),
        }
        let ms = arg(2).unwrap_or_default();
        let token = arg(1).unwrap_or_default();
        let set = env.call(Cmd::new("SET").arg(&keys[2]).arg(token).arg("NX").arg("PX").arg(ms))?;
        if !set.is_nil() {
            env.call(Cmd::new("DEL").arg(&keys[3]).arg(&keys[4]))?;
            lock = 1.0;
        } else {
            lock = 0.0;
            if kind != 1.0 {
                env.call(Cmd::new("INCR").arg(&keys[3]))?;
                env.call(Cmd::new("PEXPIRE").arg(&keys[3]).arg(ms))?;
            }
        }
    }
    Ok(Value::Array(vec![
        lua_number_reply(kind),
        Value::Bulk(payload),
        lua_number_reply(delta),
        lua_number_reply(left),
        lua_number_reply(now),
        lua_number_reply(lock),
        lua_number_reply(if early { 1.0 } else { 0.0 }),
    ]))
}

/// An ARGV integer of ms in `lo..=1e12`, or the script's error naming `what`.
fn ms_arg(v: Option<&[u8]>, lo: f64, msg: &str) -> Result<f64> {
    match number(v) {
        Some(n) if n >= lo && n <= 1e12 && is_int(n) => Ok(n),
        _ => Err(script_error(msg)),
    }
}

fn cache_set(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need_keys(keys, 6, "cache_set")?;
    let arg = |i: usize| args.get(i).map(Vec::as_slice);
    let kind = number(arg(0));
    if kind != Some(1.0) && kind != Some(2.0) {
        return Err(script_error("ERR cache_set kind must be 1 or 2"));
    }
    let fresh = ms_arg(arg(2), 1.0, "ERR cache_set ttl must be an integer of ms in 1..1e12")?;
    let stale = ms_arg(arg(3), 0.0, "ERR cache_set stale must be an integer of ms in 0..1e12")?;
    let started = match number(arg(4)) {
        Some(n) if n >= 0.0 && is_int(n) => n,
        _ => return Err(script_error("ERR cache_set started must be an integer of ms >= 0")),
    };
    let now = now_ms(env);
    let delta = if started > 0.0 && started < now { now - started } else { 0.0 };
    let tag: &[u8] = if kind == Some(2.0) { b"2" } else { b"1" };
    let payload = arg(1).unwrap_or_default();
    let ver = opt_bytes(&env.call(Cmd::new("GET").arg(&keys[1]))?)?.unwrap_or_else(|| b"0".to_vec());
    let total = fresh + stale;
    env.call(Cmd::new("DEL").arg(&keys[0]))?;
    env.call(
        Cmd::new("HSET")
            .arg(&keys[0])
            .arg("k")
            .arg(tag)
            .arg("v")
            .arg(payload)
            .arg("d")
            .arg(int_text(delta))
            .arg("f")
            .arg(int_text(now + fresh))
            .arg("g")
            .arg(ver),
    )?;
    env.call(Cmd::new("PEXPIRE").arg(&keys[0]).arg(int_text(total)))?;
    for tag_set in keys.iter().skip(6) {
        env.call(Cmd::new("SADD").arg(tag_set).arg(&keys[0]))?;
        let pttl = env.call(Cmd::new("PTTL").arg(tag_set))?.as_int().unwrap_or(-2);
        if (pttl as f64) < total {
            env.call(Cmd::new("PEXPIRE").arg(tag_set).arg(int_text(total)))?;
        }
    }
    let mut woken = 0.0;
    let token = arg(5).unwrap_or_default();
    if !token.is_empty() {
        let mut item = tag.to_vec();
        item.extend_from_slice(payload);
        woken = release_and_notify(env, [&keys[2], &keys[3], &keys[4]], token, &item)?.unwrap_or(0.0);
    }
    let channel = arg(6).unwrap_or_default();
    if !channel.is_empty() {
        env.call(Cmd::new("PUBLISH").arg(channel).arg(arg(7).unwrap_or_default()))?;
    }
    let behind = arg(8).unwrap_or_default();
    if !behind.is_empty() {
        env.call(
            Cmd::new("XADD")
                .arg(&keys[5])
                .arg("*")
                .arg("key")
                .arg(behind)
                .arg("kind")
                .arg(tag)
                .arg("value")
                .arg(payload),
        )?;
    }
    Ok(Value::Array(vec![lua_number_reply(delta), lua_number_reply(woken)]))
}

/// The common tail of `cache_set` and `cache_unlock`: if `lock` holds `token`, delete it,
/// push `item` once per counted waiter onto `notify` (kept as long as the lock had left, at
/// least 1 s) and return how many were told; `None` when the lock is not the caller's.
fn release_and_notify(
    env: &mut Env,
    [lock, waiters, notify]: [&Vec<u8>; 3],
    token: &[u8],
    item: &[u8],
) -> Result<Option<f64>> {
    if opt_bytes(&env.call(Cmd::new("GET").arg(lock))?)?.as_deref() != Some(token) {
        return Ok(None);
    }
    let keep = env.call(Cmd::new("PTTL").arg(lock))?.as_int().unwrap_or(-2).max(1000);
    env.call(Cmd::new("DEL").arg(lock))?;
    let count = opt_bytes(&env.call(Cmd::new("GET").arg(waiters))?)?;
    let woken = tonumber(count.as_deref().unwrap_or(b"0")).unwrap_or(0.0);
    env.call(Cmd::new("DEL").arg(waiters))?;
    let mut i = 1.0;
    while i <= woken {
        env.call(Cmd::new("RPUSH").arg(notify).arg(item))?;
        i += 1.0;
    }
    if woken > 0.0 {
        env.call(Cmd::new("PEXPIRE").arg(notify).arg(keep))?;
    }
    Ok(Some(woken))
}

fn cache_unlock(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need_keys(keys, 3, "cache_unlock")?;
    let arg = |i: usize| args.get(i).map(Vec::as_slice).unwrap_or_default();
    let told = release_and_notify(env, [&keys[0], &keys[1], &keys[2]], arg(0), arg(1))?;
    Ok(lua_number_reply(told.unwrap_or(-1.0)))
}
