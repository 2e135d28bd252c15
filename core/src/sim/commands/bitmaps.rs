//! The bitmaps family (Redis `bitops.c`): SETBIT, GETBIT, BITCOUNT and BITPOS with BYTE|BIT
//! ranges, BITOP AND/OR/XOR/NOT, BITFIELD (GET/SET/INCRBY, OVERFLOW WRAP|SAT|FAIL, `iN`/`uN`
//! types, `#N` offsets) and BITFIELD_RO. Bitmaps are plain string values; bits are numbered from
//! the most significant bit of the first byte, as in Redis. Strings grow in place
//! ([`SmallBytes::make_mut`]) so repeated SETBIT stays cheap.

use super::strings::proto_max_bulk_len;
use crate::cmd;
use crate::resp::Value;
use crate::sim::bytes::SmallBytes;
use crate::sim::command::{arg_i64, is_kw, CmdError, CmdResult, Command, Ctx};
use crate::sim::db::RValue;
use crate::sim::errors;
use crate::sim::float::parse_i64;

/// The bitmaps commands.
pub static COMMANDS: &[Command] = &[
    cmd!("setbit", 4, "write denyoom", 1, 1, 1, setbit, "bitmap", "Sets or clears the bit at offset."),
    cmd!("getbit", 3, "readonly fast", 1, 1, 1, getbit, "bitmap", "Returns the bit at offset."),
    cmd!("bitcount", -2, "readonly", 1, 1, 1, bitcount, "bitmap", "Counts set bits in a string."),
    cmd!("bitpos", -3, "readonly", 1, 1, 1, bitpos, "bitmap", "Finds the first set or clear bit."),
    cmd!("bitop", -4, "write denyoom", 2, -1, 1, bitop, "bitmap", "Bitwise operations between strings."),
    cmd!("bitfield", -2, "write denyoom", 1, 1, 1, bitfield, "bitmap", "Integer fields in a bitmap."),
    cmd!("bitfield_ro", -2, "readonly fast", 1, 1, 1, bitfield_ro, "bitmap", "Read-only BITFIELD."),
];

const BIT_OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";

/// Redis's `getBitOffsetFromArgument`: a bit offset below `proto-max-bulk-len * 8`, with the
/// `#N` form (N * bits) when `hash_bits` is given.
fn bit_offset(ctx: &Ctx, arg: &[u8], hash_bits: Option<u32>) -> Result<u64, CmdError> {
    let bad = || CmdError::msg(BIT_OFFSET_ERR);
    let (digits, mult) = match hash_bits {
        Some(bits) if arg.len() > 1 && arg[0] == b'#' => (&arg[1..], i64::from(bits)),
        _ => (arg, 1),
    };
    let v = parse_i64(digits).ok_or_else(bad)?.wrapping_mul(mult);
    if v < 0 || (v as u64 >> 3) >= proto_max_bulk_len(ctx) {
        return Err(bad());
    }
    Ok(v as u64)
}

/// Redis's `lookupStringForBitCommand`: the string at `key`, created or zero-extended so that
/// bit `maxbit` exists. WRONGTYPE for other types.
fn string_for_bits<'c>(ctx: &'c mut Ctx, key: &[u8], maxbit: u64) -> Result<&'c mut Vec<u8>, CmdError> {
    let need = (maxbit >> 3) as usize + 1;
    if ctx.get_str(key)?.is_none() {
        ctx.set_value(key, RValue::Str(SmallBytes::raw(vec![0u8; need])));
    }
    let s = ctx.get_str(key)?.ok_or_else(errors::wrong_type)?;
    let v = s.make_mut();
    if v.len() < need {
        v.resize(need, 0);
    }
    Ok(v)
}

fn setbit(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let key = &argv[1];
    let offset = bit_offset(ctx, &argv[2], None)?;
    let on = parse_i64(&argv[3])
        .filter(|v| v & !1 == 0)
        .ok_or_else(|| CmdError::msg("ERR bit is not an integer or out of range"))?;
    let v = string_for_bits(ctx, key, offset)?;
    let byte = (offset >> 3) as usize;
    let bit = 7 - (offset & 7) as u32;
    let old = (v[byte] >> bit) & 1;
    v[byte] = (v[byte] & !(1u8 << bit)) | ((on as u8) << bit);
    ctx.written(key, '$', "setbit");
    Ok(Value::Int(i64::from(old)))
}

fn getbit(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let offset = bit_offset(ctx, &argv[2], None)?;
    let Some(s) = ctx.get_str(&argv[1])? else { return Ok(Value::Int(0)) };
    let byte = (offset >> 3) as usize;
    let bit = 7 - (offset & 7) as u32;
    Ok(Value::Int(s.get(byte).map(|b| i64::from((b >> bit) & 1)).unwrap_or(0)))
}

/// Parses the optional BYTE|BIT unit argument.
fn parse_unit(arg: &[u8]) -> Result<bool, CmdError> {
    if is_kw(arg, "bit") {
        Ok(true)
    } else if is_kw(arg, "byte") {
        Ok(false)
    } else {
        Err(errors::syntax())
    }
}

/// Normalises a `[start, end]` range over `totlen` units (negative = from the end), clamping
/// like Redis. Returns the inclusive range, possibly empty (start > end).
fn norm_range(mut start: i64, mut end: i64, totlen: i64) -> (i64, i64) {
    if start < 0 {
        start = totlen.wrapping_add(start);
    }
    if end < 0 {
        end = totlen.wrapping_add(end);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= totlen {
        end = totlen - 1;
    }
    (start, end)
}

fn popcount(b: &[u8]) -> u64 {
    let mut chunks = b.chunks_exact(8);
    let mut n: u64 = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        n += u64::from(u64::from_ne_bytes(w).count_ones());
    }
    n + chunks.remainder().iter().map(|x| u64::from(x.count_ones())).sum::<u64>()
}

/// BITCOUNT/BITPOS ranges in bits: `start..=end` counted in bits (BIT) or in bytes (BYTE,
/// widened to whole bytes), negative positions from the end, clamped like Redis.
fn bit_range(start: i64, end: i64, len_bytes: i64, isbit: bool) -> (i64, i64) {
    if isbit {
        norm_range(start, end, len_bytes * 8)
    } else {
        let (s, e) = norm_range(start, end, len_bytes);
        (s.saturating_mul(8), e.saturating_mul(8).saturating_add(7))
    }
}

fn bitcount(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let Some(s) = ctx.get_str(&argv[1])? else { return Ok(Value::Int(0)) };
    let p = s.as_slice();
    let len = p.len() as i64;
    let (start_bit, end_bit) = match argv.len() {
        2 => (0, len * 8 - 1),
        4 | 5 => {
            let start = arg_i64(&argv[2])?;
            let end = arg_i64(&argv[3])?;
            if start < 0 && end < 0 && start > end {
                return Ok(Value::Int(0));
            }
            let isbit = if argv.len() == 5 { parse_unit(&argv[4])? } else { false };
            bit_range(start, end, len, isbit)
        }
        _ => return Err(errors::syntax()),
    };
    if start_bit > end_bit {
        return Ok(Value::Int(0));
    }
    let (sb, eb) = ((start_bit >> 3) as usize, (end_bit >> 3) as usize);
    let mut count = popcount(&p[sb..=eb]);
    count -= u64::from(p[sb].checked_shr(8 - (start_bit & 7) as u32).unwrap_or(0).count_ones());
    count -= u64::from((p[eb] & ((1u16 << (7 - (end_bit & 7))) - 1) as u8).count_ones());
    Ok(Value::Int(count as i64))
}

/// First bit equal to `bit` in the inclusive bit range, if any.
fn find_bit(p: &[u8], start_bit: u64, end_bit: u64, bit: bool) -> Option<u64> {
    let mut pos = start_bit;
    while pos <= end_bit {
        let byte = p[(pos >> 3) as usize];
        let b = if bit { byte } else { !byte };
        if pos & 7 == 0 && b == 0 {
            pos += 8;
            continue;
        }
        if (b >> (7 - (pos & 7))) & 1 == 1 {
            return Some(pos);
        }
        pos += 1;
    }
    None
}

fn bitpos(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let bit = arg_i64(&argv[2])?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::msg("ERR The bit argument must be 1 or 0."));
    }
    let Some(s) = ctx.get_str(&argv[1])? else { return Ok(Value::Int(if bit == 1 { -1 } else { 0 })) };
    let p = s.as_slice();
    let len = p.len() as i64;
    let mut end_given = false;
    let (start_bit, end_bit) = match argv.len() {
        3 => (0, len * 8 - 1),
        4..=6 => {
            let start = arg_i64(&argv[3])?;
            let isbit = if argv.len() == 6 { parse_unit(&argv[5])? } else { false };
            let end = if argv.len() >= 5 {
                end_given = true;
                arg_i64(&argv[4])?
            } else if isbit {
                (len << 3) + 7
            } else {
                len - 1
            };
            bit_range(start, end, len, isbit)
        }
        _ => return Err(errors::syntax()),
    };
    if start_bit > end_bit {
        return Ok(Value::Int(-1));
    }
    Ok(Value::Int(match find_bit(p, start_bit as u64, end_bit as u64, bit == 1) {
        Some(pos) => pos as i64,
        None if bit == 1 || end_given => -1,
        None => ((end_bit >> 3) + 1) * 8,
    }))
}

fn bitop(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    #[derive(PartialEq, Clone, Copy)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let op = match &argv[1] {
        a if is_kw(a, "and") => Op::And,
        a if is_kw(a, "or") => Op::Or,
        a if is_kw(a, "xor") => Op::Xor,
        a if is_kw(a, "not") => Op::Not,
        _ => return Err(errors::syntax()),
    };
    if op == Op::Not && argv.len() != 4 {
        return Err(CmdError::msg("ERR BITOP NOT must be called with a single source key."));
    }
    let mut srcs: Vec<Option<Vec<u8>>> = Vec::with_capacity(argv.len() - 3);
    for key in &argv[3..] {
        srcs.push(ctx.get_str(key)?.map(|s| s.to_vec()));
    }
    let maxlen = srcs.iter().map(|s| s.as_ref().map(Vec::len).unwrap_or(0)).max().unwrap_or(0);
    let target = &argv[2];
    if maxlen == 0 {
        if ctx.delete(target) {
            ctx.written(target, 'g', "del");
        }
        return Ok(Value::Int(0));
    }
    let byte_at = |s: &Option<Vec<u8>>, j: usize| s.as_ref().and_then(|v| v.get(j).copied()).unwrap_or(0);
    let mut res = vec![0u8; maxlen];
    for (j, out) in res.iter_mut().enumerate() {
        let mut acc = byte_at(&srcs[0], j);
        if op == Op::Not {
            acc = !acc;
        }
        for s in &srcs[1..] {
            let b = byte_at(s, j);
            match op {
                Op::And => acc &= b,
                Op::Or => acc |= b,
                Op::Xor => acc ^= b,
                Op::Not => {}
            }
        }
        *out = acc;
    }
    ctx.lookup_no_touch(target);
    ctx.set_value(target, RValue::Str(SmallBytes::raw(res)));
    ctx.written(target, '$', "set");
    Ok(Value::Int(maxlen as i64))
}

/// Overflow behaviour of BITFIELD SET/INCRBY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// One parsed BITFIELD operation.
#[derive(Debug, Clone, Copy)]
struct FieldOp {
    /// 0 = GET, 1 = SET, 2 = INCRBY.
    kind: u8,
    offset: u64,
    bits: u32,
    signed: bool,
    value: i64,
    overflow: Overflow,
}

/// Parses `iN` / `uN` (N ≤ 64 signed, ≤ 63 unsigned). Like Redis, the digits stop at a NUL.
fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let err = || {
        CmdError::msg(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let signed = match arg.first() {
        Some(b'i' | b'I') => true,
        Some(b'u' | b'U') => false,
        _ => return Err(err()),
    };
    let digits = &arg[1..];
    let digits = &digits[..digits.iter().position(|&c| c == 0).unwrap_or(digits.len())];
    let bits = parse_i64(digits).ok_or_else(err)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(err());
    }
    Ok((signed, bits as u32))
}

fn parse_field_ops(ctx: &Ctx, argv: &[Vec<u8>]) -> Result<Vec<FieldOp>, CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let rem = argv.len() - j - 1;
        let sub = &argv[j];
        let kind = if is_kw(sub, "get") && rem >= 2 {
            0
        } else if is_kw(sub, "set") && rem >= 3 {
            1
        } else if is_kw(sub, "incrby") && rem >= 3 {
            2
        } else if is_kw(sub, "overflow") && rem >= 1 {
            let t = &argv[j + 1];
            overflow = if is_kw(t, "wrap") {
                Overflow::Wrap
            } else if is_kw(t, "sat") {
                Overflow::Sat
            } else if is_kw(t, "fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::msg("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(errors::syntax());
        };
        let (signed, bits) = field_type(&argv[j + 1])?;
        let offset = bit_offset(ctx, &argv[j + 2], Some(bits))?;
        let value = if kind != 0 { arg_i64(&argv[j + 3])? } else { 0 };
        ops.push(FieldOp { kind, offset, bits, signed, value, overflow });
        j += if kind == 0 { 3 } else { 4 };
    }
    Ok(ops)
}

fn get_unsigned(p: &[u8], mut offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for _ in 0..bits {
        let byte = p.get((offset >> 3) as usize).copied().unwrap_or(0);
        let bit = (byte >> (7 - (offset & 7))) & 1;
        v = (v << 1) | u64::from(bit);
        offset += 1;
    }
    v
}

fn get_signed(p: &[u8], offset: u64, bits: u32) -> i64 {
    let mut v = get_unsigned(p, offset, bits);
    if bits < 64 && v & (1u64 << (bits - 1)) != 0 {
        v |= u64::MAX << bits;
    }
    v as i64
}

fn set_unsigned(p: &mut [u8], mut offset: u64, bits: u32, value: u64) {
    for j in 0..bits {
        let bitval = (value >> (bits - 1 - j)) & 1;
        let byte = (offset >> 3) as usize;
        let bit = 7 - (offset & 7);
        if let Some(b) = p.get_mut(byte) {
            *b = (*b & !(1u8 << bit)) | ((bitval as u8) << bit);
        }
        offset += 1;
    }
}

/// Redis's `checkUnsignedBitfieldOverflow`: whether `value + incr` overflows a `bits`-wide
/// unsigned field, and the wrapped / saturated result to store instead.
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> (bool, u64) {
    let max = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrap = || value.wrapping_add(incr as u64) & !(u64::MAX.checked_shl(bits).unwrap_or(0));
    if value > max || (incr > 0 && incr > maxincr) {
        return (true, if ow == Overflow::Wrap { wrap() } else { max });
    }
    if incr < 0 && incr < minincr {
        return (true, if ow == Overflow::Wrap { wrap() } else { 0 });
    }
    (false, 0)
}

/// Redis's `checkSignedBitfieldOverflow` for a `bits`-wide signed field.
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> (bool, i64) {
    let max: i64 = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        return (true, if ow == Overflow::Wrap { wrap() } else { max });
    }
    if value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
        return (true, if ow == Overflow::Wrap { wrap() } else { min });
    }
    (false, 0)
}

/// Executes one SET/INCRBY on the bitmap; returns the reply (Nil when OVERFLOW FAIL hit).
fn field_write(p: &mut [u8], op: &FieldOp) -> Value {
    if op.signed {
        let old = get_signed(p, op.offset, op.bits);
        let (newval, overflow, reply) = if op.kind == 2 {
            let (of, lim) = signed_overflow(old, op.value, op.bits, op.overflow);
            let nv = if of { lim } else { old.wrapping_add(op.value) };
            (nv, of, nv)
        } else {
            let (of, lim) = signed_overflow(op.value, 0, op.bits, op.overflow);
            (if of { lim } else { op.value }, of, old)
        };
        if overflow && op.overflow == Overflow::Fail {
            return Value::Nil;
        }
        set_unsigned(p, op.offset, op.bits, newval as u64);
        Value::Int(reply)
    } else {
        let old = get_unsigned(p, op.offset, op.bits);
        let (newval, overflow, reply) = if op.kind == 2 {
            let (of, lim) = unsigned_overflow(old, op.value, op.bits, op.overflow);
            let nv = if of { lim } else { old.wrapping_add(op.value as u64) };
            (nv, of, nv)
        } else {
            let (of, lim) = unsigned_overflow(op.value as u64, 0, op.bits, op.overflow);
            (if of { lim } else { op.value as u64 }, of, old)
        };
        if overflow && op.overflow == Overflow::Fail {
            return Value::Nil;
        }
        set_unsigned(p, op.offset, op.bits, newval);
        Value::Int(reply as i64)
    }
}

fn field_read(p: &[u8], op: &FieldOp) -> Value {
    if op.signed {
        Value::Int(get_signed(p, op.offset, op.bits))
    } else {
        Value::Int(get_unsigned(p, op.offset, op.bits) as i64)
    }
}

/// BITFIELD and BITFIELD_RO.
fn bitfield_generic(ctx: &mut Ctx, argv: &[Vec<u8>], readonly_cmd: bool) -> CmdResult {
    let key = &argv[1];
    let ops = parse_field_ops(ctx, argv)?;
    let writes = ops.iter().filter(|o| o.kind != 0).count();
    if writes == 0 {
        let s = ctx.get_str(key)?;
        let p: &[u8] = s.as_ref().map(|s| s.as_slice()).unwrap_or(&[]);
        return Ok(Value::Array(ops.iter().map(|op| field_read(p, op)).collect()));
    }
    if readonly_cmd {
        return Err(CmdError::msg("ERR BITFIELD_RO only supports the GET subcommand"));
    }
    let highest = ops.iter().filter(|o| o.kind != 0).map(|o| o.offset + u64::from(o.bits) - 1).max().unwrap_or(0);
    let p = string_for_bits(ctx, key, highest)?;
    let out: Vec<Value> =
        ops.iter().map(|op| if op.kind == 0 { field_read(p, op) } else { field_write(p, op) }).collect();
    ctx.written(key, '$', "setbit");
    Ok(Value::Array(out))
}

fn bitfield(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    bitfield_generic(ctx, argv, false)
}

fn bitfield_ro(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    bitfield_generic(ctx, argv, true)
}
