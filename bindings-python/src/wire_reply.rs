//! A reply off a `WireConnection`'s bytes, straight into the Python values redis-py's own
//! pure-Python parsers (`_RESP2Parser`, `_RESP3Parser` in `redis/_parsers/`) would make of the
//! very same bytes: `redkit.testing`'s fake connections read replies here instead of running
//! redis-py's parser line by line in Python.
//!
//! It is a transcription of those parsers' `_read_response`: `+` and `$` bytes (and RESP3 `=`
//! without its `txt:` prefix) decoded by the connection's encoder when decoding is on, `:`/`(`
//! ints, `,` floats, `#` bools, `_` and RESP2's `$-1`/`*-1` None, `*` and `~` lists, `%` dicts;
//! an error line goes to the parser's own `parse_error` (redis-py's error classes), and a
//! `ConnectionError` among them is raised at once, others are returned as exception instances
//! (nested in a pipeline or EXEC reply, or top-level for the connection to raise). What it does
//! not handle exactly as the Python parser would — a RESP3 push (`>`, the parser runs push
//! handlers), a type the connection's protocol does not know, an incomplete reply, anything
//! unusual — it leaves unread ([`Read::Parser`]) for redis-py's parser to take from the bytes.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt;

/// How a connection's parser reads replies: set once when the connection connects.
pub struct Style {
    /// `_RESP3Parser` (else `_RESP2Parser`).
    pub resp3: bool,
    /// The encoder's `decode`, when the connection decodes responses.
    pub decode: Option<Py<PyAny>>,
    /// Whether the encoding is UTF-8: valid UTF-8 is then decoded here, anything else by `decode`.
    pub utf8: bool,
    /// The parser's `parse_error(text) -> exception`.
    pub parse_error: Py<PyAny>,
    /// `redis.exceptions.ConnectionError`: errors of this class are raised, not returned.
    pub connection_error: Py<PyAny>,
}

/// What [`read`] found at the start of the bytes.
pub enum Read {
    /// The reply and how many bytes it took.
    Value(Py<PyAny>, usize),
    /// Let redis-py's parser read it.
    Parser,
}

/// Deeper than this, redis-py's parser (and its recursion limit) decides.
const MAX_DEPTH: usize = 64;

struct Reader<'a, 'py> {
    py: Python<'py>,
    buf: &'a [u8],
    pos: usize,
    style: &'a Style,
    decode: bool,
}

/// `Ok(None)` everywhere below means "not here: leave it to redis-py's parser".
type Step<T> = PyResult<Option<T>>;

impl<'a, 'py> Reader<'a, 'py> {
    /// The next line without its CRLF (redis-py's `SocketBuffer.readline`).
    fn line(&mut self) -> Option<&'a [u8]> {
        let buf = self.buf;
        let rest = &buf[self.pos..];
        let end = (0..rest.len().saturating_sub(1)).find(|&i| rest[i] == b'\r' && rest[i + 1] == b'\n')?;
        self.pos += end + 2;
        Some(&rest[..end])
    }

    /// `n` bytes and the two after them (the CRLF, not checked, as `SocketBuffer.read` does).
    fn blob(&mut self, n: usize) -> Option<&'a [u8]> {
        let buf = self.buf;
        let rest = &buf[self.pos..];
        if rest.len() < n.checked_add(2)? {
            return None;
        }
        self.pos += n + 2;
        Some(&rest[..n])
    }

    /// A bytes reply as the parser returns it: decoded by the encoder when decoding is on.
    fn bytes(&self, b: &[u8]) -> PyResult<Py<PyAny>> {
        match &self.style.decode {
            Some(decode) if self.decode => {
                if self.style.utf8 {
                    if let Ok(s) = std::str::from_utf8(b) {
                        return PyString::new(self.py, s).into_py_any(self.py);
                    }
                }
                decode.bind(self.py).call1((PyBytes::new(self.py, b),)).map(Bound::unbind)
            }
            _ => PyBytes::new(self.py, b).into_py_any(self.py),
        }
    }

    /// `int(text)`: an i64 here, anything longer or odd by Python's `int`.
    fn int(&self, text: &[u8]) -> PyResult<Py<PyAny>> {
        match std::str::from_utf8(text).ok().and_then(|s| s.parse::<i64>().ok()) {
            Some(i) => i.into_py_any(self.py),
            None => self.builtin("int", text),
        }
    }

    /// `float(text)`: plain decimal forms here, others (inf, nan …) by Python's `float`.
    fn float(&self, text: &[u8]) -> PyResult<Py<PyAny>> {
        let plain =
            !text.is_empty() && text.iter().all(|c| matches!(c, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'));
        match std::str::from_utf8(text).ok().filter(|_| plain).and_then(|s| s.parse::<f64>().ok()) {
            Some(f) => f.into_py_any(self.py),
            None => self.builtin("float", text),
        }
    }

    fn builtin(&self, name: &str, text: &[u8]) -> PyResult<Py<PyAny>> {
        let f = self.py.import("builtins")?.getattr(name)?;
        f.call1((PyBytes::new(self.py, text),)).map(Bound::unbind)
    }

    /// An error line: `parse_error(text.decode("utf-8", "replace"))`, raised if a ConnectionError.
    fn error(&self, text: &[u8]) -> PyResult<Py<PyAny>> {
        let py = self.py;
        let text = match std::str::from_utf8(text) {
            Ok(s) => PyString::new(py, s).into_any(),
            Err(_) => PyBytes::new(py, text).call_method1("decode", ("utf-8", "replace"))?,
        };
        let error = self.style.parse_error.bind(py).call1((text,))?;
        if error.is_instance(self.style.connection_error.bind(py))? {
            return Err(PyErr::from_value(error));
        }
        Ok(error.unbind())
    }

    fn count(head: &[u8]) -> Option<usize> {
        std::str::from_utf8(head).ok()?.parse::<usize>().ok()
    }

    fn items(&mut self, n: usize, depth: usize) -> Step<Vec<Py<PyAny>>> {
        let mut items = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            let Some(x) = self.value(depth + 1)? else { return Ok(None) };
            items.push(x);
        }
        Ok(Some(items))
    }

    fn value(&mut self, depth: usize) -> Step<Py<PyAny>> {
        if depth > MAX_DEPTH || self.pos >= self.buf.len() {
            return Ok(None);
        }
        let kind = self.buf[self.pos];
        if !self.style.resp3 && !matches!(kind, b'-' | b'+' | b':' | b'$' | b'*') {
            return Ok(None);
        }
        let py = self.py;
        let Some(line) = self.line() else { return Ok(None) };
        let head = &line[1..];
        Ok(Some(match kind {
            b'-' => self.error(head)?,
            b'+' => self.bytes(head)?,
            b':' | b'(' => self.int(head)?,
            b'_' => py.None(),
            b',' => self.float(head)?,
            b'#' => (head == b"t").into_py_any(py)?,
            b'$' | b'=' => {
                if !self.style.resp3 && head == b"-1" {
                    return Ok(Some(py.None()));
                }
                let Some(n) = Self::count(head) else { return Ok(None) };
                let Some(data) = self.blob(n) else { return Ok(None) };
                let data = if kind == b'=' { data.get(4..).unwrap_or_default() } else { data };
                self.bytes(data)?
            }
            b'*' | b'~' => {
                if !self.style.resp3 && head == b"-1" {
                    return Ok(Some(py.None()));
                }
                let Some(n) = Self::count(head) else { return Ok(None) };
                let Some(items) = self.items(n, depth)? else { return Ok(None) };
                PyList::new(py, items)?.into_py_any(py)?
            }
            b'%' => {
                let Some(n) = Self::count(head) else { return Ok(None) };
                let dict = PyDict::new(py);
                for _ in 0..n {
                    let Some(k) = self.value(depth + 1)? else { return Ok(None) };
                    let Some(v) = self.value(depth + 1)? else { return Ok(None) };
                    dict.set_item(k, v)?;
                }
                dict.into_py_any(py)?
            }
            // `>` pushes (push handlers), `!` blob errors, `|` attributes, anything else.
            _ => return Ok(None),
        }))
    }
}

/// The first reply in `buf` as redis-py's parser would return it. `decode` is false when the
/// caller asked the parser for `disable_decoding`. An error (a ConnectionError reply, a decoding
/// error) leaves the bytes to be read again, as the parser's buffer rewinds on errors.
pub fn read(py: Python<'_>, buf: &[u8], style: &Style, decode: bool) -> PyResult<Read> {
    let mut r = Reader { py, buf, pos: 0, style, decode };
    Ok(match r.value(0)? {
        Some(v) => Read::Value(v, r.pos),
        None => Read::Parser,
    })
}

/// The length of the first complete RESP value in `buf` (any type, framing only), or None.
pub fn frame_len(buf: &[u8]) -> Option<usize> {
    fn skim(buf: &[u8], pos: usize, depth: usize) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
        let kind = *buf.get(pos)?;
        let rest = &buf[pos..];
        let end = (0..rest.len().saturating_sub(1)).find(|&i| rest[i] == b'\r' && rest[i + 1] == b'\n')?;
        let head = std::str::from_utf8(&rest[1..end]).ok();
        let mut next = pos + end + 2;
        let count = || head.and_then(|h| h.parse::<i64>().ok());
        match kind {
            b'$' | b'=' | b'!' => match count()? {
                n if n < 0 => Some(next),
                n => {
                    let end = next.checked_add(usize::try_from(n).ok()?)?.checked_add(2)?;
                    (end <= buf.len()).then_some(end)
                }
            },
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n = count()?;
                let n = if matches!(kind, b'%' | b'|') { n.checked_mul(2)? } else { n };
                for _ in 0..n.max(0) {
                    next = skim(buf, next, depth + 1)?;
                }
                // An attribute annotates the value that follows it.
                if kind == b'|' {
                    next = skim(buf, next, depth + 1)?;
                }
                Some(next)
            }
            _ => Some(next),
        }
    }
    skim(buf, 0, 0)
}
