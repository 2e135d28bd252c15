//! A test script shared by the backend tests: move `ARGV[1]` from `KEYS[1]` to `KEYS[2]` only
//! if the balance covers it — a check-then-write that is correct only when atomic.

use redkit::backend::Cmd;
use redkit::resp::Value;
use redkit::scripts::{Env, Script};

fn transfer(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> redkit::Result<Value> {
    let amount = redkit::scripts::tonumber(&args[0]).unwrap_or(0.0) as i64;
    let from = redkit::backend::value::opt_int(&env.call(Cmd::new("GET").arg(&keys[0]))?)?.unwrap_or(0);
    if from < amount {
        return Ok(Value::Int(0));
    }
    env.call(Cmd::new("DECRBY").arg(&keys[0]).arg(amount))?;
    env.call(Cmd::new("INCRBY").arg(&keys[1]).arg(amount))?;
    Ok(Value::Int(1))
}

/// The transfer script: Lua and its native twin.
pub static TRANSFER: Script = Script::new(
    "test_transfer",
    "local from = tonumber(redis.call('GET', KEYS[1]) or '0')\n\
     if from < tonumber(ARGV[1]) then return 0 end\n\
     redis.call('DECRBY', KEYS[1], ARGV[1]); redis.call('INCRBY', KEYS[2], ARGV[1]); return 1",
    transfer,
);
