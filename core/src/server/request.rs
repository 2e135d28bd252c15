//! Reading requests from a client's bytes: every complete command (RESP multibulk or inline)
//! parsed by the core's RESP [`Parser`], sizes bounded like redis-server's
//! (`proto-max-bulk-len`, `client-query-buffer-limit`), and malformed input answered with
//! redis-server's exact `Protocol error` text before the connection closes.

use crate::resp::{Parser, ParserLimits};

/// One client's request stream.
pub(crate) struct Requests {
    parser: Parser,
    max_bulk: usize,
    max_query_buffer: usize,
    authenticated: bool,
}

/// Why a client's input cannot be served: the error line to send before closing.
pub(crate) struct BadInput(pub String);

/// What a client that has not authenticated may send, like redis-server: at most 10 arguments of
/// at most 16 KiB each (anything bigger before AUTH is an attack, not a command).
const UNAUTHENTICATED: ParserLimits = ParserLimits { max_bulk: 16 * 1024, max_elements: 10, max_depth: 128 };

impl Requests {
    /// A request stream; `authenticated` false while the client must still AUTH.
    pub(crate) fn new(max_bulk: usize, max_query_buffer: usize, authenticated: bool) -> Requests {
        let mut requests =
            Requests { parser: Parser::with_limits(UNAUTHENTICATED), max_bulk, max_query_buffer, authenticated: false };
        if authenticated {
            requests.authenticate();
        }
        requests
    }

    /// True once the client's size limits are the full ones.
    pub(crate) fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// The client authenticated: the full size limits apply from the next command on.
    pub(crate) fn authenticate(&mut self) {
        self.authenticated = true;
        let limits =
            ParserLimits { max_bulk: self.max_bulk, max_elements: i32::MAX as usize, ..ParserLimits::default() };
        self.parser.set_limits(limits);
    }

    /// Takes received bytes; an error once more is buffered than the query buffer limit allows.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<(), BadInput> {
        self.parser.feed(bytes);
        if self.parser.pending() > self.max_query_buffer {
            return Err(BadInput("ERR Protocol error: query buffer limit reached".into()));
        }
        Ok(())
    }

    /// Appends the complete commands buffered to `out`: all of them, or, before the client has
    /// authenticated, one (the next is parsed under the limits its AUTH leaves).
    pub(crate) fn drain_into(&mut self, out: &mut Vec<Vec<Vec<u8>>>) -> Result<(), BadInput> {
        loop {
            match self.parser.next_command() {
                Ok(Some(argv)) => {
                    out.push(argv);
                    if !self.authenticated {
                        return Ok(());
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) => {
                    let max_bulk = if self.authenticated { self.max_bulk } else { UNAUTHENTICATED.max_bulk };
                    let why = redis_protocol_error(self.parser.pending_bytes(), max_bulk, self.authenticated)
                        .map_or_else(|| e.to_string(), |w| format!("Protocol error: {w}"));
                    return Err(BadInput(format!("ERR {why}")));
                }
            }
        }
    }
}

/// A header line (`*3`, `$5`) after its type byte, and the bytes after its CRLF.
fn header_line(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = b.windows(2).position(|w| w == b"\r\n")?;
    Some((&b[..end], &b[end + 2..]))
}

fn number(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// What redis-server says about the malformed request at the start of `b` (its
/// processMultibulkBuffer / processInlineBuffer messages); None when it is none of those.
fn redis_protocol_error(b: &[u8], max_bulk: usize, authenticated: bool) -> Option<String> {
    let Some(rest) = b.strip_prefix(b"*") else {
        let too_big = !b.contains(&b'\n');
        return Some(if too_big { "too big inline request" } else { "unbalanced quotes in request" }.into());
    };
    let Some((count, mut rest)) = header_line(rest) else { return Some("too big mbulk count string".into()) };
    let Some(count) = number(count).filter(|&n| n <= i64::from(i32::MAX)) else {
        return Some("invalid multibulk length".into());
    };
    if !authenticated && count > UNAUTHENTICATED.max_elements as i64 {
        return Some("unauthenticated multibulk length".into());
    }
    for _ in 0..count {
        let Some(&first) = rest.first() else { break };
        if first != b'$' {
            return Some(format!("expected '$', got '{}'", first as char));
        }
        let Some((len, after)) = header_line(&rest[1..]) else { return Some("too big bulk count string".into()) };
        let Some(len) = number(len).and_then(|n| usize::try_from(n).ok()) else {
            return Some("invalid bulk length".into());
        };
        if len > max_bulk {
            return Some(if authenticated { "invalid bulk length" } else { "unauthenticated bulk length" }.into());
        }
        rest = after.get(len + 2..)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(input: &[u8]) -> String {
        let mut r = Requests::new(512 * 1024 * 1024, 1 << 30, true);
        let mut out = Vec::new();
        let fed = r.feed(input).and_then(|_| r.drain_into(&mut out));
        fed.err().map(|e| e.0).unwrap_or_default()
    }

    #[test]
    fn malformed_requests_get_redis_texts() {
        assert_eq!(error_of(b"*1\r\n$629145600\r\n"), "ERR Protocol error: invalid bulk length");
        assert_eq!(error_of(b"*x\r\n"), "ERR Protocol error: invalid multibulk length");
        assert_eq!(error_of(b"*1\r\n:5\r\n"), "ERR Protocol error: expected '$', got ':'");
        assert_eq!(error_of(b"SET k \"v\r\n"), "ERR Protocol error: unbalanced quotes in request");
        assert_eq!(error_of(&[b'x'; 70_000]), "ERR Protocol error: too big inline request");
    }

    #[test]
    fn unauthenticated_clients_send_small_commands_one_at_a_time() {
        let mut r = Requests::new(1 << 20, 1 << 30, false);
        let mut out = Vec::new();
        assert!(r.feed(b"AUTH pw\r\nPING\r\n").is_ok());
        assert!(r.drain_into(&mut out).is_ok());
        assert_eq!(out.len(), 1, "the next command waits for AUTH's outcome");
        let mut r = Requests::new(1 << 20, 1 << 30, false);
        assert!(r.feed(b"*1\r\n$20000\r\n").is_ok());
        let e = r.drain_into(&mut out).err().map(|e| e.0);
        assert_eq!(e.as_deref(), Some("ERR Protocol error: unauthenticated bulk length"));
        let mut r = Requests::new(1 << 20, 1 << 30, false);
        assert!(r.feed(b"*11\r\n").is_ok());
        let e = r.drain_into(&mut out).err().map(|e| e.0);
        assert_eq!(e.as_deref(), Some("ERR Protocol error: unauthenticated multibulk length"));
    }

    #[test]
    fn pipelined_and_inline_commands() {
        let mut r = Requests::new(1024, 1 << 20, true);
        let mut out = Vec::new();
        assert!(r.feed(b"PING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPI").is_ok());
        assert!(r.drain_into(&mut out).is_ok());
        assert_eq!(out, vec![vec![b"PING".to_vec()], vec![b"GET".to_vec(), b"k".to_vec()]]);
    }
}
