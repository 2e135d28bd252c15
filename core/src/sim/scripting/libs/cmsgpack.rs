//! `cmsgpack`, lua-cmsgpack 0.4 as Redis bundles it: `pack(...)` (each argument encoded and the
//! results concatenated; integral numbers as the smallest integer format, others as float32 when
//! exact, else float64; a table whose keys are exactly 1..n is an array, any other a map; tables
//! nested deeper than 16 become nil) and `unpack`, `unpack_one`, `unpack_limit` with its errors.

use super::{arg_error, check_number, check_string, lua_error, Lib};
use mlua::{Lua, MultiValue, Table, Value as LuaValue};

/// Tables nested deeper than this are packed as nil (cycles end there).
const MAX_NESTING: usize = 16;

/// Installs the `cmsgpack` table.
pub fn install(lua: &Lua) -> mlua::Result<()> {
    let mut lib = Lib::new(lua)?;
    lib.add("pack", |lua, a: MultiValue| {
        if a.is_empty() {
            return Err(arg_error(lua, 0, "pack", "MessagePack pack needs input."));
        }
        let mut out = Vec::new();
        for v in a.iter() {
            encode(v, 0, &mut out).map_err(|e| lua_error(lua, &e.to_string()))?;
        }
        lua.create_string(out)
    })?;
    lib.add("unpack", |lua, a: MultiValue| unpack(lua, &a, 0, 0, "unpack"))?;
    lib.add("unpack_one", |lua, a: MultiValue| {
        let offset = if a.len() >= 2 { check_number(lua, &a, 2, "unpack_one")? as i64 } else { 0 };
        unpack(lua, &a, 1, offset, "unpack_one")
    })?;
    lib.add("unpack_limit", |lua, a: MultiValue| {
        let limit = check_number(lua, &a, 2, "unpack_limit")? as i64;
        let offset = if a.len() >= 3 { check_number(lua, &a, 3, "unpack_limit")? as i64 } else { 0 };
        unpack(lua, &a, limit, offset, "unpack_limit")
    })?;
    lib.finish("cmsgpack")
}

fn encode(v: &LuaValue, level: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    match v {
        LuaValue::String(s) => bytes(&s.as_bytes(), out),
        LuaValue::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        LuaValue::Integer(n) => int(*n, out),
        LuaValue::Number(n) => number(*n, out),
        LuaValue::Table(t) if level < MAX_NESTING => table(t, level, out)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn number(n: f64, out: &mut Vec<u8>) {
    if !n.is_infinite() && (n as i64) as f64 == n {
        return int(n as i64, out);
    }
    let f = n as f32;
    if f as f64 == n {
        out.push(0xca);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn int(n: i64, out: &mut Vec<u8>) {
    match n {
        0..=127 => out.push(n as u8),
        128..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        n if n > 0 => {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
        -32..=-1 => out.push(n as i8 as u8),
        -128..=-33 => out.extend_from_slice(&[0xd0, n as i8 as u8]),
        -32768..=-129 => {
            out.push(0xd1);
            out.extend_from_slice(&(n as i16).to_be_bytes());
        }
        -2_147_483_648..=-32769 => {
            out.push(0xd2);
            out.extend_from_slice(&(n as i32).to_be_bytes());
        }
        n => {
            out.push(0xd3);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// A header for a length: the fix form below `fix_limit`, else the 8/16/32-bit forms whose
/// type bytes are given (`None` when the format has no 8-bit form).
fn header(len: usize, fix: u8, fix_limit: usize, b8: Option<u8>, b16: u8, b32: u8, out: &mut Vec<u8>) {
    if len < fix_limit {
        out.push(fix | len as u8);
    } else if let (Some(b8), true) = (b8, len <= 0xff) {
        out.extend_from_slice(&[b8, len as u8]);
    } else if len <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn bytes(s: &[u8], out: &mut Vec<u8>) {
    header(s.len(), 0xa0, 32, Some(0xd9), 0xda, 0xdb, out);
    out.extend_from_slice(s);
}

/// lua-cmsgpack's table_is_an_array: every key a positive integer and the largest equal to
/// the count (an empty table is an array).
fn is_array(t: &Table) -> mlua::Result<bool> {
    let (mut count, mut max) = (0f64, 0f64);
    for pair in t.pairs::<LuaValue, LuaValue>() {
        let n = match pair?.0 {
            LuaValue::Integer(n) => n as f64,
            LuaValue::Number(n) => n,
            _ => return Ok(false),
        };
        if n <= 0.0 || (n as i32) as f64 != n {
            return Ok(false);
        }
        max = max.max(n);
        count += 1.0;
    }
    Ok(max == count)
}

fn table(t: &Table, level: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    if is_array(t)? {
        let len = t.raw_len();
        header(len, 0x90, 16, None, 0xdc, 0xdd, out);
        for i in 1..=len {
            encode(&t.raw_get::<LuaValue>(i)?, level + 1, out)?;
        }
    } else {
        let pairs: Vec<(LuaValue, LuaValue)> = t.pairs::<LuaValue, LuaValue>().collect::<mlua::Result<_>>()?;
        header(pairs.len(), 0x80, 16, None, 0xde, 0xdf, out);
        for (k, v) in &pairs {
            encode(k, level + 1, out)?;
            encode(v, level + 1, out)?;
        }
    }
    Ok(())
}

/// Why decoding stopped.
enum Bad {
    Eof,
    Format,
}

struct Cursor<'c> {
    s: &'c [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Bad> {
        let out = self.s.get(self.pos..self.pos + n).ok_or(Bad::Eof)?;
        self.pos += n;
        Ok(out)
    }

    fn uint(&mut self, n: usize) -> Result<u64, Bad> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64))
    }

    fn decode(&mut self, lua: &Lua) -> Result<LuaValue, Bad> {
        let c = self.take(1)?[0];
        let num = |n: f64| Ok(LuaValue::Number(n));
        match c {
            0xcc => num(self.uint(1)? as f64),
            0xcd => num(self.uint(2)? as f64),
            0xce => num(self.uint(4)? as f64),
            0xcf => num(self.uint(8)? as f64),
            0xd0 => num(self.uint(1)? as u8 as i8 as f64),
            0xd1 => num(self.uint(2)? as u16 as i16 as f64),
            0xd2 => num(self.uint(4)? as u32 as i32 as f64),
            0xd3 => num(self.uint(8)? as i64 as f64),
            0xc0 => Ok(LuaValue::Nil),
            0xc2 => Ok(LuaValue::Boolean(false)),
            0xc3 => Ok(LuaValue::Boolean(true)),
            0xca => num(f32::from_bits(self.uint(4)? as u32) as f64),
            0xcb => num(f64::from_bits(self.uint(8)?)),
            0xc4 | 0xd9 => self.string(lua, 1),
            0xc5 | 0xda => self.string(lua, 2),
            0xc6 | 0xdb => self.string(lua, 4),
            0xdc => self.array(lua, 2),
            0xdd => self.array(lua, 4),
            0xde => self.map(lua, 2),
            0xdf => self.map(lua, 4),
            c if c & 0x80 == 0 => num(c as f64),
            c if c & 0xe0 == 0xe0 => num(c as i8 as f64),
            c if c & 0xe0 == 0xa0 => self.raw(lua, (c & 0x1f) as usize),
            c if c & 0xf0 == 0x90 => self.items(lua, (c & 0x0f) as usize),
            c if c & 0xf0 == 0x80 => self.pairs(lua, (c & 0x0f) as usize),
            _ => Err(Bad::Format),
        }
    }

    fn raw(&mut self, lua: &Lua, len: usize) -> Result<LuaValue, Bad> {
        let b = self.take(len)?;
        lua.create_string(b).map(LuaValue::String).map_err(|_| Bad::Format)
    }

    fn string(&mut self, lua: &Lua, width: usize) -> Result<LuaValue, Bad> {
        let len = self.uint(width)? as usize;
        self.raw(lua, len)
    }

    fn array(&mut self, lua: &Lua, width: usize) -> Result<LuaValue, Bad> {
        let len = self.uint(width)? as usize;
        self.items(lua, len)
    }

    fn map(&mut self, lua: &Lua, width: usize) -> Result<LuaValue, Bad> {
        let len = self.uint(width)? as usize;
        self.pairs(lua, len)
    }

    fn items(&mut self, lua: &Lua, len: usize) -> Result<LuaValue, Bad> {
        let t = lua.create_table().map_err(|_| Bad::Format)?;
        for i in 1..=len {
            let v = self.decode(lua)?;
            t.raw_set(i, v).map_err(|_| Bad::Format)?;
        }
        Ok(LuaValue::Table(t))
    }

    fn pairs(&mut self, lua: &Lua, len: usize) -> Result<LuaValue, Bad> {
        let t = lua.create_table().map_err(|_| Bad::Format)?;
        for _ in 0..len {
            let k = self.decode(lua)?;
            let v = self.decode(lua)?;
            t.raw_set(k, v).map_err(|_| Bad::Format)?;
        }
        Ok(LuaValue::Table(t))
    }
}

/// mp_unpack_full: up to `limit` values from `offset` (0 and 0: all of them, without the
/// offset result).
fn unpack(lua: &Lua, a: &MultiValue, limit: i64, offset: i64, name: &str) -> mlua::Result<MultiValue> {
    let s = check_string(lua, a, 1, name)?;
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        let msg = format!("Invalid request to unpack with offset of {offset} and limit of {}.", s.len());
        return Err(lua_error(lua, &msg));
    }
    if offset as usize > s.len() {
        return Err(lua_error(lua, &format!("Start offset {offset} greater than input length {}.", s.len())));
    }
    let limit = if decode_all { i64::MAX } else { limit };
    let mut cur = Cursor { s: &s, pos: offset as usize };
    let mut out = Vec::new();
    while cur.pos < s.len() && (out.len() as i64) < limit {
        match cur.decode(lua) {
            Ok(v) => out.push(v),
            Err(Bad::Eof) => return Err(lua_error(lua, "Missing bytes in input.")),
            Err(Bad::Format) => return Err(lua_error(lua, "Bad data format in input.")),
        }
    }
    if !decode_all {
        let next = if cur.pos == s.len() { -1 } else { cur.pos as i64 };
        out.insert(0, LuaValue::Number(next as f64));
    }
    Ok(MultiValue::from_iter(out))
}
