//! `bit`, LuaBitOp 1.0 as Redis bundles it: 32-bit operations on Lua numbers, results as
//! signed 32-bit numbers. Numbers are reduced to 32 bits the way LuaBitOp does (adding 2^52 +
//! 2^51 and keeping the low word: round half to even, modulo 2^32).

use super::{check_number, Lib};
use mlua::{Lua, MultiValue};

/// LuaBitOp's `barg`.
fn bits(n: f64) -> u32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32
}

fn number(b: u32) -> f64 {
    b as i32 as f64
}

/// Installs the `bit` table.
pub fn install(lua: &Lua) -> mlua::Result<()> {
    let mut lib = Lib::new(lua)?;
    lib.add("tobit", |lua, a| Ok(number(bits(check_number(lua, &a, 1, "tobit")?))))?;
    lib.add("bnot", |lua, a| Ok(number(!bits(check_number(lua, &a, 1, "bnot")?))))?;
    lib.add("bswap", |lua, a| Ok(number(bits(check_number(lua, &a, 1, "bswap")?).swap_bytes())))?;
    lib.add("band", |lua, a| fold(lua, a, "band", |x, y| x & y))?;
    lib.add("bor", |lua, a| fold(lua, a, "bor", |x, y| x | y))?;
    lib.add("bxor", |lua, a| fold(lua, a, "bxor", |x, y| x ^ y))?;
    lib.add("lshift", |lua, a| shift(lua, a, "lshift", |x, n| x << n))?;
    lib.add("rshift", |lua, a| shift(lua, a, "rshift", |x, n| x >> n))?;
    lib.add("arshift", |lua, a| shift(lua, a, "arshift", |x, n| ((x as i32) >> n) as u32))?;
    lib.add("rol", |lua, a| shift(lua, a, "rol", |x, n| x.rotate_left(n)))?;
    lib.add("ror", |lua, a| shift(lua, a, "ror", |x, n| x.rotate_right(n)))?;
    lib.add("tohex", |lua, a| {
        let x = bits(check_number(lua, &a, 1, "tohex")?);
        let n = if a.len() >= 2 { bits(check_number(lua, &a, 2, "tohex")?) as i32 } else { 8 };
        let upper = n < 0;
        let digits = (n.unsigned_abs().min(8)) as usize;
        let x = if digits < 8 { x & ((1u32 << (4 * digits)) - 1) } else { x };
        let s = if upper { format!("{x:0digits$X}") } else { format!("{x:0digits$x}") };
        Ok(s)
    })?;
    lib.finish("bit")
}

fn fold(lua: &Lua, a: MultiValue, name: &str, op: fn(u32, u32) -> u32) -> mlua::Result<f64> {
    let mut acc = bits(check_number(lua, &a, 1, name)?);
    for i in 2..=a.len() {
        acc = op(acc, bits(check_number(lua, &a, i, name)?));
    }
    Ok(number(acc))
}

fn shift(lua: &Lua, a: MultiValue, name: &str, op: fn(u32, u32) -> u32) -> mlua::Result<f64> {
    let x = bits(check_number(lua, &a, 1, name)?);
    let n = bits(check_number(lua, &a, 2, name)?) & 31;
    Ok(number(op(x, n)))
}
