//! Serialises [`Value`]s into RESP2 or RESP3 bytes, byte for byte as redis-server writes them.

use super::Value;

/// Which protocol a connection speaks (`HELLO 2|3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Protocol {
    /// RESP2, the default for a new connection.
    #[default]
    Resp2,
    /// RESP3, after `HELLO 3`.
    Resp3,
}

fn header(out: &mut Vec<u8>, prefix: u8, n: usize) {
    out.push(prefix);
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn blob(out: &mut Vec<u8>, prefix: u8, b: &[u8]) {
    header(out, prefix, b.len());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

fn line(out: &mut Vec<u8>, prefix: u8, b: &[u8]) {
    out.push(prefix);
    // Redis never lets CR/LF into a status or error line; it replaces them with spaces.
    out.extend(b.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
    out.extend_from_slice(b"\r\n");
}

/// Appends the encoding of `v` for protocol `proto` to `out`.
pub fn write_value(out: &mut Vec<u8>, v: &Value, proto: Protocol) {
    let r3 = proto == Protocol::Resp3;
    match v {
        Value::Simple(s) => line(out, b'+', s),
        Value::Error(s) => line(out, b'-', s),
        Value::Int(i) => {
            out.push(b':');
            out.extend_from_slice(i.to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Value::Bulk(b) => blob(out, b'$', b),
        Value::Nil if r3 => out.extend_from_slice(b"_\r\n"),
        Value::Nil => out.extend_from_slice(b"$-1\r\n"),
        Value::NilArray if r3 => out.extend_from_slice(b"_\r\n"),
        Value::NilArray => out.extend_from_slice(b"*-1\r\n"),
        Value::Array(items) => {
            header(out, b'*', items.len());
            items.iter().for_each(|x| write_value(out, x, proto));
        }
        Value::Set(items) => {
            header(out, if r3 { b'~' } else { b'*' }, items.len());
            items.iter().for_each(|x| write_value(out, x, proto));
        }
        Value::Push(items) => {
            header(out, if r3 { b'>' } else { b'*' }, items.len());
            items.iter().for_each(|x| write_value(out, x, proto));
        }
        Value::Map(pairs) => {
            if r3 {
                header(out, b'%', pairs.len());
            } else {
                header(out, b'*', pairs.len() * 2);
            }
            for (k, x) in pairs {
                write_value(out, k, proto);
                write_value(out, x, proto);
            }
        }
        Value::Double(d) => {
            let text = crate::sim::fmt_double(*d);
            if r3 {
                line(out, b',', text.as_bytes());
            } else {
                blob(out, b'$', text.as_bytes());
            }
        }
        Value::Bool(b) => {
            if r3 {
                out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" });
            } else {
                out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" });
            }
        }
        Value::DoubleText(t) => {
            if r3 {
                line(out, b',', t);
            } else {
                blob(out, b'$', t);
            }
        }
        Value::BigNumber(n) => {
            if r3 {
                line(out, b'(', n);
            } else {
                blob(out, b'$', n);
            }
        }
        Value::Verbatim { format, text } => {
            if r3 {
                header(out, b'=', text.len() + 4);
                out.extend_from_slice(format);
                out.push(b':');
                out.extend_from_slice(text);
                out.extend_from_slice(b"\r\n");
            } else {
                blob(out, b'$', text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: &Value, p: Protocol) -> String {
        let mut out = Vec::new();
        write_value(&mut out, v, p);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn nulls_differ_by_protocol() {
        assert_eq!(enc(&Value::Nil, Protocol::Resp2), "$-1\r\n");
        assert_eq!(enc(&Value::NilArray, Protocol::Resp2), "*-1\r\n");
        assert_eq!(enc(&Value::Nil, Protocol::Resp3), "_\r\n");
    }

    #[test]
    fn maps_flatten_in_resp2() {
        let m = Value::Map(vec![(Value::bulk("a"), Value::Int(1))]);
        assert_eq!(enc(&m, Protocol::Resp2), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&m, Protocol::Resp3), "%1\r\n$1\r\na\r\n:1\r\n");
    }

    #[test]
    fn doubles_and_booleans() {
        assert_eq!(enc(&Value::Double(1.5), Protocol::Resp3), ",1.5\r\n");
        assert_eq!(enc(&Value::Double(1.5), Protocol::Resp2), "$3\r\n1.5\r\n");
        assert_eq!(enc(&Value::Double(f64::INFINITY), Protocol::Resp3), ",inf\r\n");
        assert_eq!(enc(&Value::Bool(true), Protocol::Resp2), ":1\r\n");
    }
}
