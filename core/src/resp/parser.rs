//! Incremental RESP2/RESP3 parser. Feed it bytes as they arrive; take complete values out. It
//! never panics on any input, never allocates more than the bytes it has actually received plus a
//! small bounded amount, rejects lengths over the limits (bulk ≤ 512 MiB like Redis's
//! `proto-max-bulk-len`) and bounds nesting depth so hostile input cannot exhaust the stack.

use super::Value;

/// Size limits applied while parsing.
#[derive(Debug, Clone, Copy)]
pub struct ParserLimits {
    /// Largest bulk string accepted.
    pub max_bulk: usize,
    /// Largest element count of an aggregate.
    pub max_elements: usize,
    /// Deepest nesting of aggregates.
    pub max_depth: usize,
}

impl Default for ParserLimits {
    fn default() -> Self {
        ParserLimits { max_bulk: 512 * 1024 * 1024, max_elements: 1 << 31, max_depth: 128 }
    }
}

/// Why the input is not valid RESP. After an error the stream cannot be resynchronised.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// Unknown type byte.
    BadType(u8),
    /// A length or integer line that is not a number.
    BadNumber,
    /// A length over the limits.
    TooLarge,
    /// Aggregates nested deeper than the limit.
    TooDeep,
    /// Malformed framing (missing CRLF, bad boolean, bad double …).
    Protocol(&'static str),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::BadType(b) => write!(f, "Protocol error: unexpected type byte {:?}", *b as char),
            ParseError::BadNumber => write!(f, "Protocol error: invalid length or integer"),
            ParseError::TooLarge => write!(f, "Protocol error: length over the limit"),
            ParseError::TooDeep => write!(f, "Protocol error: nesting too deep"),
            ParseError::Protocol(m) => write!(f, "Protocol error: {m}"),
        }
    }
}

impl std::error::Error for ParseError {}

/// The incremental parser.
#[derive(Debug, Default)]
pub struct Parser {
    buf: Vec<u8>,
    pos: usize,
    limits: ParserLimits,
}

type Step<T> = Result<Option<(T, usize)>, ParseError>;

impl Parser {
    /// A parser with default limits.
    pub fn new() -> Parser {
        Parser::default()
    }

    /// A parser with custom limits.
    pub fn with_limits(limits: ParserLimits) -> Parser {
        Parser { buf: Vec::new(), pos: 0, limits }
    }

    /// Changes the limits for what is parsed from now on (a server relaxes them once a client
    /// has authenticated).
    pub fn set_limits(&mut self, limits: ParserLimits) {
        self.limits = limits;
    }

    /// Appends received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > 64 * 1024 && self.pos * 2 > self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Bytes received but not yet consumed.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The bytes received but not yet consumed (a server reads them to say what is malformed).
    pub fn pending_bytes(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// The next complete value, `Ok(None)` if more bytes are needed.
    pub fn next_value(&mut self) -> Result<Option<Value>, ParseError> {
        match parse(&self.buf[self.pos..], &self.limits, 0)? {
            Some((v, used)) => {
                self.pos += used;
                Ok(Some(v))
            }
            None => Ok(None),
        }
    }

    /// The next complete value together with the exact bytes it was encoded in.
    pub fn next_value_raw(&mut self) -> Result<Option<(Value, Vec<u8>)>, ParseError> {
        match parse(&self.buf[self.pos..], &self.limits, 0)? {
            Some((v, used)) => {
                let raw = self.buf[self.pos..self.pos + used].to_vec();
                self.pos += used;
                Ok(Some((v, raw)))
            }
            None => Ok(None),
        }
    }

    /// The next complete command: a RESP array of bulk strings, or an inline command line
    /// (space-separated, with Redis's quoting) as redis-cli and telnet send. Empty lines are skipped.
    pub fn next_command(&mut self) -> Result<Option<Vec<Vec<u8>>>, ParseError> {
        loop {
            let rest = &self.buf[self.pos..];
            if rest.is_empty() {
                return Ok(None);
            }
            if rest[0] == b'*' {
                let Some((v, used)) = parse(rest, &self.limits, 0)? else { return Ok(None) };
                // Consumed only once valid: after an error the offending bytes stay pending.
                let Value::Array(items) = v else {
                    if matches!(v, Value::NilArray) {
                        self.pos += used;
                        continue;
                    }
                    return Err(ParseError::Protocol("expected '$', got something else"));
                };
                let mut argv = Vec::with_capacity(items.len());
                for it in items {
                    match it {
                        Value::Bulk(b) => argv.push(b),
                        _ => return Err(ParseError::Protocol("expected '$', got something else")),
                    }
                }
                self.pos += used;
                if argv.is_empty() {
                    continue;
                }
                return Ok(Some(argv));
            }
            let Some(nl) = rest.iter().position(|&c| c == b'\n') else {
                if rest.len() > 64 * 1024 {
                    return Err(ParseError::TooLarge);
                }
                return Ok(None);
            };
            let line = &rest[..nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let args = split_inline(line).ok_or(ParseError::Protocol("unbalanced quotes in request"))?;
            self.pos += nl + 1;
            if !args.is_empty() {
                return Ok(Some(args));
            }
        }
    }
}

/// Splits an inline command like `sdssplitargs`: spaces separate, "double quotes" support
/// `\n \r \t \b \a \\ \" \xHH`, 'single quotes' support `\'`.
pub fn split_inline(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && matches!(line[i], b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c) {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            if inq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    let hex = std::str::from_utf8(&line[i + 2..i + 4]).ok()?;
                    cur.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 3;
                } else if c == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c => break,
                    b'"' if cur.is_empty() => inq = true,
                    b'\'' if cur.is_empty() => insq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

fn find_crlf(b: &[u8]) -> Option<usize> {
    b.windows(2).position(|w| w == b"\r\n")
}

fn line(b: &[u8]) -> Option<(&[u8], usize)> {
    let end = find_crlf(b)?;
    Some((&b[..end], end + 2))
}

fn int_of(b: &[u8]) -> Result<i64, ParseError> {
    std::str::from_utf8(b).ok().and_then(|s| s.parse::<i64>().ok()).ok_or(ParseError::BadNumber)
}

fn length(b: &[u8], max: usize) -> Result<Option<usize>, ParseError> {
    let n = int_of(b)?;
    if n < 0 {
        return if n == -1 { Ok(None) } else { Err(ParseError::BadNumber) };
    }
    if n as u64 > max as u64 {
        return Err(ParseError::TooLarge);
    }
    Ok(Some(n as usize))
}

fn blob(b: &[u8], len: usize) -> Step<Vec<u8>> {
    if b.len() < len + 2 {
        return Ok(None);
    }
    if &b[len..len + 2] != b"\r\n" {
        return Err(ParseError::Protocol("bulk string not terminated by CRLF"));
    }
    Ok(Some((b[..len].to_vec(), len + 2)))
}

fn aggregate(b: &[u8], n: usize, lim: &ParserLimits, depth: usize) -> Step<Vec<Value>> {
    let mut items = Vec::with_capacity(n.min(1024));
    let mut used = 0;
    for _ in 0..n {
        let Some((v, u)) = parse(&b[used..], lim, depth + 1)? else { return Ok(None) };
        items.push(v);
        used += u;
    }
    Ok(Some((items, used)))
}

fn parse(b: &[u8], lim: &ParserLimits, depth: usize) -> Step<Value> {
    if depth > lim.max_depth {
        return Err(ParseError::TooDeep);
    }
    let Some(&t) = b.first() else { return Ok(None) };
    let Some((head, hlen)) = line(&b[1..]) else {
        if b.len() > 64 * 1024 {
            return Err(ParseError::TooLarge);
        }
        return Ok(None);
    };
    let start = 1 + hlen;
    let rest = &b[start..];
    let done = |v: Value, extra: usize| Ok(Some((v, start + extra)));
    match t {
        b'+' => done(Value::Simple(head.to_vec()), 0),
        b'-' => done(Value::Error(head.to_vec()), 0),
        b':' => done(Value::Int(int_of(head)?), 0),
        b'(' => {
            let digits = head.strip_prefix(b"-").unwrap_or(head);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(ParseError::BadNumber);
            }
            done(Value::BigNumber(head.to_vec()), 0)
        }
        b'_' => {
            if !head.is_empty() {
                return Err(ParseError::Protocol("null with payload"));
            }
            done(Value::Nil, 0)
        }
        b'#' => match head {
            b"t" => done(Value::Bool(true), 0),
            b"f" => done(Value::Bool(false), 0),
            _ => Err(ParseError::Protocol("bad boolean")),
        },
        b',' => {
            let s = std::str::from_utf8(head).map_err(|_| ParseError::Protocol("bad double"))?;
            let d = match s {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" | "-nan" => f64::NAN,
                _ => s.parse::<f64>().map_err(|_| ParseError::Protocol("bad double"))?,
            };
            done(Value::Double(d), 0)
        }
        b'$' | b'!' | b'=' => {
            let Some(len) = length(head, lim.max_bulk)? else {
                return if t == b'$' { done(Value::Nil, 0) } else { Err(ParseError::BadNumber) };
            };
            let Some((data, used)) = blob(rest, len)? else { return Ok(None) };
            let v = match t {
                b'$' => Value::Bulk(data),
                b'!' => Value::Error(data),
                _ => {
                    if data.len() < 4 || data[3] != b':' {
                        return Err(ParseError::Protocol("bad verbatim string"));
                    }
                    Value::Verbatim { format: [data[0], data[1], data[2]], text: data[4..].to_vec() }
                }
            };
            done(v, used)
        }
        b'*' | b'~' | b'>' => {
            let Some(n) = length(head, lim.max_elements)? else {
                return if t == b'*' { done(Value::NilArray, 0) } else { Err(ParseError::BadNumber) };
            };
            let Some((items, used)) = aggregate(rest, n, lim, depth)? else { return Ok(None) };
            let v = match t {
                b'*' => Value::Array(items),
                b'~' => Value::Set(items),
                _ => Value::Push(items),
            };
            done(v, used)
        }
        b'%' | b'|' => {
            let Some(n) = length(head, lim.max_elements / 2)? else { return Err(ParseError::BadNumber) };
            let Some((items, used)) = aggregate(rest, n * 2, lim, depth)? else { return Ok(None) };
            let mut it = items.into_iter();
            let mut pairs = Vec::with_capacity(n.min(1024));
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                pairs.push((k, v));
            }
            if t == b'%' {
                return done(Value::Map(pairs), used);
            }
            // An attribute annotates the value that follows; we drop the annotation.
            match parse(&rest[used..], lim, depth + 1)? {
                Some((v, u2)) => done(v, used + u2),
                None => Ok(None),
            }
        }
        other => Err(ParseError::BadType(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::{write_value, Protocol};

    fn roundtrip(v: Value, p: Protocol) -> Value {
        let mut out = Vec::new();
        write_value(&mut out, &v, p);
        let mut parser = Parser::new();
        // feed byte by byte to exercise the incremental path
        let mut got = None;
        for b in &out {
            parser.feed(std::slice::from_ref(b));
            if let Some(x) = parser.next_value().expect("valid") {
                got = Some(x);
            }
        }
        got.expect("complete")
    }

    #[test]
    fn roundtrips_resp3() {
        let v = Value::Array(vec![
            Value::bulk("a\r\nb"),
            Value::Int(-5),
            Value::Map(vec![(Value::simple("k"), Value::Double(2.5))]),
            Value::Set(vec![Value::Bool(true)]),
            Value::Nil,
            Value::Verbatim { format: *b"txt", text: b"hello".to_vec() },
            Value::BigNumber(b"123456789012345678901234567890".to_vec()),
            Value::Push(vec![Value::error("ERR x")]),
        ]);
        assert_eq!(roundtrip(v.clone(), Protocol::Resp3), v);
    }

    #[test]
    fn rejects_hostile_input() {
        let mut p = Parser::new();
        p.feed(b"$99999999999\r\n");
        assert_eq!(p.next_value(), Err(ParseError::TooLarge));
        let mut p = Parser::new();
        p.feed(&b"*1\r\n".repeat(1000));
        assert_eq!(p.next_value(), Err(ParseError::TooDeep));
        let mut p = Parser::new();
        p.feed(b"*2000000000\r\n");
        assert_eq!(p.next_value(), Ok(None));
        let mut p = Parser::new();
        p.feed(b"?\r\n");
        assert_eq!(p.next_value(), Err(ParseError::BadType(b'?')));
    }

    #[test]
    fn inline_commands() {
        let mut p = Parser::new();
        p.feed(b"SET k \"a b\\x41\" 'c\\'d'\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        assert_eq!(p.next_command(), Ok(Some(vec![b"SET".to_vec(), b"k".to_vec(), b"a bA".to_vec(), b"c'd".to_vec()])));
        assert_eq!(p.next_command(), Ok(Some(vec![b"GET".to_vec(), b"k".to_vec()])));
        assert_eq!(p.next_command(), Ok(None));
    }
}
