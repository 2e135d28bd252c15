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
}

/// Why a client's input cannot be served: the error line to send before closing.
pub(crate) struct BadInput(pub String);

impl Requests {
    pub(crate) fn new(max_bulk: usize, max_query_buffer: usize) -> Requests {
        let limits = ParserLimits { max_bulk, max_elements: i32::MAX as usize, ..ParserLimits::default() };
        Requests { parser: Parser::with_limits(limits), max_bulk, max_query_buffer }
    }

    /// Takes received bytes; an error once more is buffered than the query buffer limit allows.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<(), BadInput> {
        self.parser.feed(bytes);
        if self.parser.pending() > self.max_query_buffer {
            return Err(BadInput("ERR Protocol error: query buffer limit reached".into()));
        }
        Ok(())
    }

    /// Appends every complete command buffered to `out`.
    pub(crate) fn drain_into(&mut self, out: &mut Vec<Vec<Vec<u8>>>) -> Result<(), BadInput> {
        loop {
            match self.parser.next_command() {
                Ok(Some(argv)) => out.push(argv),
                Ok(None) => return Ok(()),
                Err(e) => {
                    let why = redis_protocol_error(self.parser.pending_bytes(), self.max_bulk)
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
fn redis_protocol_error(b: &[u8], max_bulk: usize) -> Option<String> {
    let Some(rest) = b.strip_prefix(b"*") else {
        let too_big = !b.contains(&b'\n');
        return Some(if too_big { "too big inline request" } else { "unbalanced quotes in request" }.into());
    };
    let Some((count, mut rest)) = header_line(rest) else { return Some("too big mbulk count string".into()) };
    let Some(count) = number(count).filter(|&n| n <= i64::from(i32::MAX)) else {
        return Some("invalid multibulk length".into());
    };
    for _ in 0..count {
        let Some(&first) = rest.first() else { break };
        if first != b'$' {
            return Some(format!("expected '$', got '{}'", first as char));
        }
        let Some((len, after)) = header_line(&rest[1..]) else { return Some("too big bulk count string".into()) };
        let Some(len) = number(len).and_then(|n| usize::try_from(n).ok()).filter(|&n| n <= max_bulk) else {
            return Some("invalid bulk length".into());
        };
        rest = after.get(len + 2..)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(input: &[u8]) -> String {
        let mut r = Requests::new(512 * 1024 * 1024, 1 << 30);
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
    fn pipelined_and_inline_commands() {
        let mut r = Requests::new(1024, 1 << 20);
        let mut out = Vec::new();
        assert!(r.feed(b"PING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPI").is_ok());
        assert!(r.drain_into(&mut out).is_ok());
        assert_eq!(out, vec![vec![b"PING".to_vec()], vec![b"GET".to_vec(), b"k".to_vec()]]);
    }
}
