//! The stream pattern's one operation that must be atomic (see [`crate::patterns::stream`]):
//! moving entries that were delivered too often to a dead-letter stream and acknowledging them in
//! the same step. Everything else the stream pattern does is a single Redis command.

use super::{script_error, tonumber, Env, Script};
use crate::backend::value::{array, bytes, int};
use crate::command;
use crate::error::Result;
use crate::resp::Value;

/// Dead-letters pending entries delivered at least N times: see `lua/stream_dead_letter.lua`.
pub static DEAD_LETTER: Script =
    Script::new("stream_dead_letter", include_str!("lua/stream_dead_letter.lua"), dead_letter);

/// `whole` of the Lua source: a whole number in `lo..=hi`.
fn whole(v: Option<&Vec<u8>>, lo: f64, hi: f64) -> Option<f64> {
    tonumber(v?).filter(|n| n.fract() == 0.0 && *n >= lo && *n <= hi)
}

fn dead_letter(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    if keys.len() < 2 || args.len() < 5 {
        return Err(script_error("ERR this script needs 2 keys and 5 arguments"));
    }
    let Some(max) = whole(args.get(1), 1.0, 1e12) else {
        return Err(script_error("ERR max deliveries must be a whole number in 1..1e12"));
    };
    let Some(idle) = whole(args.get(2), 0.0, 1e12) else {
        return Err(script_error("ERR min idle must be a whole number of ms in 0..1e12"));
    };
    let Some(count) = whole(args.get(3), 1.0, 1e6) else {
        return Err(script_error("ERR count must be a whole number in 1..1000000"));
    };
    let Some(cap) = whole(args.get(4), 0.0, 1e12) else {
        return Err(script_error("ERR dead-letter cap must be a whole number in 0..1e12"));
    };
    let (stream, dead, group) = (&keys[0], &keys[1], &args[0]);
    let pending = env.call(command!("XPENDING", stream, group, "IDLE", idle as i64, "-", "+", count as i64))?;
    let (mut moved, mut dropped) = (Vec::new(), Vec::new());
    for p in array(pending)? {
        let p = array(p)?;
        let field = |i: usize| p.get(i).cloned().unwrap_or(Value::Nil);
        let deliveries = int(&field(3))?;
        if (deliveries as f64) < max {
            continue;
        }
        let id = bytes(&field(0))?;
        let found = array(env.call(command!("XRANGE", stream, &id, &id))?)?;
        match found.into_iter().next() {
            Some(entry) => {
                let mut xadd = command!("XADD", dead);
                if cap > 0.0 {
                    xadd = xadd.arg("MAXLEN").arg(cap as i64);
                }
                xadd = xadd.arg("*").arg("dead:id").arg(&id).arg("dead:group").arg(group);
                xadd = xadd.arg("dead:consumer").arg(bytes(&field(1))?).arg("dead:deliveries").arg(deliveries);
                let fields = array(entry)?.into_iter().nth(1).map(array).transpose()?.unwrap_or_default();
                for f in &fields {
                    xadd.push(bytes(f)?);
                }
                env.call(xadd)?;
                moved.push(Value::Bulk(id.clone()));
            }
            None => dropped.push(Value::Bulk(id.clone())),
        }
        env.call(command!("XACK", stream, group, &id))?;
    }
    Ok(Value::Array(vec![Value::Array(moved), Value::Array(dropped)]))
}
