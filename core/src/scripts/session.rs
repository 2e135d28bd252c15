//! The session store's atomic operations (see [`crate::patterns::session`]): create with the
//! per-user cap, read and write with the sliding idle TTL and the absolute deadline enforced in
//! the same script, regenerate (a new id for the same data, in one step so no request sees the
//! session under neither id), destroy, a user's index listed and revoked, save under a
//! caller-chosen id (frameworks mint their own), and the batched walk and clear of the store's
//! all-sessions index.
//!
//! A session is a hash: `m:created`, `m:deadline` (epoch ms), `m:user` (`""` for none), `m:idle`
//! (its own idle TTL in ms, only when saved with one) and one `f:<name>` field per value. Its key
//! expires after the idle TTL, never past the deadline. A user's index is a sorted set of ids
//! scored by creation time; the all-sessions index is a sorted set of ids scored by deadline.
//! Session keys named from ids in them share the store's hash tag, so every script stays in one
//! cluster slot.
//!
//! Every Lua source here starts with `session_common.lua` (argument counts and values, `TIME`,
//! the liveness check); the twins share the same steps as Rust functions.

use super::{lua_number_reply, script_error, tonumber, Env, Script};
use crate::backend::value::{array, bytes, int};
use crate::command;
use crate::error::Result;
use crate::resp::Value;

macro_rules! session_lua {
    ($file:literal) => {
        concat!(include_str!("lua/session_common.lua"), include_str!(concat!("lua/", $file)))
    };
}

/// Creates a session: see `lua/session_create.lua`.
pub static CREATE: Script = Script::new("session_create", session_lua!("session_create.lua"), create);
/// Reads a live session (all of it or some fields), sliding its TTL.
pub static READ: Script = Script::new("session_read", session_lua!("session_read.lua"), read);
/// Sets and deletes fields of a live session, sliding its TTL (a touch when given nothing).
pub static WRITE: Script = Script::new("session_write", session_lua!("session_write.lua"), write);
/// Moves a live session to a new id, keeping its data.
pub static REGENERATE: Script = Script::new("session_regenerate", session_lua!("session_regenerate.lua"), regenerate);
/// Deletes a session and unindexes it.
pub static DESTROY: Script = Script::new("session_destroy", session_lua!("session_destroy.lua"), destroy);
/// Lists a user's live sessions, pruning ended ones from the index.
pub static LIST: Script = Script::new("session_list", session_lua!("session_list.lua"), list);
/// Deletes all of a user's sessions but one (or all).
pub static REVOKE: Script = Script::new("session_revoke", session_lua!("session_revoke.lua"), revoke);
/// Creates or replaces a session under a caller-chosen id.
pub static SAVE: Script = Script::new("session_save", session_lua!("session_save.lua"), save);
/// One batch of a walk over the all-sessions index, pruning ended sessions.
pub static SCAN: Script = Script::new("session_scan", session_lua!("session_scan.lua"), scan);
/// One batch of deleting every session of a store.
pub static CLEAR: Script = Script::new("session_clear", session_lua!("session_clear.lua"), clear);

const IDLE_ERR: &str = "ERR idle ttl must be a whole number of ms in 1..1e12";

/// `need` of session_common.lua: the script's minimum KEYS and ARGV counts.
fn need(keys: &[Vec<u8>], args: &[Vec<u8>], nkeys: usize, nargs: usize) -> Result<()> {
    if keys.len() < nkeys || args.len() < nargs {
        return Err(script_error(format!("ERR this script needs {nkeys} keys and {nargs} arguments")));
    }
    Ok(())
}

/// `ms_arg` of session_common.lua: a whole number of ms in `lo..=1e12`.
fn ms_arg(v: Option<&Vec<u8>>, lo: f64) -> Option<f64> {
    tonumber(v?).filter(|n| n.fract() == 0.0 && *n >= lo && *n <= 1e12)
}

fn arg(args: &[Vec<u8>], i: usize) -> &[u8] {
    args.get(i).map_or(&[][..], Vec::as_slice)
}

fn joined(prefix: &[u8], suffix: &[u8]) -> Vec<u8> {
    [prefix, suffix].concat()
}

/// The `extend` of session_common.lua: keeps an index key alive at least `ms` more.
fn extend(env: &mut Env, key: &[u8], ms: f64) -> Result<()> {
    if (int(&env.call(command!("PTTL", key))?)? as f64) < ms {
        env.call(command!("PEXPIRE", key, ms as i64))?;
    }
    Ok(())
}

/// A whole number from an optional reply (Lua's `tonumber` of an HMGET slot, kept when integral).
fn whole(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_bytes).and_then(tonumber).filter(|n| n.fract() == 0.0)
}

/// The `touch` of session_common.lua.
fn touch(env: &mut Env, key: &[u8], id: &[u8], idle: f64, user_prefix: &[u8]) -> Result<Option<f64>> {
    let meta = array(env.call(command!("HMGET", key, "m:deadline", "m:user", "m:idle"))?)?;
    let idle = ms_arg(meta.get(2).and_then(Value::as_bytes).map(<[u8]>::to_vec).as_ref(), 1.0).unwrap_or(idle);
    let deadline = meta.first().and_then(Value::as_bytes).and_then(tonumber).filter(|d| d.fract() == 0.0);
    let Some(deadline) = deadline else { return Ok(None) };
    let now = env.time_ms() as f64;
    if now >= deadline {
        env.call(command!("DEL", key))?;
        if let Some(user) = meta.get(1).and_then(Value::as_bytes).filter(|u| !u.is_empty()) {
            env.call(command!("ZREM", joined(user_prefix, user), id))?;
        }
        return Ok(None);
    }
    let ttl = idle.min(deadline - now);
    env.call(command!("PEXPIRE", key, ttl as i64))?;
    Ok(Some(ttl))
}

fn create(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need(keys, args, 2, 6)?;
    let Some(idle) = ms_arg(args.get(1), 1.0) else { return Err(script_error(IDLE_ERR)) };
    let Some(life) = ms_arg(args.get(2), 1.0) else {
        return Err(script_error("ERR lifetime must be a whole number of ms in 1..1e12"));
    };
    let cap = tonumber(arg(args, 4)).filter(|c| c.fract() == 0.0 && (0.0..=1e6).contains(c));
    let Some(cap) = cap else { return Err(script_error("ERR cap must be a whole number in 0..1000000")) };
    if args.len() % 2 != 0 {
        return Err(script_error("ERR every field needs a value"));
    }
    let user = arg(args, 3);
    if !user.is_empty() && keys.len() < 3 {
        return Err(script_error("ERR a user needs its index key"));
    }
    let key = arg(keys, 0);
    if int(&env.call(command!("EXISTS", key))?)? == 1 {
        return Err(script_error("ERR session id already exists"));
    }
    let now = env.time_ms() as f64;
    let deadline = now + life;
    let mut hset = command!("HSET", key, "m:created", now as i64, "m:deadline", deadline as i64, "m:user", user);
    hset.push(args.get(6..).unwrap_or_default());
    env.call(hset)?;
    env.call(command!("PEXPIRE", key, idle.min(life) as i64))?;
    let all = arg(keys, 1);
    env.call(command!("ZREMRANGEBYSCORE", all, "-inf", now as i64))?;
    env.call(command!("ZADD", all, deadline as i64, arg(args, 0)))?;
    extend(env, all, life)?;
    let mut evicted = Vec::new();
    if !user.is_empty() {
        let (index, prefix) = (arg(keys, 2), arg(args, 5));
        for id in array(env.call(command!("ZRANGE", index, 0, -1))?)? {
            let id = bytes(&id)?;
            if int(&env.call(command!("EXISTS", joined(prefix, &id)))?)? == 0 {
                env.call(command!("ZREM", index, &id))?;
            }
        }
        if cap > 0.0 {
            let over = int(&env.call(command!("ZCARD", index))?)? as f64 - (cap - 1.0);
            if over > 0.0 {
                let oldest = array(env.call(command!("ZPOPMIN", index, over as i64))?)?;
                for id in oldest.iter().step_by(2) {
                    env.call(command!("DEL", joined(prefix, &bytes(id)?)))?;
                    evicted.push(id.clone());
                }
            }
        }
        env.call(command!("ZADD", index, now as i64, arg(args, 0)))?;
        env.call(command!("PEXPIRE", index, life as i64))?;
    }
    Ok(Value::Array(vec![lua_number_reply(now), lua_number_reply(deadline), Value::Array(evicted)]))
}

fn read(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need(keys, args, 1, 3)?;
    let Some(idle) = ms_arg(args.get(1), 1.0) else { return Err(script_error(IDLE_ERR)) };
    let key = arg(keys, 0);
    let Some(ttl) = touch(env, key, arg(args, 0), idle, arg(args, 2))? else { return Ok(Value::Nil) };
    let body = if args.len() <= 3 {
        env.call(command!("HGETALL", key))?
    } else {
        env.call(command!("HMGET", key, &args[3..]))?
    };
    Ok(Value::Array(vec![lua_number_reply(ttl), body]))
}

fn write(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need(keys, args, 1, 4)?;
    let Some(idle) = ms_arg(args.get(1), 1.0) else { return Err(script_error(IDLE_ERR)) };
    let n = tonumber(arg(args, 3)).filter(|n| n.fract() == 0.0 && *n >= 0.0 && 4.0 + 2.0 * n <= args.len() as f64);
    let Some(n) = n.map(|n| n as usize) else {
        return Err(script_error("ERR field count does not match the arguments"));
    };
    let key = arg(keys, 0);
    let Some(ttl) = touch(env, key, arg(args, 0), idle, arg(args, 2))? else { return Ok(Value::Nil) };
    let (sets, dels) = args[4..].split_at(2 * n);
    if !sets.is_empty() {
        env.call(command!("HSET", key, sets))?;
    }
    if !dels.is_empty() {
        env.call(command!("HDEL", key, dels))?;
    }
    Ok(lua_number_reply(ttl))
}

fn regenerate(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need(keys, args, 2, 4)?;
    let Some(idle) = ms_arg(args.get(2), 1.0) else { return Err(script_error(IDLE_ERR)) };
    let (old, new) = (arg(keys, 0), arg(keys, 1));
    if int(&env.call(command!("EXISTS", new))?)? == 1 {
        return Err(script_error("ERR session id already exists"));
    }
    let Some(ttl) = touch(env, old, arg(args, 0), idle, arg(args, 3))? else { return Ok(Value::Nil) };
    env.call(command!("RENAME", old, new))?;
    let meta = array(env.call(command!("HMGET", new, "m:user", "m:created", "m:deadline"))?)?;
    if let Some(all) = keys.get(2) {
        env.call(command!("ZREM", all, arg(args, 0)))?;
        // touch() found an integral deadline, so the slot is never nil here.
        env.call(command!("ZADD", all, meta.get(2).and_then(Value::as_bytes).unwrap_or_default(), arg(args, 1)))?;
    }
    if let Some(user) = meta.first().and_then(Value::as_bytes).filter(|u| !u.is_empty()) {
        let index = joined(arg(args, 3), user);
        if int(&env.call(command!("ZREM", &index, arg(args, 0)))?)? == 1 {
            // A nil creation time reaches ZADD as Lua's `false`, which redis.call refuses.
            let Some(created) = meta.get(1).and_then(Value::as_bytes) else {
                return Err(script_error("ERR Lua redis lib command arguments must be strings or integers"));
            };
            env.call(command!("ZADD", &index, created, arg(args, 1)))?;
        }
    }
    let all = env.call(command!("HGETALL", new))?;
    Ok(Value::Array(vec![lua_number_reply(ttl), all]))
}

fn destroy(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need(keys, args, 1, 2)?;
    let key = arg(keys, 0);
    let user = env.call(command!("HGET", key, "m:user"))?;
    if let Some(user) = user.as_bytes().filter(|u| !u.is_empty()) {
        env.call(command!("ZREM", joined(arg(args, 1), user), arg(args, 0)))?;
    }
    if let Some(all) = keys.get(1) {
        env.call(command!("ZREM", all, arg(args, 0)))?;
    }
    env.call(command!("DEL", key))
}

fn list(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need(keys, args, 1, 1)?;
    let index = arg(keys, 0);
    let items = array(env.call(command!("ZRANGE", index, 0, -1, "WITHSCORES"))?)?;
    let mut out = Vec::new();
    for pair in items.chunks(2) {
        let id = bytes(&pair[0])?;
        let key = joined(arg(args, 0), &id);
        let mut ttl = env.call(command!("PTTL", &key))?;
        if let Some(user) = args.get(1) {
            if int(&ttl)? != -2 && env.call(command!("HGET", &key, "m:user"))?.as_bytes() != Some(user.as_slice()) {
                ttl = Value::Int(-2);
            }
        }
        if int(&ttl)? == -2 {
            env.call(command!("ZREM", index, &id))?;
        } else {
            let deadline = env.call(command!("HGET", &key, "m:deadline"))?;
            out.push(Value::Array(vec![pair[0].clone(), pair.get(1).cloned().unwrap_or(Value::Nil), deadline, ttl]));
        }
    }
    Ok(Value::Array(out))
}

fn revoke(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need(keys, args, 1, 2)?;
    let index = arg(keys, 0);
    let mut n = 0;
    for id in array(env.call(command!("ZRANGE", index, 0, -1))?)? {
        let id = bytes(&id)?;
        if id != arg(args, 1) {
            let key = joined(arg(args, 0), &id);
            let owned = match args.get(2) {
                None => true,
                Some(user) => env.call(command!("HGET", &key, "m:user"))?.as_bytes() == Some(user.as_slice()),
            };
            if owned {
                n += int(&env.call(command!("DEL", &key))?)?;
            }
            env.call(command!("ZREM", index, &id))?;
        }
    }
    Ok(Value::Int(n))
}

fn save(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need(keys, args, 2, 8)?;
    let Some(idle) = ms_arg(args.get(1), 1.0) else { return Err(script_error(IDLE_ERR)) };
    let Some(life) = ms_arg(args.get(2), 1.0) else {
        return Err(script_error("ERR lifetime must be a whole number of ms in 1..1e12"));
    };
    let cap = tonumber(arg(args, 4)).filter(|c| c.fract() == 0.0 && (0.0..=1e6).contains(c));
    let Some(cap) = cap else { return Err(script_error("ERR cap must be a whole number in 0..1000000")) };
    let own = if arg(args, 7).is_empty() {
        None
    } else {
        let Some(own) = ms_arg(args.get(7), 1.0) else {
            return Err(script_error("ERR session idle ttl must be a whole number of ms in 1..1e12"));
        };
        Some(own)
    };
    if args.len() % 2 != 0 {
        return Err(script_error("ERR every field needs a value"));
    }
    let (id, user, prefix, user_prefix) = (arg(args, 0), arg(args, 3), arg(args, 5), arg(args, 6));
    if !user.is_empty() && keys.len() < 3 {
        return Err(script_error("ERR a user needs its index key"));
    }
    let (key, all) = (arg(keys, 0), arg(keys, 1));
    let now = env.time_ms() as f64;
    let meta = array(env.call(command!("HMGET", key, "m:created", "m:deadline", "m:user"))?)?;
    let (created, deadline) = match (whole(meta.first()), whole(meta.get(1))) {
        (Some(c), Some(d)) if d > now => (c, d),
        _ => (now, now + life),
    };
    if let Some(old) = meta.get(2).and_then(Value::as_bytes).filter(|u| !u.is_empty() && *u != user) {
        env.call(command!("ZREM", joined(user_prefix, old), id))?;
    }
    env.call(command!("DEL", key))?;
    let mut hset = command!("HSET", key, "m:created", created as i64, "m:deadline", deadline as i64, "m:user", user);
    hset.push(args.get(8..).unwrap_or_default());
    env.call(hset)?;
    if let Some(own) = own {
        env.call(command!("HSET", key, "m:idle", own as i64))?;
    }
    let ttl = own.unwrap_or(idle).min(deadline - now);
    env.call(command!("PEXPIRE", key, ttl as i64))?;
    env.call(command!("ZREMRANGEBYSCORE", all, "-inf", now as i64))?;
    env.call(command!("ZADD", all, deadline as i64, id))?;
    extend(env, all, deadline - now)?;
    let mut evicted = Vec::new();
    if !user.is_empty() {
        let index = arg(keys, 2);
        env.call(command!("ZREM", index, id))?;
        for other in array(env.call(command!("ZRANGE", index, 0, -1))?)? {
            let other = bytes(&other)?;
            if int(&env.call(command!("EXISTS", joined(prefix, &other)))?)? == 0 {
                env.call(command!("ZREM", index, &other))?;
            }
        }
        if cap > 0.0 {
            let over = int(&env.call(command!("ZCARD", index))?)? as f64 - (cap - 1.0);
            if over > 0.0 {
                let oldest = array(env.call(command!("ZPOPMIN", index, over as i64))?)?;
                for old in oldest.iter().step_by(2) {
                    let old_id = bytes(old)?;
                    env.call(command!("DEL", joined(prefix, &old_id)))?;
                    env.call(command!("ZREM", all, &old_id))?;
                    evicted.push(old.clone());
                }
            }
        }
        env.call(command!("ZADD", index, created as i64, id))?;
        extend(env, index, deadline - now)?;
    }
    Ok(Value::Array(vec![
        lua_number_reply(created),
        lua_number_reply(deadline),
        lua_number_reply(ttl),
        Value::Array(evicted),
    ]))
}

fn scan(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need(keys, args, 1, 4)?;
    let offset = tonumber(arg(args, 1)).filter(|n| n.fract() == 0.0 && (0.0..=1e12).contains(n));
    let count = tonumber(arg(args, 2)).filter(|n| n.fract() == 0.0 && (1.0..=1000.0).contains(n));
    let (Some(offset), Some(count)) = (offset, count) else {
        return Err(script_error("ERR offset must be a whole number >= 0 and count one in 1..1000"));
    };
    let (offset, count) = (offset as i64, count as i64);
    let index = arg(keys, 0);
    if offset == 0 {
        let now = env.time_ms() as i64;
        env.call(command!("ZREMRANGEBYSCORE", index, "-inf", now))?;
    }
    let items = array(env.call(command!("ZRANGE", index, offset, offset + count - 1))?)?;
    let (mut out, mut gone) = (Vec::new(), 0);
    for item in &items {
        let id = bytes(item)?;
        let key = joined(arg(args, 0), &id);
        let ttl = env.call(command!("PTTL", &key))?;
        if int(&ttl)? == -2 {
            env.call(command!("ZREM", index, &id))?;
            gone += 1;
        } else if arg(args, 3) == b"1" {
            let all = env.call(command!("HGETALL", &key))?;
            out.push(Value::Array(vec![item.clone(), ttl, all]));
        } else {
            out.push(item.clone());
        }
    }
    let next = if (items.len() as i64) < count { 0 } else { offset + items.len() as i64 - gone };
    Ok(Value::Array(vec![Value::Int(next), Value::Array(out)]))
}

fn clear(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    need(keys, args, 1, 3)?;
    let count = tonumber(arg(args, 2)).filter(|n| n.fract() == 0.0 && (1.0..=1000.0).contains(n));
    let Some(count) = count else { return Err(script_error("ERR count must be a whole number in 1..1000")) };
    let index = arg(keys, 0);
    let mut n = 0;
    for id in array(env.call(command!("ZRANGE", index, 0, count as i64 - 1))?)? {
        let id = bytes(&id)?;
        let key = joined(arg(args, 0), &id);
        let user = env.call(command!("HGET", &key, "m:user"))?;
        if let Some(user) = user.as_bytes().filter(|u| !u.is_empty()) {
            env.call(command!("DEL", joined(arg(args, 1), user)))?;
        }
        n += int(&env.call(command!("DEL", &key))?)?;
        env.call(command!("ZREM", index, &id))?;
    }
    let left = env.call(command!("ZCARD", index))?;
    Ok(Value::Array(vec![Value::Int(n), left]))
}
