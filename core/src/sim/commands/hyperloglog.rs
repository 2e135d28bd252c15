//! The HyperLogLog family (Redis `hyperloglog.c`): PFADD, PFCOUNT, PFMERGE, PFDEBUG and
//! PFSELFTEST. The structure is Redis's byte for byte, stored in an ordinary string value: the
//! 16-byte `HYLL` header (encoding, cached cardinality with its "invalid" bit), then either the
//! sparse run-length opcodes (ZERO / XZERO / VAL) or 16384 dense 6-bit registers. Elements are
//! hashed with MurmurHash64A (seed 0xadc83b19) and counted with Ertl's estimator exactly like
//! Redis 7.0, so counts — and even `GET` of an HLL key — are identical to a real server's.

use crate::cmd;
use crate::resp::Value;
use crate::sim::bytes::SmallBytes;
use crate::sim::command::{is_kw, CmdError, CmdResult, Command, Ctx};
use crate::sim::db::RValue;
use crate::sim::errors;

/// The hyperloglog commands.
pub static COMMANDS: &[Command] = &[
    cmd!("pfadd", -2, "write denyoom fast", 1, 1, 1, pfadd, "hyperloglog", "Adds elements to a HyperLogLog."),
    cmd!("pfcount", -2, "readonly may_replicate", 1, -1, 1, pfcount, "hyperloglog", "Approximate cardinality."),
    cmd!("pfmerge", -2, "write denyoom", 1, -1, 1, pfmerge, "hyperloglog", "Merges HyperLogLogs."),
    cmd!("pfdebug", 3, "write denyoom admin", 2, 2, 1, pfdebug, "hyperloglog", "Internal HyperLogLog debugging."),
    cmd!("pfselftest", 1, "admin", 0, 0, 0, pfselftest, "hyperloglog", "HyperLogLog self test."),
];

const HDR: usize = 16;
const P: u32 = 14;
const Q: usize = 64 - P as usize;
const REGISTERS: usize = 1 << P;
const REGISTER_MAX: u8 = 63;
const DENSE_SIZE: usize = HDR + (REGISTERS * 6).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const SPARSE_XZERO_MAX_LEN: usize = 16384;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
const DEFAULT_SPARSE_MAX_BYTES: usize = 3000;

const INVALID_HLL: &str = "INVALIDOBJ Corrupted HLL object detected";
const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";

/// MurmurHash2, 64-bit version, endian-neutral as in Redis.
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let mut k = u64::from_le_bytes(w).wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// Register index and run length ("000..1" pattern length) of an element.
fn pat_len(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, 0xadc8_3b19);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = u16::from(regs.get(byte).copied().unwrap_or(0));
    let b1 = u16::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) & u16::from(REGISTER_MAX)) as u8
}

fn dense_set_raw(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = u16::from(val);
    if let Some(b) = regs.get_mut(byte) {
        *b &= !((u16::from(REGISTER_MAX) << fb) as u8);
        *b |= (v << fb) as u8;
    }
    if let Some(b) = regs.get_mut(byte + 1) {
        *b &= !((u16::from(REGISTER_MAX) >> (8 - fb)) as u8);
        *b |= (v >> (8 - fb)) as u8;
    }
}

/// `hllDenseSet`: raises register `i` to `count`; true when it changed.
fn dense_set(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_set_raw(regs, i, count);
        true
    } else {
        false
    }
}

/// One decoded sparse opcode: (registers covered, value, opcode length in bytes).
fn sparse_op(v: &[u8], p: usize) -> (usize, u8, usize) {
    let b = v[p];
    if b & 0xc0 == 0 {
        (usize::from(b & 0x3f) + 1, 0, 1)
    } else if b & 0x80 == 0 {
        let lo = v.get(p + 1).copied().unwrap_or(0);
        ((usize::from(b & 0x3f) << 8 | usize::from(lo)) + 1, 0, 2)
    } else {
        (usize::from(b & 3) + 1, ((b >> 2) & 0x1f) + 1, 1)
    }
}

fn val_op(val: u8, len: usize) -> u8 {
    ((val - 1) << 2) | (len as u8 - 1) | 0x80
}

/// Appends a ZERO or XZERO opcode for `len` zero registers.
fn push_zeros(seq: &mut Vec<u8>, len: usize) {
    if len > SPARSE_ZERO_MAX_LEN {
        let l = len - 1;
        seq.push((l >> 8) as u8 | 0x40);
        seq.push((l & 0xff) as u8);
    } else {
        seq.push(len as u8 - 1);
    }
}

/// An empty HLL in the sparse encoding (what PFADD/PFMERGE create).
fn create_hll() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR + 2);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.extend_from_slice(&[0u8; 11]);
    let mut left = REGISTERS;
    while left > 0 {
        let x = left.min(SPARSE_XZERO_MAX_LEN);
        push_zeros(&mut v, x);
        left -= x;
    }
    v
}

/// `hllSparseToDense`: converts in place; Err when the sparse data is corrupt.
fn sparse_to_dense(v: &mut Vec<u8>) -> Result<(), ()> {
    if v[4] == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&v[..HDR]);
    dense[4] = DENSE;
    let mut idx = 0usize;
    let mut p = HDR;
    while p < v.len() {
        let (run, val, oplen) = sparse_op(v, p);
        if val > 0 {
            if run + idx > REGISTERS {
                break;
            }
            for _ in 0..run {
                dense_set_raw(&mut dense[HDR..], idx, val);
                idx += 1;
            }
        } else {
            idx += run;
        }
        p += oplen;
    }
    if idx != REGISTERS {
        return Err(());
    }
    *v = dense;
    Ok(())
}

/// `hllSparseSet`: raises register `index` to `count` in a sparse HLL, promoting to dense when
/// needed. Returns 1 if changed, 0 if not, -1 on corruption.
fn sparse_set(v: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> i32 {
    if count > SPARSE_VAL_MAX_VALUE {
        return promote(v, index, count);
    }
    let mut p = HDR;
    let mut first = 0usize;
    let mut prev: Option<usize> = None;
    let mut span = 0usize;
    while p < v.len() {
        let (run, _, oplen) = sparse_op(v, p);
        span = run;
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= v.len() {
        return -1;
    }
    let (runlen, curval, oldlen) = sparse_op(v, p);
    let is_val = curval > 0;
    if is_val {
        if curval >= count {
            return 0;
        }
        if runlen == 1 {
            v[p] = val_op(count, 1);
            return sparse_updated(v, prev);
        }
    }
    if !is_val && oldlen == 1 && runlen == 1 {
        v[p] = val_op(count, 1);
        return sparse_updated(v, prev);
    }
    let last = first + span - 1;
    let mut seq = Vec::with_capacity(5);
    if is_val {
        if index != first {
            seq.push(val_op(curval, index - first));
        }
        seq.push(val_op(count, 1));
        if index != last {
            seq.push(val_op(curval, last - index));
        }
    } else {
        if index != first {
            push_zeros(&mut seq, index - first);
        }
        seq.push(val_op(count, 1));
        if index != last {
            push_zeros(&mut seq, last - index);
        }
    }
    if seq.len() > oldlen && v.len() + (seq.len() - oldlen) > max_bytes {
        return promote(v, index, count);
    }
    let stop = (p + oldlen).min(v.len());
    v.splice(p..stop, seq);
    sparse_updated(v, prev)
}

/// Step 4 of `hllSparseSet`: merges adjacent equal VAL opcodes near the change, then
/// invalidates the cached cardinality.
fn sparse_updated(v: &mut Vec<u8>, prev: Option<usize>) -> i32 {
    let mut p = prev.unwrap_or(HDR);
    let mut scanlen = 5;
    while p < v.len() && scanlen > 0 {
        scanlen -= 1;
        let (_, val, oplen) = sparse_op(v, p);
        if val == 0 {
            p += oplen;
            continue;
        }
        if p + 1 < v.len() && v[p + 1] & 0x80 != 0 {
            let (l1, v1, _) = sparse_op(v, p);
            let (l2, v2, _) = sparse_op(v, p + 1);
            if v1 == v2 && l1 + l2 <= SPARSE_VAL_MAX_LEN {
                v[p + 1] = val_op(v1, l1 + l2);
                v.remove(p);
                continue;
            }
        }
        p += 1;
    }
    v[15] |= 0x80;
    1
}

fn promote(v: &mut Vec<u8>, index: usize, count: u8) -> i32 {
    if sparse_to_dense(v).is_err() {
        return -1;
    }
    dense_set(&mut v[HDR..], index, count);
    1
}

/// `hllAdd`: 1 if the element changed a register, 0 if not, -1 on a corrupt HLL.
fn hll_add(v: &mut Vec<u8>, ele: &[u8], max_bytes: usize) -> i32 {
    let (index, count) = pat_len(ele);
    match v[4] {
        DENSE => i32::from(dense_set(&mut v[HDR..], index, count)),
        SPARSE => sparse_set(v, index, count, max_bytes),
        _ => -1,
    }
}

/// Register histogram of an HLL string; Err for corrupt sparse data.
fn histogram(v: &[u8]) -> Result<[u32; 64], ()> {
    let mut h = [0u32; 64];
    if v[4] == DENSE {
        for i in 0..REGISTERS {
            h[usize::from(dense_get(&v[HDR..], i))] += 1;
        }
        return Ok(h);
    }
    let mut idx = 0usize;
    let mut p = HDR;
    while p < v.len() {
        let (run, val, oplen) = sparse_op(v, p);
        idx += run;
        h[usize::from(val)] = h[usize::from(val)].wrapping_add(run as u32);
        p += oplen;
    }
    if idx != REGISTERS {
        return Err(());
    }
    Ok(h)
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let zp = z;
        z += x * y;
        y += y;
        if zp == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let zp = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if zp == z {
            return z / 3.0;
        }
    }
}

/// Ertl's estimator on a register histogram (Redis's `hllCount`).
fn estimate(h: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(h[Q + 1])) / m);
    for j in (1..=Q).rev() {
        z += f64::from(h[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(h[0]) / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// `hllMerge`: `max[i] = MAX(max[i], hll[i])`; Err for corrupt sparse data.
fn merge(max: &mut [u8], v: &[u8]) -> Result<(), ()> {
    if v[4] == DENSE {
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(&v[HDR..], i));
        }
        return Ok(());
    }
    let mut i = 0usize;
    let mut p = HDR;
    while p < v.len() {
        let (run, val, oplen) = sparse_op(v, p);
        if val > 0 {
            if run + i > REGISTERS {
                break;
            }
            for m in &mut max[i..i + run] {
                *m = (*m).max(val);
            }
        }
        i += run;
        p += oplen;
    }
    if i != REGISTERS {
        return Err(());
    }
    Ok(())
}

/// `isHLLObjectOrReply` on raw bytes.
fn is_hll(v: &[u8]) -> bool {
    v.len() >= HDR && &v[..4] == b"HYLL" && v[4] <= SPARSE && (v[4] != DENSE || v.len() == DENSE_SIZE)
}

/// The HLL bytes under `key` (None when missing); WRONGTYPE errors for other types or strings
/// that are not HLLs.
fn hll_of<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut Vec<u8>>, CmdError> {
    match ctx.get_str(key)? {
        None => Ok(None),
        Some(s) if is_hll(s) => Ok(Some(s.make_mut())),
        Some(_) => Err(CmdError::msg(NOT_HLL)),
    }
}

/// Reads an HLL for merging without copying it into a growable buffer.
fn merge_key(ctx: &mut Ctx, key: &[u8], max: &mut [u8]) -> Result<Option<u8>, CmdError> {
    match ctx.get_str(key)? {
        None => Ok(None),
        Some(s) if is_hll(s) => {
            merge(max, s).map_err(|_| CmdError::msg(INVALID_HLL))?;
            Ok(Some(s[4]))
        }
        Some(_) => Err(CmdError::msg(NOT_HLL)),
    }
}

fn sparse_max_bytes(ctx: &Ctx) -> usize {
    ctx.st.config.other.get("hll-sparse-max-bytes").and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_SPARSE_MAX_BYTES)
}

fn pfadd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let key = &argv[1];
    let max_bytes = sparse_max_bytes(ctx);
    let mut updated = false;
    if hll_of(ctx, key)?.is_none() {
        ctx.set_value(key, RValue::Str(SmallBytes::raw(create_hll())));
        updated = true;
    }
    let Some(v) = hll_of(ctx, key)? else { return Err(errors::wrong_type()) };
    for ele in &argv[2..] {
        match hll_add(v, ele, max_bytes) {
            1 => updated = true,
            -1 => return Err(CmdError::msg(INVALID_HLL)),
            _ => {}
        }
    }
    if updated {
        v[15] |= 0x80;
        ctx.written(key, '$', "pfadd");
    }
    Ok(Value::Int(i64::from(updated)))
}

fn pfcount(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() > 2 {
        let mut max = vec![0u8; REGISTERS];
        for key in &argv[1..] {
            merge_key(ctx, key, &mut max)?;
        }
        let mut h = [0u32; 64];
        for &r in &max {
            h[usize::from(r)] += 1;
        }
        return Ok(Value::Int(estimate(&h) as i64));
    }
    let key = &argv[1];
    let Some(v) = hll_of(ctx, key)? else { return Ok(Value::Int(0)) };
    if v[15] & 0x80 == 0 {
        let mut card = [0u8; 8];
        card.copy_from_slice(&v[8..16]);
        return Ok(Value::Int(u64::from_le_bytes(card) as i64));
    }
    let h = histogram(v).map_err(|_| CmdError::msg(INVALID_HLL))?;
    let card = estimate(&h);
    v[8..16].copy_from_slice(&card.to_le_bytes());
    // Updating the cache modifies the value: WATCH sees it, but no keyspace event is sent.
    let db = ctx.db_index();
    ctx.st.signal_modified(db, key);
    ctx.st.dirty += 1;
    Ok(Value::Int(card as i64))
}

fn pfmerge(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut max = vec![0u8; REGISTERS];
    let mut use_dense = false;
    for key in &argv[1..] {
        if merge_key(ctx, key, &mut max)? == Some(DENSE) {
            use_dense = true;
        }
    }
    let key = &argv[1];
    let max_bytes = sparse_max_bytes(ctx);
    if hll_of(ctx, key)?.is_none() {
        ctx.set_value(key, RValue::Str(SmallBytes::raw(create_hll())));
    }
    let Some(v) = hll_of(ctx, key)? else { return Err(errors::wrong_type()) };
    if use_dense && sparse_to_dense(v).is_err() {
        return Err(CmdError::msg(INVALID_HLL));
    }
    for (j, &m) in max.iter().enumerate() {
        if m == 0 {
            continue;
        }
        if v[4] == DENSE {
            dense_set(&mut v[HDR..], j, m);
        } else {
            sparse_set(v, j, m, max_bytes);
        }
    }
    v[15] |= 0x80;
    ctx.written(key, '$', "pfadd");
    Ok(Value::ok())
}

fn pfselftest(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    // Redis checks its register macros on random data; ours are exercised by the unit tests.
    let mut regs = vec![0u8; DENSE_SIZE - HDR];
    for i in 0..REGISTERS {
        dense_set_raw(&mut regs, i, (i % 64) as u8);
    }
    if (0..REGISTERS).all(|i| dense_get(&regs, i) == (i % 64) as u8) {
        Ok(Value::ok())
    } else {
        Err(CmdError::msg("TESTFAILED Register mismatch"))
    }
}

fn pfdebug(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let sub = &argv[1];
    let key = &argv[2];
    let Some(v) = hll_of(ctx, key)? else { return Err(CmdError::msg("ERR The specified key does not exist")) };
    if is_kw(sub, "getreg") {
        if v[4] == SPARSE {
            sparse_to_dense(v).map_err(|_| CmdError::msg(INVALID_HLL))?;
        }
        Ok(Value::Array((0..REGISTERS).map(|i| Value::Int(i64::from(dense_get(&v[HDR..], i)))).collect()))
    } else if is_kw(sub, "decode") {
        if v[4] != SPARSE {
            return Err(CmdError::msg("ERR HLL encoding is not sparse"));
        }
        let mut out = String::new();
        let mut p = HDR;
        while p < v.len() {
            let (run, val, oplen) = sparse_op(v, p);
            match (val, oplen) {
                (0, 1) => out.push_str(&format!("z:{} ", run)),
                (0, _) => out.push_str(&format!("Z:{} ", run)),
                _ => out.push_str(&format!("v:{},{} ", val, run)),
            }
            p += oplen;
        }
        Ok(Value::bulk(out.trim_matches(' ')))
    } else if is_kw(sub, "encoding") {
        Ok(Value::simple(if v[4] == DENSE { "dense" } else { "sparse" }))
    } else if is_kw(sub, "todense") {
        let conv = v[4] == SPARSE;
        if conv {
            sparse_to_dense(v).map_err(|_| CmdError::msg(INVALID_HLL))?;
        }
        Ok(Value::Int(i64::from(conv)))
    } else {
        Err(CmdError::msg(format!("ERR Unknown PFDEBUG subcommand '{}'", String::from_utf8_lossy(sub))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sparse_hll_layout() {
        let v = create_hll();
        assert_eq!(v.len(), 18);
        assert_eq!(&v[16..], &[0x7f, 0xff]);
        assert_eq!(histogram(&v).map(|h| h[0]), Ok(REGISTERS as u32));
        assert_eq!(estimate(&histogram(&v).unwrap_or([0; 64])), 0);
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut sparse = create_hll();
        let mut dense = create_hll();
        assert!(sparse_to_dense(&mut dense).is_ok());
        for i in 0..5000u32 {
            let e = format!("element:{i}");
            hll_add(&mut sparse, e.as_bytes(), 1_000_000);
            hll_add(&mut dense, e.as_bytes(), 1_000_000);
        }
        assert_eq!(sparse[4], SPARSE);
        let (a, b) = (histogram(&sparse), histogram(&dense));
        assert_eq!(a, b);
        let n = estimate(&a.unwrap_or([0; 64]));
        assert!((4900..5100).contains(&n), "{n}");
    }
}
