//! `struct`, Roberto Ierusalimschy's struct library as Redis bundles it: `pack(fmt, ...)`,
//! `unpack(fmt, s [, pos])` and `size(fmt)` with its format language (`<` `>` `!n` endianness
//! and alignment, `x` padding, `b B h H l L T i[n] I[n]` integers, `f d` floats, `c[n]` and `s`
//! strings) on x86-64 sizes, and its error texts.

use super::{arg_error, check_number, check_string, lua_error, Lib};
use mlua::{Lua, MultiValue, Value as LuaValue};

const MAX_INT_SIZE: usize = 32;
const MAX_ALIGN: usize = 8;

/// Byte order and maximum alignment.
struct Header {
    little: bool,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header { little: true, align: 1 }
    }
}

/// A format string being read.
struct Format<'f> {
    s: &'f [u8],
    pos: usize,
}

impl Format<'_> {
    fn next(&mut self) -> Option<u8> {
        let c = *self.s.get(self.pos)?;
        self.pos += 1;
        Some(c)
    }

    /// getnum: the number that follows, or `default`.
    fn num(&mut self, lua: &Lua, default: usize) -> mlua::Result<usize> {
        if !self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: usize = 0;
        while let Some(d) = self.s.get(self.pos).filter(|c| c.is_ascii_digit()) {
            let d = (d - b'0') as usize;
            if a > (i32::MAX as usize) / 10 || a * 10 > i32::MAX as usize - d {
                return Err(lua_error(lua, "integral size overflow"));
            }
            a = a * 10 + d;
            self.pos += 1;
        }
        Ok(a)
    }

    /// optsize: the size of option `opt` (0 for the control options).
    fn size(&mut self, lua: &Lua, opt: u8) -> mlua::Result<usize> {
        Ok(match opt {
            b'b' | b'B' | b'x' => 1,
            b'h' | b'H' => 2,
            b'l' | b'L' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.num(lua, 1)?,
            b'i' | b'I' => {
                let sz = self.num(lua, 4)?;
                if sz > MAX_INT_SIZE {
                    return Err(lua_error(lua, &format!("integral size {sz} is larger than limit of {MAX_INT_SIZE}")));
                }
                sz
            }
            _ => 0,
        })
    }

    /// controloptions.
    fn control(&mut self, lua: &Lua, opt: u8, h: &mut Header, fname: &str) -> mlua::Result<()> {
        match opt {
            b' ' => {}
            b'>' => h.little = false,
            b'<' => h.little = true,
            b'!' => {
                let a = self.num(lua, MAX_ALIGN)?;
                if !a.is_power_of_two() {
                    return Err(lua_error(lua, &format!("alignment {a} is not a power of 2")));
                }
                h.align = a;
            }
            other => {
                return Err(arg_error(lua, 1, fname, &format!("invalid format option '{}'", other as char)));
            }
        }
        Ok(())
    }
}

/// gettoalign: padding before an element of `size` at `len`.
fn to_align(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size - (len & (size - 1))) & (size - 1)
}

fn is_int(opt: u8) -> bool {
    matches!(opt, b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I')
}

/// Installs the `struct` table.
pub fn install(lua: &Lua) -> mlua::Result<()> {
    let mut lib = Lib::new(lua)?;
    lib.add("pack", |lua, a: MultiValue| lua.create_string(pack(lua, &a)?))?;
    lib.add("unpack", |lua, a: MultiValue| unpack(lua, &a))?;
    lib.add("size", |lua, a: MultiValue| {
        let fmt = check_string(lua, &a, 1, "size")?;
        let mut f = Format { s: &fmt, pos: 0 };
        let (mut h, mut pos) = (Header::default(), 0usize);
        while let Some(opt) = f.next() {
            let size = f.size(lua, opt)?;
            pos += to_align(pos, &h, opt, size);
            if opt == b's' {
                return Err(arg_error(lua, 1, "size", "option 's' has no fixed size"));
            }
            if opt == b'c' && size == 0 {
                return Err(arg_error(lua, 1, "size", "option 'c0' has no fixed size"));
            }
            if !opt.is_ascii_alphanumeric() {
                f.control(lua, opt, &mut h, "size")?;
            }
            pos += size;
        }
        Ok(pos as f64)
    })?;
    lib.finish("struct")
}

fn pack(lua: &Lua, a: &MultiValue) -> mlua::Result<Vec<u8>> {
    let fmt = check_string(lua, a, 1, "pack")?;
    // struct.c pushes a nil after the arguments: a missing one reads as nil.
    let mut a = a.clone();
    a.push_back(LuaValue::Nil);
    let a = &a;
    let mut f = Format { s: &fmt, pos: 0 };
    let mut h = Header::default();
    let (mut out, mut arg) = (Vec::new(), 2usize);
    while let Some(opt) = f.next() {
        let mut size = f.size(lua, opt)?;
        let pad = to_align(out.len(), &h, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            o if is_int(o) => {
                let n = check_number(lua, a, arg, "pack")?;
                arg += 1;
                let mut value = if n < 0.0 { n as i64 as u64 } else { n as u64 };
                let mut bytes = vec![0u8; size];
                for b in bytes.iter_mut() {
                    *b = (value & 0xff) as u8;
                    value = value.checked_shr(8).unwrap_or(0);
                }
                if !h.little {
                    bytes.reverse();
                }
                out.extend_from_slice(&bytes);
            }
            b'x' => out.push(0),
            b'f' | b'd' => {
                let n = check_number(lua, a, arg, "pack")?;
                arg += 1;
                let mut bytes = if opt == b'f' { (n as f32).to_le_bytes().to_vec() } else { n.to_le_bytes().to_vec() };
                if !h.little {
                    bytes.reverse();
                }
                out.extend_from_slice(&bytes);
            }
            b'c' | b's' => {
                let s = check_string(lua, a, arg, "pack")?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // struct.c checks after moving to the next argument.
                    return Err(arg_error(lua, arg, "pack", "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => f.control(lua, opt, &mut h, "pack")?,
        }
    }
    Ok(out)
}

fn unpack(lua: &Lua, a: &MultiValue) -> mlua::Result<MultiValue> {
    let fmt = check_string(lua, a, 1, "unpack")?;
    let data = check_string(lua, a, 2, "unpack")?;
    let start = match a.get(2) {
        None | Some(LuaValue::Nil) => 1.0,
        Some(_) => check_number(lua, a, 3, "unpack")?,
    } as i64;
    if start <= 0 {
        return Err(arg_error(lua, 3, "unpack", "offset must be 1 or greater"));
    }
    let mut pos = (start - 1) as usize;
    let mut f = Format { s: &fmt, pos: 0 };
    let mut h = Header::default();
    let mut out: Vec<LuaValue> = Vec::new();
    let short = |lua: &Lua| arg_error(lua, 2, "unpack", "data string too short");
    while let Some(opt) = f.next() {
        let mut size = f.size(lua, opt)?;
        pos += to_align(pos, &h, opt, size);
        if size > data.len() || pos > data.len() - size {
            return Err(short(lua));
        }
        match opt {
            o if is_int(o) => {
                let mut bytes = data[pos..pos + size].to_vec();
                if h.little {
                    bytes.reverse();
                }
                let mut l = bytes.iter().fold(0u64, |acc, &b| acc.checked_shl(8).unwrap_or(0) | b as u64);
                let n = if o.is_ascii_lowercase() {
                    let mask = u64::MAX.checked_shl((size * 8).saturating_sub(1) as u32).unwrap_or(0);
                    if l & mask != 0 {
                        l |= mask;
                    }
                    l as i64 as f64
                } else {
                    l as f64
                };
                out.push(LuaValue::Number(n));
            }
            b'x' => {}
            b'f' | b'd' => {
                let mut bytes = data[pos..pos + size].to_vec();
                if !h.little {
                    bytes.reverse();
                }
                let n = if opt == b'f' {
                    f32::from_le_bytes(bytes[..4].try_into().unwrap_or([0; 4])) as f64
                } else {
                    f64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8]))
                };
                out.push(LuaValue::Number(n));
            }
            b'c' => {
                if size == 0 {
                    let prev = out.last().and_then(|v| match v {
                        LuaValue::Number(n) => Some(*n),
                        LuaValue::Integer(n) => Some(*n as f64),
                        _ => None,
                    });
                    let Some(n) = prev else { return Err(lua_error(lua, "format 'c0' needs a previous size")) };
                    out.pop();
                    size = n as usize;
                    if size > data.len() || pos > data.len() - size {
                        return Err(short(lua));
                    }
                }
                out.push(LuaValue::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(end) = data[pos..].iter().position(|&c| c == 0) else {
                    return Err(lua_error(lua, "unfinished string in data"));
                };
                out.push(LuaValue::String(lua.create_string(&data[pos..pos + end])?));
                size = end + 1;
            }
            _ => f.control(lua, opt, &mut h, "unpack")?,
        }
        pos += size;
    }
    out.push(LuaValue::Number((pos + 1) as f64));
    Ok(MultiValue::from_iter(out))
}
