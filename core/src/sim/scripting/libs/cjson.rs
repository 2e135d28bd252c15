//! `cjson`, lua-cjson 2.1.0 as Redis bundles it: `encode` and `decode` with its defaults
//! (numbers with 14 significant digits, `/` escaped, excessively sparse arrays refused, an
//! empty table is `{}`, nesting limited to 1000) and its error texts, and `cjson.null`.

use super::{arg_error, check_string, Lib};
use crate::sim::float::fmt_g;
use mlua::{LightUserData, Lua, MultiValue, Table, Value as LuaValue};

const MAX_DEPTH: usize = 1000;

/// `cjson.null`: a NULL light userdata.
fn null() -> LuaValue {
    LuaValue::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// Installs the `cjson` table.
pub fn install(lua: &Lua) -> mlua::Result<()> {
    let mut lib = Lib::new(lua)?;
    lib.add("encode", |lua, a: MultiValue| {
        if a.len() != 1 {
            return Err(arg_error(lua, 1, "encode", "expected 1 argument"));
        }
        let mut out = Vec::new();
        encode(&a[0], 0, &mut out).map_err(|m| super::lua_error(lua, &m))?;
        lua.create_string(out)
    })?;
    lib.add("decode", |lua, a: MultiValue| {
        if a.len() != 1 {
            return Err(arg_error(lua, 1, "decode", "expected 1 argument"));
        }
        let text = check_string(lua, &a, 1, "decode")?;
        Decoder { lua, s: &text, pos: 0, depth: 0 }.document().map_err(|m| super::lua_error(lua, &m))
    })?;
    lib.set("null", null())?;
    lib.finish("cjson")
}

fn unsupported(v: &LuaValue, reason: &str) -> String {
    format!("Cannot serialise {}: {reason}", v.type_name())
}

fn encode(v: &LuaValue, depth: usize, out: &mut Vec<u8>) -> Result<(), String> {
    match v {
        LuaValue::Nil => out.extend_from_slice(b"null"),
        LuaValue::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        LuaValue::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        LuaValue::Integer(n) => number(*n as f64, v, out)?,
        LuaValue::Number(n) => number(*n, v, out)?,
        LuaValue::String(s) => string(&s.as_bytes(), out),
        LuaValue::Table(t) => {
            let depth = depth + 1;
            if depth > MAX_DEPTH {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            match array_length(t, v)? {
                Some(len) => {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        let item: LuaValue = t.raw_get(i).map_err(|e| e.to_string())?;
                        encode(&item, depth, out)?;
                    }
                    out.push(b']');
                }
                None => object(t, depth, out)?,
            }
        }
        other => return Err(unsupported(other, "type not supported")),
    }
    Ok(())
}

fn number(n: f64, v: &LuaValue, out: &mut Vec<u8>) -> Result<(), String> {
    if !n.is_finite() {
        return Err(unsupported(v, "must not be NaN or Inf"));
    }
    out.extend_from_slice(fmt_g(n, 14).as_bytes());
    Ok(())
}

/// lua-cjson's escaping: `"`, `\`, `/`, control characters and DEL; other bytes as they are.
fn string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            8 => out.extend_from_slice(b"\\b"),
            9 => out.extend_from_slice(b"\\t"),
            10 => out.extend_from_slice(b"\\n"),
            12 => out.extend_from_slice(b"\\f"),
            13 => out.extend_from_slice(b"\\r"),
            0..=31 | 127 => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            c => out.push(c),
        }
    }
    out.push(b'"');
}

/// `Some(n)` when the table is an array of length n > 0 (positive integer keys, not too
/// sparse); `None` for an object.
fn array_length(t: &Table, v: &LuaValue) -> Result<Option<usize>, String> {
    let (mut max, mut items) = (0f64, 0f64);
    for pair in t.pairs::<LuaValue, LuaValue>() {
        let (k, _) = pair.map_err(|e| e.to_string())?;
        let k = match k {
            LuaValue::Number(k) => k,
            LuaValue::Integer(k) => k as f64,
            _ => return Ok(None),
        };
        if k.floor() != k || k < 1.0 {
            return Ok(None);
        }
        max = max.max(k);
        items += 1.0;
    }
    if max > items * 2.0 && max > 10.0 {
        return Err(unsupported(v, "excessively sparse array"));
    }
    Ok(if max > 0.0 { Some(max as usize) } else { None })
}

fn object(t: &Table, depth: usize, out: &mut Vec<u8>) -> Result<(), String> {
    out.push(b'{');
    let mut first = true;
    for pair in t.pairs::<LuaValue, LuaValue>() {
        let (k, x) = pair.map_err(|e| e.to_string())?;
        if !first {
            out.push(b',');
        }
        first = false;
        match &k {
            LuaValue::String(s) => string(&s.as_bytes(), out),
            LuaValue::Number(n) => {
                out.push(b'"');
                number(*n, &k, out)?;
                out.push(b'"');
            }
            LuaValue::Integer(n) => {
                out.push(b'"');
                number(*n as f64, &k, out)?;
                out.push(b'"');
            }
            _ => return Err(unsupported(&k, "table key must be a number or string")),
        }
        out.push(b':');
        encode(&x, depth, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// A token: its kind's name in lua-cjson's messages, or the error text of an invalid one.
enum Token {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Colon,
    Comma,
    End,
    Value(LuaValue),
    Error(&'static str),
}

impl Token {
    fn name(&self) -> &'static str {
        match self {
            Token::ObjBegin => "T_OBJ_BEGIN",
            Token::ObjEnd => "T_OBJ_END",
            Token::ArrBegin => "T_ARR_BEGIN",
            Token::ArrEnd => "T_ARR_END",
            Token::Colon => "T_COLON",
            Token::Comma => "T_COMMA",
            Token::End => "T_END",
            Token::Value(LuaValue::String(_)) => "T_STRING",
            Token::Value(LuaValue::Number(_)) => "T_NUMBER",
            Token::Value(LuaValue::Boolean(_)) => "T_BOOLEAN",
            Token::Value(_) => "T_NULL",
            Token::Error(e) => e,
        }
    }
}

struct Decoder<'d> {
    lua: &'d Lua,
    s: &'d [u8],
    pos: usize,
    depth: usize,
}

impl Decoder<'_> {
    fn document(mut self) -> Result<LuaValue, String> {
        let (tok, at) = self.next()?;
        let v = self.value(tok, at)?;
        let (tok, at) = self.next()?;
        if !matches!(tok, Token::End) {
            return Err(expected("the end", &tok, at));
        }
        Ok(v)
    }

    fn value(&mut self, tok: Token, at: usize) -> Result<LuaValue, String> {
        match tok {
            Token::Value(v) => Ok(v),
            Token::ObjBegin => self.object(at),
            Token::ArrBegin => self.array(at),
            other => Err(expected("value", &other, at)),
        }
    }

    fn nest(&mut self, at: usize) -> Result<Table, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("Found too many nested data structures ({}) at character {}", self.depth, at + 1));
        }
        self.lua.create_table().map_err(|e| e.to_string())
    }

    fn object(&mut self, at: usize) -> Result<LuaValue, String> {
        let t = self.nest(at)?;
        let (mut tok, mut at) = self.next()?;
        if matches!(tok, Token::ObjEnd) {
            self.depth -= 1;
            return Ok(LuaValue::Table(t));
        }
        loop {
            let Token::Value(key @ LuaValue::String(_)) = tok else {
                return Err(expected("object key string", &tok, at));
            };
            let (colon, c_at) = self.next()?;
            if !matches!(colon, Token::Colon) {
                return Err(expected("colon", &colon, c_at));
            }
            let (vt, v_at) = self.next()?;
            let v = self.value(vt, v_at)?;
            t.raw_set(key, v).map_err(|e| e.to_string())?;
            let (sep, s_at) = self.next()?;
            match sep {
                Token::ObjEnd => break,
                Token::Comma => (tok, at) = self.next()?,
                other => return Err(expected("comma or object end", &other, s_at)),
            }
        }
        self.depth -= 1;
        Ok(LuaValue::Table(t))
    }

    fn array(&mut self, at: usize) -> Result<LuaValue, String> {
        let t = self.nest(at)?;
        let (mut tok, mut at) = self.next()?;
        if matches!(tok, Token::ArrEnd) {
            self.depth -= 1;
            return Ok(LuaValue::Table(t));
        }
        for i in 1.. {
            let v = self.value(tok, at)?;
            t.raw_set(i, v).map_err(|e| e.to_string())?;
            let (sep, s_at) = self.next()?;
            match sep {
                Token::ArrEnd => break,
                Token::Comma => (tok, at) = self.next()?,
                other => return Err(expected("comma or array end", &other, s_at)),
            }
        }
        self.depth -= 1;
        Ok(LuaValue::Table(t))
    }

    /// The next token and the index where it starts.
    fn next(&mut self) -> Result<(Token, usize), String> {
        while matches!(self.s.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
        let at = self.pos;
        let Some(&c) = self.s.get(at) else { return Ok((Token::End, at)) };
        let simple = |t: Token, d: &mut Self| {
            d.pos += 1;
            Ok((t, at))
        };
        match c {
            b'{' => simple(Token::ObjBegin, self),
            b'}' => simple(Token::ObjEnd, self),
            b'[' => simple(Token::ArrBegin, self),
            b']' => simple(Token::ArrEnd, self),
            b':' => simple(Token::Colon, self),
            b',' => simple(Token::Comma, self),
            b'"' => Ok(self.string().unwrap_or_else(|(e, at)| (Token::Error(e), at))),
            b'-' | b'0'..=b'9' => Ok((self.number(), at)),
            _ => {
                for (word, v) in
                    [("true", LuaValue::Boolean(true)), ("false", LuaValue::Boolean(false)), ("null", null())]
                {
                    if self.s[at..].starts_with(word.as_bytes()) {
                        self.pos += word.len();
                        return Ok((Token::Value(v), at));
                    }
                }
                Ok((Token::Error("invalid token"), at))
            }
        }
    }

    fn number(&mut self) -> Token {
        let start = self.pos;
        let end = start
            + self.s[start..]
                .iter()
                .take_while(|c| matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .count();
        match std::str::from_utf8(&self.s[start..end]).ok().and_then(|t| t.parse::<f64>().ok()) {
            Some(n) => {
                self.pos = end;
                Token::Value(LuaValue::Number(n))
            }
            None => Token::Error("invalid number"),
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let h = self.s.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    /// A string token, or an invalid one's error text and the index where it went wrong.
    fn string(&mut self) -> Result<(Token, usize), (&'static str, usize)> {
        let at = self.pos;
        let mut out = Vec::new();
        let mut i = self.pos + 1;
        loop {
            let Some(&c) = self.s.get(i) else { return Err(("unexpected end of string", i)) };
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(i + 1) else { return Err(("unexpected end of string", i + 1)) };
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        _ => None,
                    };
                    if let Some(b) = simple {
                        out.push(b);
                        i += 2;
                        continue;
                    }
                    if e != b'u' {
                        return Err(("invalid escape code", i));
                    }
                    let Some(mut cp) = self.hex4(i + 2) else { return Err(("invalid unicode escape code", i)) };
                    let escape_at = i;
                    i += 6;
                    if (0xD800..0xDC00).contains(&cp) {
                        let low = (self.s.get(i..i + 2) == Some(b"\\u")).then(|| self.hex4(i + 2)).flatten();
                        match low {
                            Some(low) if (0xDC00..0xE000).contains(&low) => {
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                                i += 6;
                            }
                            _ => return Err(("invalid unicode escape code", escape_at)),
                        }
                    } else if (0xDC00..0xE000).contains(&cp) {
                        return Err(("invalid unicode escape code", escape_at));
                    }
                    let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                    out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        self.pos = i + 1;
        match self.lua.create_string(out) {
            Ok(s) => Ok((Token::Value(LuaValue::String(s)), at)),
            Err(_) => Err(("out of memory", at)),
        }
    }
}

/// lua-cjson's parse error: `Expected <what> but found <token> at character <n>`.
fn expected(what: &str, found: &Token, at: usize) -> String {
    format!("Expected {what} but found {} at character {}", found.name(), at + 1)
}
