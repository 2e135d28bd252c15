//! What the Redis backends share: turning redis-rs replies and errors into redkit's [`Value`]s
//! and [`Error`]s, so that a reply read from a real server is the very value the simulator
//! backend returns for the same command.
//!
//! Three things need care:
//! - redis-rs reads the RESP2 null array (`*-1`) and the null bulk string (`$-1`) alike, as one
//!   `Nil`. [`restore_nil_arrays`] puts back [`Value::NilArray`] where Redis 7.0 sends one (a
//!   blocking pop that timed out, XREAD with nothing, EXEC after a failed WATCH, LPOP with a
//!   count on a missing key, GEOPOS of a missing member …), keyed by the command that was sent.
//! - redis-rs splits an error line into a code and a detail; [`server_text`] joins them back
//!   into the server's exact text.
//! - Redis 7 appends ` script: <sha>, on @user_script:N.` to errors raised inside a script; the
//!   simulator's native twins have no such suffix, so [`strip_script_suffix`] removes it (from
//!   the simulator's EVAL errors too) and both backends report the same text.

use super::strip_script_suffix;
use crate::error::{Error, ErrorKind};
use crate::resp::Value;

/// Converts a redis-rs value to a redkit [`Value`] in RESP2 shapes (error replies nested in
/// arrays become [`Value::Error`] with the server's text).
pub(crate) fn from_redis(v: redis::Value) -> Value {
    let v = match v {
        redis::Value::Nil => Value::Nil,
        redis::Value::Int(i) => Value::Int(i),
        redis::Value::BulkString(b) => Value::Bulk(b),
        redis::Value::Array(items) => Value::Array(items.into_iter().map(from_redis).collect()),
        redis::Value::SimpleString(s) => Value::Simple(s.into_bytes()),
        redis::Value::Okay => Value::ok(),
        redis::Value::Map(pairs) => {
            Value::Map(pairs.into_iter().map(|(k, v)| (from_redis(k), from_redis(v))).collect())
        }
        redis::Value::Attribute { data, .. } => from_redis(*data),
        redis::Value::Set(items) => Value::Set(items.into_iter().map(from_redis).collect()),
        redis::Value::Double(d) => Value::Double(d),
        redis::Value::Boolean(b) => Value::Bool(b),
        redis::Value::VerbatimString { text, .. } => Value::Bulk(text.into_bytes()),
        redis::Value::BigNumber(n) => Value::BigNumber(n),
        redis::Value::Push { data, .. } => Value::Push(data.into_iter().map(from_redis).collect()),
        redis::Value::ServerError(e) => {
            Value::Error(strip_script_suffix(&join_code(e.code(), e.details())).into_bytes())
        }
        // A value kind a later redis-rs adds: keep it visible rather than guess its shape.
        other => Value::Error(format!("ERR unsupported reply {other:?}").into_bytes()),
    };
    v.into_resp2()
}

fn join_code(code: &str, detail: Option<&str>) -> String {
    match detail {
        Some(d) => format!("{code} {d}"),
        None => code.to_string(),
    }
}

/// The server's error text of a redis-rs error that carries one.
pub(crate) fn server_text(e: &redis::RedisError) -> Option<String> {
    match e.kind() {
        redis::ErrorKind::Server(_) | redis::ErrorKind::Extension => {
            e.code().map(|code| strip_script_suffix(&join_code(code, e.detail())))
        }
        _ => None,
    }
}

/// Maps a redis-rs error to redkit's: server error replies → [`ErrorKind::Reply`] with the
/// server's text; timeouts → [`ErrorKind::Timeout`]; a bad URL → [`ErrorKind::InvalidArgument`];
/// everything else (refused, dropped, I/O, TLS, authentication) → [`ErrorKind::Connection`].
pub(crate) fn map_error(e: redis::RedisError) -> Error {
    if let Some(text) = server_text(&e) {
        return Error::new(ErrorKind::Reply, text);
    }
    if e.is_timeout() {
        return Error::new(ErrorKind::Timeout, format!("redis: {e}"));
    }
    match e.kind() {
        redis::ErrorKind::InvalidClientConfig => Error::new(ErrorKind::InvalidArgument, format!("redis: {e}")),
        redis::ErrorKind::Parse | redis::ErrorKind::UnexpectedReturnType => {
            Error::new(ErrorKind::Protocol, format!("redis: {e}"))
        }
        _ => Error::new(ErrorKind::Connection, format!("redis: {e}")),
    }
}

/// Where in a MULTI a command ran: inside a transaction Redis answers a blocking list move
/// that finds nothing with a null bulk, outside it with a null array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    /// A command on its own (or in a plain pipeline).
    Alone,
    /// A command queued in MULTI, replied inside EXEC's array.
    InMulti,
}

/// Puts back the null arrays redis-rs read as plain nils, for the reply `v` to `argv`.
pub(crate) fn restore_nil_arrays(argv: &[Vec<u8>], v: Value, at: Context) -> Value {
    let Some(name) = argv.first().map(|n| String::from_utf8_lossy(n).to_ascii_uppercase()) else { return v };
    let whole_nil = match name.as_str() {
        "BLPOP" | "BRPOP" | "BZPOPMIN" | "BZPOPMAX" | "BLMPOP" | "BZMPOP" | "LMPOP" | "ZMPOP" | "XREAD"
        | "XREADGROUP" | "EXEC" => true,
        "BLMOVE" | "BRPOPLPUSH" => at == Context::Alone,
        "LPOP" | "RPOP" => argv.len() >= 3,
        _ => false,
    };
    match (v, name.as_str()) {
        (Value::Nil, _) if whole_nil => Value::NilArray,
        (Value::Array(items), "GEOPOS") => Value::Array(items.into_iter().map(nil_to_nil_array).collect()),
        (Value::Array(mut items), "XPENDING") if argv.len() == 3 && items.len() == 4 => {
            let consumers = std::mem::replace(&mut items[3], Value::Nil);
            items[3] = nil_to_nil_array(consumers);
            Value::Array(items)
        }
        (Value::Array(streams), "XREADGROUP") => Value::Array(streams.into_iter().map(deleted_entries).collect()),
        (v, _) => v,
    }
}

fn nil_to_nil_array(v: Value) -> Value {
    if v == Value::Nil {
        Value::NilArray
    } else {
        v
    }
}

/// XREADGROUP's `[stream, [[id, fields] …]]`: an entry deleted since delivery has a null array
/// for its fields.
fn deleted_entries(stream: Value) -> Value {
    let Value::Array(mut pair) = stream else { return stream };
    if let Some(Value::Array(entries)) = pair.get_mut(1) {
        for e in entries.iter_mut() {
            if let Value::Array(parts) = e {
                if parts.len() == 2 {
                    let fields = std::mem::replace(&mut parts[1], Value::Nil);
                    parts[1] = nil_to_nil_array(fields);
                }
            }
        }
    }
    Value::Array(pair)
}

/// The replies of a MULTI … EXEC sent as a plain pipeline (MULTI's `OK`, one `QUEUED` or error
/// per command, then EXEC's reply), reduced the way [`super::SimBackend`] reduces them: EXEC's
/// array with each reply in its RESP2 shape, an error reply to EXEC (EXECABORT) as
/// [`ErrorKind::Reply`], a null EXEC (a WATCHed key changed) as an EXECABORT reply error.
pub(crate) fn exec_replies(cmds: &[crate::backend::Cmd], mut replies: Vec<Value>) -> crate::Result<Vec<Value>> {
    match replies.pop() {
        Some(Value::Array(items)) => {
            Ok(items.into_iter().zip(cmds).map(|(v, c)| restore_nil_arrays(c.args(), v, Context::InMulti)).collect())
        }
        Some(Value::Error(e)) => Err(Error::new(ErrorKind::Reply, String::from_utf8_lossy(&e).into_owned())),
        Some(Value::Nil | Value::NilArray) => Err(Error::new(ErrorKind::Reply, "EXECABORT transaction aborted")),
        other => Err(Error::new(ErrorKind::Protocol, format!("unexpected EXEC reply {other:?}"))),
    }
}

/// Builds a redis-rs command from an argv.
pub(crate) fn to_redis_cmd(argv: &[Vec<u8>]) -> redis::Cmd {
    let mut c = redis::Cmd::new();
    for a in argv {
        c.arg(a.as_slice());
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_suffix_goes_and_other_text_stays() {
        let sha = "b41e2b0a8c2b5c3d4e5f60718293a4b5c6d7e8f9";
        let text = format!(
            "WRONGTYPE Operation against a key holding the wrong kind of value script: {sha}, on @user_script:1."
        );
        assert_eq!(strip_script_suffix(&text), "WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(strip_script_suffix("ERR plain"), "ERR plain");
        assert_eq!(strip_script_suffix("ERR my script: not a sha"), "ERR my script: not a sha");
    }

    #[test]
    fn null_arrays_come_back_by_command() {
        let argv = |s: &str| s.split(' ').map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(restore_nil_arrays(&argv("BLPOP q 1"), Value::Nil, Context::Alone), Value::NilArray);
        assert_eq!(restore_nil_arrays(&argv("GET k"), Value::Nil, Context::Alone), Value::Nil);
        assert_eq!(restore_nil_arrays(&argv("LPOP k"), Value::Nil, Context::Alone), Value::Nil);
        assert_eq!(restore_nil_arrays(&argv("LPOP k 2"), Value::Nil, Context::Alone), Value::NilArray);
        assert_eq!(restore_nil_arrays(&argv("BLMOVE a b LEFT LEFT 1"), Value::Nil, Context::InMulti), Value::Nil);
        let geo = Value::Array(vec![Value::Nil]);
        assert_eq!(restore_nil_arrays(&argv("GEOPOS g m"), geo, Context::Alone), Value::Array(vec![Value::NilArray]));
    }
}
