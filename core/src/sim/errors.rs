//! Redis's error replies, word for word. Handlers return these through [`CmdError`]; the exact
//! text matters because clients and tests match on it.

use super::command::CmdError;

/// `ERR syntax error`
pub fn syntax() -> CmdError {
    CmdError::msg("ERR syntax error")
}

/// `WRONGTYPE …`
pub fn wrong_type() -> CmdError {
    CmdError::msg("WRONGTYPE Operation against a key holding the wrong kind of value")
}

/// `ERR value is not an integer or out of range`
pub fn not_integer() -> CmdError {
    CmdError::msg("ERR value is not an integer or out of range")
}

/// `ERR value is not a valid float`
pub fn not_float() -> CmdError {
    CmdError::msg("ERR value is not a valid float")
}

/// `ERR value is out of range, must be positive`
pub fn not_positive() -> CmdError {
    CmdError::msg("ERR value is out of range, must be positive")
}

/// `ERR no such key`
pub fn no_such_key() -> CmdError {
    CmdError::msg("ERR no such key")
}

/// `ERR index out of range`
pub fn index_out_of_range() -> CmdError {
    CmdError::msg("ERR index out of range")
}

/// `ERR increment or decrement would overflow`
pub fn overflow() -> CmdError {
    CmdError::msg("ERR increment or decrement would overflow")
}

/// `ERR timeout is not a float or out of range`
pub fn bad_timeout() -> CmdError {
    CmdError::msg("ERR timeout is not a float or out of range")
}

/// `ERR timeout is negative`
pub fn negative_timeout() -> CmdError {
    CmdError::msg("ERR timeout is negative")
}

/// `ERR wrong number of arguments for 'x' command` (name lowercased like Redis; subcommands as
/// `container|sub`).
pub fn wrong_arity(name: &str) -> CmdError {
    CmdError::msg(format!("ERR wrong number of arguments for '{}' command", name.to_ascii_lowercase()))
}

/// `ERR unknown subcommand 'x'. Try CONTAINER HELP.`
pub fn unknown_subcommand(container: &str, sub: &[u8]) -> CmdError {
    CmdError::msg(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        String::from_utf8_lossy(sub),
        container.to_ascii_uppercase()
    ))
}

/// `ERR invalid expire time in 'set' command`
pub fn invalid_expire(cmd: &str) -> CmdError {
    CmdError::msg(format!("ERR invalid expire time in '{}' command", cmd))
}

/// `ERR DB index is out of range`
pub fn db_out_of_range() -> CmdError {
    CmdError::msg("ERR DB index is out of range")
}

/// `ERR min or max is not a float`
pub fn min_max_not_float() -> CmdError {
    CmdError::msg("ERR min or max is not a float")
}

/// `ERR min or max not valid string range item`
pub fn min_max_not_lex() -> CmdError {
    CmdError::msg("ERR min or max not valid string range item")
}
