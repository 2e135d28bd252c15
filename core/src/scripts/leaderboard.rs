//! The leaderboard's two operations that need a script: the atomic read of a member's
//! neighbours (its rank, then the range around it), and a write that renews the board's TTL
//! only when the write succeeded. Every other leaderboard operation is a single command or a
//! MULTI/EXEC pipeline of reads and needs no script.

use super::{script_error, tonumber, Env, Script};
use crate::backend::Cmd;
use crate::error::Result;
use crate::resp::Value;

/// The largest `k` [`AROUND`] accepts: a bound on the reply, checked by the script itself.
pub const MAX_AROUND: u64 = 1_000_000;

const K_ERROR: &str = "ERR k must be an integer from 0 to 1000000";

/// `KEYS[1]` board; `ARGV` member, k, `"1"` for lowest-first boards. Replies
/// `[first_index, [member, score, …]]`, or nil when the member is absent.
pub static AROUND: Script = Script::new("leaderboard_around", include_str!("lua/leaderboard_around.lua"), around);

fn around(env: &mut Env<'_, '_>, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let (Some(key), Some(member), Some(k)) = (keys.first(), args.first(), args.get(1)) else {
        return Err(script_error("ERR leaderboard_around needs KEYS[1], ARGV[1] and ARGV[2]"));
    };
    let k = tonumber(k)
        .filter(|k| *k >= 0.0 && *k <= MAX_AROUND as f64 && k.fract() == 0.0)
        .ok_or_else(|| script_error(K_ERROR))? as i64;
    let ascending = args.get(2).is_some_and(|a| a == b"1");
    let rank_cmd = if ascending { "ZRANK" } else { "ZREVRANK" };
    let rank = match env.call(Cmd::new(rank_cmd).arg(key).arg(member))? {
        Value::Int(r) => r,
        _ => return Ok(Value::Nil),
    };
    let first = (rank - k).max(0);
    let mut range = Cmd::new("ZRANGE").arg(key).arg(first).arg(rank + k);
    if !ascending {
        range.push("REV");
    }
    range.push("WITHSCORES");
    let entries = env.call(range)?;
    Ok(Value::Array(vec![Value::Int(first), entries]))
}

const WRITE_ERROR: &str = "ERR leaderboard_write runs ZADD or ZINCRBY";

/// `KEYS[1]` board; `ARGV` TTL in ms (`"0"`: none), `ZADD` or `ZINCRBY`, then that command's
/// arguments after the key. Runs the command, then `PEXPIRE`s the board if it succeeded and
/// the TTL is above 0; replies what the command replied.
pub static WRITE: Script = Script::new("leaderboard_write", include_str!("lua/leaderboard_write.lua"), write);

fn write(env: &mut Env<'_, '_>, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let (Some(key), Some(ttl), Some(command)) = (keys.first(), args.first(), args.get(1)) else {
        return Err(script_error("ERR leaderboard_write needs KEYS[1], ARGV[1] and ARGV[2]"));
    };
    if command != b"ZADD" && command != b"ZINCRBY" {
        return Err(script_error(WRITE_ERROR));
    }
    if args.len() < 4 {
        return Err(script_error("ERR leaderboard_write needs a score and a member"));
    }
    let mut argv = vec![command.clone(), key.clone()];
    argv.extend(args.iter().skip(2).cloned());
    let reply = env.call(Cmd::from_argv(argv))?;
    if tonumber(ttl).is_some_and(|t| t > 0.0) {
        env.call(Cmd::new("PEXPIRE").arg(key).arg(ttl))?;
    }
    Ok(reply)
}
