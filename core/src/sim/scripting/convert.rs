//! Redis's conversions between replies and Lua values, both ways, under RESP2 and RESP3
//! (`redis.setresp`), as script_lua.c does them.
//!
//! Reply → Lua: integer → number, bulk → string, null → false (RESP2) or nil (RESP3), status →
//! `{ok=…}`, error → `{err=…}`, array → table; under RESP3 also map → `{map={k=v}}`, set →
//! `{set={m=true}}`, double → `{double=n}`, boolean → boolean, big number → `{big_number=s}`,
//! verbatim → `{verbatim_string={format=…, string=…}}`. Under RESP2 those arrive as the RESP2
//! client would see them.
//!
//! Lua → reply: number → integer (truncated), string → bulk, true → 1 (RESP3: boolean), false
//! and nil → null (RESP3 false: boolean), `{err=}` → error, `{ok=}` → status, `{double=}`,
//! `{big_number=}`, `{map=}`, `{set=}`, `{verbatim_string=}` → their RESP3 types, any other
//! table → array up to its first nil.

use crate::resp::Value;
use crate::sim::fmt_double;
use mlua::{Lua, Table, Value as LuaValue};

/// Nesting beyond this is answered with an error instead of recursing further.
const MAX_DEPTH: usize = 1000;

/// A command's reply as the script sees it.
pub fn to_lua(lua: &Lua, v: &Value, resp3: bool) -> mlua::Result<LuaValue> {
    let table = |pairs: Vec<(&str, LuaValue)>| -> mlua::Result<LuaValue> {
        let t = lua.create_table()?;
        for (k, x) in pairs {
            t.raw_set(k, x)?;
        }
        Ok(LuaValue::Table(t))
    };
    let text = |b: &[u8]| -> mlua::Result<LuaValue> { Ok(LuaValue::String(lua.create_string(b)?)) };
    Ok(match v {
        Value::Int(i) => LuaValue::Number(*i as f64),
        Value::Bulk(b) => text(b)?,
        Value::Simple(s) => table(vec![("ok", text(s)?)])?,
        Value::Error(e) => table(vec![("err", text(super::bridge::error_table_text(e).as_bytes())?)])?,
        Value::Nil | Value::NilArray if resp3 => LuaValue::Nil,
        Value::Nil | Value::NilArray => LuaValue::Boolean(false),
        Value::Array(items) | Value::Push(items) => sequence(lua, items, resp3)?,
        Value::Set(items) if resp3 => {
            let t = lua.create_table()?;
            for m in items {
                t.raw_set(to_lua(lua, m, resp3)?, true)?;
            }
            table(vec![("set", LuaValue::Table(t))])?
        }
        Value::Set(items) => sequence(lua, items, resp3)?,
        Value::Map(pairs) if resp3 => {
            let t = lua.create_table()?;
            for (k, x) in pairs {
                t.raw_set(to_lua(lua, k, resp3)?, to_lua(lua, x, resp3)?)?;
            }
            table(vec![("map", LuaValue::Table(t))])?
        }
        Value::Map(pairs) => {
            let flat: Vec<Value> = pairs.iter().flat_map(|(k, x)| [k.clone(), x.clone()]).collect();
            sequence(lua, &flat, resp3)?
        }
        Value::Double(d) if resp3 => table(vec![("double", LuaValue::Number(*d))])?,
        Value::Double(d) => text(fmt_double(*d).as_bytes())?,
        Value::DoubleText(t) if resp3 => {
            let n = std::str::from_utf8(t).ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
            table(vec![("double", LuaValue::Number(n))])?
        }
        Value::DoubleText(t) => text(t)?,
        Value::Bool(b) if resp3 => LuaValue::Boolean(*b),
        Value::Bool(b) => LuaValue::Number(if *b { 1.0 } else { 0.0 }),
        Value::BigNumber(n) if resp3 => table(vec![("big_number", text(n)?)])?,
        Value::BigNumber(n) => text(n)?,
        Value::Verbatim { format, text: body } if resp3 => {
            let inner = table(vec![("format", text(format)?), ("string", text(body)?)])?;
            table(vec![("verbatim_string", inner)])?
        }
        Value::Verbatim { text: body, .. } => text(body)?,
    })
}

fn sequence(lua: &Lua, items: &[Value], resp3: bool) -> mlua::Result<LuaValue> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, x) in items.iter().enumerate() {
        t.raw_set(i + 1, to_lua(lua, x, resp3)?)?;
    }
    Ok(LuaValue::Table(t))
}

/// A script's return value as the reply; `resp3` is the script's `redis.setresp` choice.
pub fn to_reply(v: &LuaValue, resp3: bool) -> Value {
    reply_at(v, resp3, 0)
}

fn bytes(t: &Table, field: &str) -> Option<Vec<u8>> {
    match t.raw_get::<LuaValue>(field).ok()? {
        LuaValue::String(s) => Some(s.as_bytes().to_vec()),
        _ => None,
    }
}

/// C's `(long long)` of a double on x86-64: out of range, infinite and NaN give INT64_MIN
/// (Rust's `as` would saturate).
fn c_i64(n: f64) -> i64 {
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

fn reply_at(v: &LuaValue, resp3: bool, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::error("ERR reached lua stack limit");
    }
    match v {
        LuaValue::String(s) => Value::Bulk(s.as_bytes().to_vec()),
        LuaValue::Boolean(b) if resp3 => Value::Bool(*b),
        LuaValue::Boolean(true) => Value::Int(1),
        LuaValue::Number(n) => Value::Int(c_i64(*n)),
        LuaValue::Integer(n) => Value::Int(*n),
        LuaValue::Table(t) => table_reply(t, resp3, depth),
        _ => Value::Nil,
    }
}

fn table_reply(t: &Table, resp3: bool, depth: usize) -> Value {
    if let Some(e) = bytes(t, "err") {
        return Value::Error(e);
    }
    if let Some(s) = bytes(t, "ok") {
        return Value::Simple(s);
    }
    if let Ok(LuaValue::Number(d)) = t.raw_get::<LuaValue>("double") {
        return Value::Double(d);
    }
    if let Some(n) = bytes(t, "big_number") {
        return Value::BigNumber(n.into_iter().map(|c| if c == b'\r' || c == b'\n' { b' ' } else { c }).collect());
    }
    if let Ok(LuaValue::Table(m)) = t.raw_get::<LuaValue>("map") {
        let pairs = m.pairs::<LuaValue, LuaValue>().filter_map(Result::ok);
        return Value::Map(
            pairs.map(|(k, x)| (reply_at(&k, resp3, depth + 1), reply_at(&x, resp3, depth + 1))).collect(),
        );
    }
    if let Ok(LuaValue::Table(s)) = t.raw_get::<LuaValue>("set") {
        let members = s.pairs::<LuaValue, LuaValue>().filter_map(Result::ok);
        return Value::Set(members.map(|(k, _)| reply_at(&k, resp3, depth + 1)).collect());
    }
    if let Ok(LuaValue::Table(v)) = t.raw_get::<LuaValue>("verbatim_string") {
        if let (Some(format), Some(text)) = (bytes(&v, "format"), bytes(&v, "string")) {
            let mut f = [b' '; 3];
            for (d, s) in f.iter_mut().zip(&format) {
                *d = *s;
            }
            return Value::Verbatim { format: f, text };
        }
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<LuaValue>(i) {
            Ok(LuaValue::Nil) | Err(_) => break,
            Ok(x) => items.push(reply_at(&x, resp3, depth + 1)),
        }
    }
    Value::Array(items)
}
