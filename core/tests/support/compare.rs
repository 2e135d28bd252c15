//! How a simulator reply is compared with redis-server's: byte for byte by default, or by a
//! looser rule where Redis itself promises no order (SMEMBERS, HGETALL …) or returns randomness.

#![allow(dead_code)]

use redkit::resp::{write_value, Protocol, Value};

/// A comparison rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// Identical bytes.
    Exact,
    /// Same elements in any order (top level of an array/set/map).
    Unordered,
    /// A flat array of pairs (or a map) with the same pairs in any order.
    Pairs,
    /// Same kind of reply and same number of elements.
    Shape,
    /// Integers within a tolerance.
    Near(i64),
    /// Not compared.
    Ignore,
}

/// Encodes a value in a protocol.
pub fn encode(v: &Value, p: Protocol) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, v, p);
    out
}

/// A simulator reply as a client sees it: its bytes in protocol `p` and the value decoded back
/// from them (a RESP2 map arrives as a flat array, a set as an array).
pub fn on_the_wire(v: Value, p: Protocol) -> (Value, Vec<u8>) {
    let out = encode(&v, p);
    let mut parser = redkit::resp::Parser::new();
    parser.feed(&out);
    let decoded = parser.next_value().ok().flatten().unwrap_or(v);
    (decoded, out)
}

fn sorted_encoded(items: &[Value], p: Protocol) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = items.iter().map(|x| encode(x, p)).collect();
    v.sort();
    v
}

fn pairs_of(v: &Value, p: Protocol) -> Option<Vec<Vec<u8>>> {
    match v {
        Value::Map(m) => {
            let mut out: Vec<Vec<u8>> = m.iter().map(|(k, x)| [encode(k, p), encode(x, p)].concat()).collect();
            out.sort();
            Some(out)
        }
        Value::Array(a) if a.len() % 2 == 0 => {
            let mut out: Vec<Vec<u8>> = a.chunks(2).map(|c| [encode(&c[0], p), encode(&c[1], p)].concat()).collect();
            out.sort();
            Some(out)
        }
        _ => None,
    }
}

fn kind(v: &Value) -> (u8, usize) {
    match v {
        Value::Simple(_) => (1, 0),
        Value::Error(_) => (2, 0),
        Value::Int(_) => (3, 0),
        Value::Bulk(_) => (4, 0),
        Value::Nil => (5, 0),
        Value::NilArray => (6, 0),
        Value::Array(a) => (7, a.len()),
        Value::Map(m) => (8, m.len()),
        Value::Set(s) => (9, s.len()),
        Value::Double(_) => (10, 0),
        Value::Bool(_) => (11, 0),
        Value::Push(p) => (12, p.len()),
        _ => (13, 0),
    }
}

/// True when the simulator's reply matches Redis's under `mode`.
pub fn matches(mode: Mode, sim: (&Value, &[u8]), redis: (&Value, &[u8]), p: Protocol) -> bool {
    if sim.1 == redis.1 {
        return true;
    }
    match mode {
        Mode::Exact => false,
        Mode::Ignore => true,
        Mode::Shape => kind(sim.0) == kind(redis.0),
        Mode::Near(tol) => match (sim.0, redis.0) {
            (Value::Int(a), Value::Int(b)) => (a - b).abs() <= tol,
            _ => false,
        },
        Mode::Unordered => match (sim.0, redis.0) {
            (Value::Array(a), Value::Array(b)) | (Value::Set(a), Value::Set(b)) => {
                sorted_encoded(a, p) == sorted_encoded(b, p)
            }
            (Value::Map(_), Value::Map(_)) => pairs_of(sim.0, p) == pairs_of(redis.0, p),
            _ => false,
        },
        Mode::Pairs => {
            kind(sim.0).0 == kind(redis.0).0
                && pairs_of(sim.0, p).is_some()
                && pairs_of(sim.0, p) == pairs_of(redis.0, p)
        }
    }
}

/// Readable text of raw RESP bytes for failure messages.
pub fn show(raw: &[u8]) -> String {
    let s: String = raw.escape_ascii().to_string();
    if s.len() > 400 {
        format!("{}…", &s[..400])
    } else {
        s
    }
}
