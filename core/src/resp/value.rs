//! The reply/value type shared by the simulator, the backends and the bindings. It is a RESP3
//! superset; RESP2 has a lossy mapping that the writer applies (maps flatten, doubles become bulk
//! strings, booleans integers), exactly as redis-server does.

/// One RESP value. Error and simple strings keep raw bytes because Redis never promises UTF-8.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `+OK`
    Simple(Vec<u8>),
    /// `-ERR ...`: the full message including its code prefix.
    Error(Vec<u8>),
    /// `:42`
    Int(i64),
    /// `$3\r\nfoo`
    Bulk(Vec<u8>),
    /// Null bulk string: `$-1` in RESP2, `_` in RESP3.
    Nil,
    /// Null array: `*-1` in RESP2, `_` in RESP3.
    NilArray,
    /// `*N`
    Array(Vec<Value>),
    /// `%N` (RESP3); flattened to an array of 2N in RESP2.
    Map(Vec<(Value, Value)>),
    /// `~N` (RESP3); an array in RESP2.
    Set(Vec<Value>),
    /// `,1.5` (RESP3); a bulk string in RESP2, formatted the way Redis does.
    Double(f64),
    /// `#t` (RESP3); integer 1/0 in RESP2.
    Bool(bool),
    /// `(123...` (RESP3); a bulk string in RESP2.
    BigNumber(Vec<u8>),
    /// A double whose text is fixed by the server rather than `%.17g` (Redis's "human" long
    /// double form, e.g. GEOPOS coordinates): `,text` in RESP3, a bulk string in RESP2.
    DoubleText(Vec<u8>),
    /// `=15\r\ntxt:...` (RESP3); a bulk string in RESP2.
    Verbatim {
        /// The three-letter format (`txt`, `mkd`).
        format: [u8; 3],
        /// The text.
        text: Vec<u8>,
    },
    /// `>N` (RESP3 out-of-band push); an array in RESP2.
    Push(Vec<Value>),
}

impl Value {
    /// `+OK`
    pub fn ok() -> Value {
        Value::Simple(b"OK".to_vec())
    }

    /// A simple string from text.
    pub fn simple(s: &str) -> Value {
        Value::Simple(s.as_bytes().to_vec())
    }

    /// A bulk string from anything byte-like.
    pub fn bulk(b: impl AsRef<[u8]>) -> Value {
        Value::Bulk(b.as_ref().to_vec())
    }

    /// An error reply from its full text, e.g. `ERR syntax error`.
    pub fn error(msg: impl AsRef<[u8]>) -> Value {
        Value::Error(msg.as_ref().to_vec())
    }

    /// An array of bulk strings.
    pub fn bulk_array<I, B>(items: I) -> Value
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        Value::Array(items.into_iter().map(Value::bulk).collect())
    }

    /// True for error replies.
    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_))
    }

    /// True for both null kinds.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil | Value::NilArray)
    }

    /// The bytes of a bulk, simple, verbatim or big-number value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bulk(b) | Value::Simple(b) | Value::BigNumber(b) => Some(b),
            Value::Verbatim { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The integer of an integer reply.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The elements of an array, set or push reply.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(v) | Value::Set(v) | Value::Push(v) => Some(v),
            _ => None,
        }
    }

    /// The value as a RESP2 client reads it (what redis-rs, redis-py, or Lua inside a script
    /// see): maps flatten to arrays, sets and pushes become arrays, doubles and big numbers
    /// bulk strings, booleans 1/0, verbatim strings their text. Byte-for-byte what
    /// [`crate::resp::write_value`] writes for RESP2, read back.
    pub fn into_resp2(self) -> Value {
        match self {
            Value::Array(v) | Value::Set(v) | Value::Push(v) => {
                Value::Array(v.into_iter().map(Value::into_resp2).collect())
            }
            Value::Map(pairs) => {
                Value::Array(pairs.into_iter().flat_map(|(k, x)| [k.into_resp2(), x.into_resp2()]).collect())
            }
            Value::Double(d) => Value::Bulk(crate::sim::fmt_double(d).into_bytes()),
            Value::DoubleText(t) | Value::BigNumber(t) => Value::Bulk(t),
            Value::Verbatim { text, .. } => Value::Bulk(text),
            Value::Bool(b) => Value::Int(i64::from(b)),
            other => other,
        }
    }

    /// Lossy text of the value for messages and debugging.
    pub fn to_text(&self) -> String {
        match self {
            Value::Simple(b) | Value::Error(b) | Value::Bulk(b) | Value::BigNumber(b) | Value::DoubleText(b) => {
                String::from_utf8_lossy(b).into_owned()
            }
            Value::Verbatim { text, .. } => String::from_utf8_lossy(text).into_owned(),
            Value::Int(i) => i.to_string(),
            Value::Double(d) => crate::sim::fmt_double(*d),
            Value::Bool(b) => b.to_string(),
            Value::Nil | Value::NilArray => "(nil)".to_string(),
            Value::Array(v) | Value::Set(v) | Value::Push(v) => {
                let parts: Vec<String> = v.iter().map(Value::to_text).collect();
                format!("[{}]", parts.join(", "))
            }
            Value::Map(v) => {
                let parts: Vec<String> = v.iter().map(|(k, x)| format!("{}: {}", k.to_text(), x.to_text())).collect();
                format!("{{{}}}", parts.join(", "))
            }
        }
    }
}
