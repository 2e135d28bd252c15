//! The strings family (Redis `t_string.c`): GET/SET and their variants (SETNX, SETEX, PSETEX,
//! GETEX, GETDEL, GETSET), MGET/MSET/MSETNX, APPEND, STRLEN, SETRANGE, GETRANGE/SUBSTR, the integer
//! counters, INCRBYFLOAT (x87 long double arithmetic, see [`crate::sim::float::incr_by_float`])
//! and LCS. Argument checks happen in Redis's order so that the first error reported is the same,
//! and every write signals the keyspace event Redis emits (`set`, `setrange`, `incrby`,
//! `incrbyfloat`, `append`, `expire`, `persist`, `del`).

use crate::cmd;
use crate::resp::Value;
use crate::sim::bytes::SmallBytes;
use crate::sim::command::{arg_i64, is_kw, CmdError, CmdResult, Command, Ctx};
use crate::sim::db::RValue;
use crate::sim::errors;
use crate::sim::float::{incr_by_float, parse_i64, IncrFloatError};

/// The strings commands.
pub static COMMANDS: &[Command] = &[
    cmd!("get", 2, "readonly fast", 1, 1, 1, get, "string", "Returns the string value of a key."),
    cmd!("set", -3, "write denyoom", 1, 1, 1, set, "string", "Sets the string value of a key."),
    cmd!("setnx", 3, "write denyoom fast", 1, 1, 1, setnx, "string", "Set the value of a key if it does not exist."),
    cmd!("setex", 4, "write denyoom", 1, 1, 1, setex, "string", "Sets a value and a TTL in seconds."),
    cmd!("psetex", 4, "write denyoom", 1, 1, 1, psetex, "string", "Sets a value and a TTL in milliseconds."),
    cmd!("getex", -2, "write fast", 1, 1, 1, getex, "string", "Returns the value of a key and changes its TTL."),
    cmd!("getdel", 2, "write fast", 1, 1, 1, getdel, "string", "Returns the value of a key and deletes it."),
    cmd!("getset", 3, "write denyoom fast", 1, 1, 1, getset, "string", "Sets a value and returns the old one."),
    cmd!("mget", -2, "readonly fast", 1, -1, 1, mget, "string", "Returns the values of several keys."),
    cmd!("mset", -3, "write denyoom", 1, -1, 2, mset, "string", "Sets several keys."),
    cmd!("msetnx", -3, "write denyoom", 1, -1, 2, msetnx, "string", "Sets several keys if none exists."),
    cmd!("append", 3, "write denyoom fast", 1, 1, 1, append, "string", "Appends to the value of a key."),
    cmd!("strlen", 2, "readonly fast", 1, 1, 1, strlen, "string", "Returns the length of a string value."),
    cmd!("setrange", 4, "write denyoom", 1, 1, 1, setrange, "string", "Overwrites part of a string."),
    cmd!("getrange", 4, "readonly", 1, 1, 1, getrange, "string", "Returns a substring of a string value."),
    cmd!("substr", 4, "readonly", 1, 1, 1, getrange, "string", "Returns a substring of a string value."),
    cmd!("incr", 2, "write denyoom fast", 1, 1, 1, incr, "string", "Increments an integer value by one."),
    cmd!("decr", 2, "write denyoom fast", 1, 1, 1, decr, "string", "Decrements an integer value by one."),
    cmd!("incrby", 3, "write denyoom fast", 1, 1, 1, incrby, "string", "Increments an integer value."),
    cmd!("decrby", 3, "write denyoom fast", 1, 1, 1, decrby, "string", "Decrements an integer value."),
    cmd!("incrbyfloat", 3, "write denyoom fast", 1, 1, 1, incrbyfloat, "string", "Increments a float value."),
    cmd!("lcs", -3, "readonly", 1, 2, 1, lcs, "string", "Finds the longest common substring."),
];

/// Default `proto-max-bulk-len`: 512 MB, the largest string Redis accepts.
pub const DEFAULT_PROTO_MAX_BULK_LEN: u64 = 512 * 1024 * 1024;

/// The configured `proto-max-bulk-len` (maximum string size), 512 MB unless CONFIG SET changed it.
pub fn proto_max_bulk_len(ctx: &Ctx) -> u64 {
    ctx.st
        .config
        .other
        .get("proto-max-bulk-len")
        .and_then(|v| crate::sim::config::parse_memory(v))
        .unwrap_or(DEFAULT_PROTO_MAX_BULK_LEN)
}

/// Redis's `checkStringLength`: errors when `size + append` exceeds `proto-max-bulk-len`.
pub fn check_string_length(ctx: &Ctx, size: u64, append: u64) -> Result<(), CmdError> {
    match size.checked_add(append) {
        Some(total) if total <= proto_max_bulk_len(ctx) => Ok(()),
        _ => Err(CmdError::msg("ERR string exceeds maximum allowed size (proto-max-bulk-len)")),
    }
}

/// Formats an integer into a stack buffer and returns it as a compact string value.
fn int_value(v: i64) -> SmallBytes {
    use std::io::Write;
    let mut buf = [0u8; 24];
    let mut cur = &mut buf[..];
    let _ = write!(cur, "{}", v);
    let left = cur.len();
    SmallBytes::new(&buf[..24 - left])
}

/// How an expire argument is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpireKind {
    /// EX: relative seconds.
    Ex,
    /// PX: relative milliseconds.
    Px,
    /// EXAT: absolute unix seconds.
    ExAt,
    /// PXAT: absolute unix milliseconds.
    PxAt,
}

/// The parsed extended arguments of SET and GETEX (`parseExtendedStringArgumentsOrReply`).
#[derive(Debug, Default, Clone, Copy)]
struct StrOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    /// The expire kind and the index of its argument.
    expire: Option<(ExpireKind, usize)>,
}

/// Parses `[NX|XX] [GET] [EX|PX|EXAT|PXAT n|KEEPTTL]` (SET, from argv\[3\]) or
/// `[EX|PX|EXAT|PXAT n|PERSIST]` (GETEX, from argv\[2\]) with Redis's exclusion rules.
fn parse_str_opts(argv: &[Vec<u8>], for_set: bool) -> Result<StrOpts, CmdError> {
    let mut o = StrOpts::default();
    let mut j = if for_set { 3 } else { 2 };
    while j < argv.len() {
        let a = &argv[j];
        let has_next = j + 1 < argv.len();
        let no_expire = o.expire.is_none();
        if for_set && is_kw(a, "nx") && !o.xx {
            o.nx = true;
        } else if for_set && is_kw(a, "xx") && !o.nx {
            o.xx = true;
        } else if for_set && is_kw(a, "get") {
            o.get = true;
        } else if for_set && is_kw(a, "keepttl") && !o.persist && no_expire {
            o.keepttl = true;
        } else if !for_set && is_kw(a, "persist") && no_expire && !o.keepttl {
            o.persist = true;
        } else if let Some(kind) = expire_kw(a) {
            let same = o.expire.map(|(k, _)| k == kind).unwrap_or(true);
            if o.keepttl || o.persist || !same || !has_next {
                return Err(errors::syntax());
            }
            o.expire = Some((kind, j + 1));
            j += 1;
        } else {
            return Err(errors::syntax());
        }
        j += 1;
    }
    Ok(o)
}

fn expire_kw(a: &[u8]) -> Option<ExpireKind> {
    if is_kw(a, "ex") {
        Some(ExpireKind::Ex)
    } else if is_kw(a, "px") {
        Some(ExpireKind::Px)
    } else if is_kw(a, "exat") {
        Some(ExpireKind::ExAt)
    } else if is_kw(a, "pxat") {
        Some(ExpireKind::PxAt)
    } else {
        None
    }
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute expiry in ms for an expire argument.
fn expire_at_ms(ctx: &Ctx, arg: &[u8], kind: ExpireKind, cmd: &str) -> Result<u64, CmdError> {
    let v = arg_i64(arg)?;
    let secs = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    if v <= 0 || (secs && v > i64::MAX / 1000) {
        return Err(errors::invalid_expire(cmd));
    }
    let mut ms = if secs { v * 1000 } else { v };
    if matches!(kind, ExpireKind::Ex | ExpireKind::Px) {
        ms = ms.wrapping_add(ctx.now_ms as i64);
    }
    if ms <= 0 {
        return Err(errors::invalid_expire(cmd));
    }
    Ok(ms as u64)
}

/// GET's reply for `key`: the bulk value, Nil when missing, WRONGTYPE for other types.
fn get_reply(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    Ok(match ctx.get_str(key)? {
        Some(s) => Value::bulk(s.as_slice()),
        None => Value::Nil,
    })
}

/// Sets `key`'s expiry (absolute ms) in the current db.
fn set_expire(ctx: &mut Ctx, key: &[u8], at_ms: u64) {
    ctx.db().set_expire(key, at_ms);
}

/// Redis's `setGenericCommand`: SET and its variants (key argv\[1\], value argv\[val_index\]).
fn set_generic(
    ctx: &mut Ctx,
    argv: &[Vec<u8>],
    opts: StrOpts,
    val_index: usize,
    cmd: &str,
    ok: Value,
    abort: Value,
) -> CmdResult {
    let (key, val) = (&argv[1], &argv[val_index]);
    let expire = match opts.expire {
        Some((kind, i)) => Some(expire_at_ms(ctx, &argv[i], kind, cmd)?),
        None => None,
    };
    let old = if opts.get { Some(get_reply(ctx, key)?) } else { None };
    // lookupKeyWrite: expires a stale key first (so `expired`/`new` events match) without
    // counting a keyspace hit or miss.
    let found = ctx.lookup_no_touch(key).is_some();
    if (opts.nx && found) || (opts.xx && !found) {
        return Ok(old.unwrap_or(abort));
    }
    let value = RValue::Str(SmallBytes::new(val));
    if opts.keepttl {
        ctx.set_value_keep_ttl(key, value);
    } else {
        ctx.set_value(key, value);
    }
    ctx.written(key, '$', "set");
    if let Some(at) = expire {
        set_expire(ctx, key, at);
        ctx.notify('g', "expire", key);
    }
    Ok(old.unwrap_or(ok))
}

fn get(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    get_reply(ctx, &argv[1])
}

fn set(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let opts = parse_str_opts(argv, true)?;
    set_generic(ctx, argv, opts, 2, "set", Value::ok(), Value::Nil)
}

fn setnx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let opts = StrOpts { nx: true, ..StrOpts::default() };
    set_generic(ctx, argv, opts, 2, "setnx", Value::Int(1), Value::Int(0))
}

fn setex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let opts = StrOpts { expire: Some((ExpireKind::Ex, 2)), ..StrOpts::default() };
    set_generic(ctx, argv, opts, 3, "setex", Value::ok(), Value::Nil)
}

fn psetex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let opts = StrOpts { expire: Some((ExpireKind::Px, 2)), ..StrOpts::default() };
    set_generic(ctx, argv, opts, 3, "psetex", Value::ok(), Value::Nil)
}

fn getex(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let opts = parse_str_opts(argv, false)?;
    let key = &argv[1];
    let reply = get_reply(ctx, key)?;
    if reply.is_nil() {
        return Ok(reply);
    }
    let expire = match opts.expire {
        Some((kind, i)) => Some((kind, expire_at_ms(ctx, &argv[i], kind, "getex")?)),
        None => None,
    };
    match expire {
        Some((kind, at)) if matches!(kind, ExpireKind::ExAt | ExpireKind::PxAt) && at <= ctx.now_ms => {
            ctx.delete(key);
            ctx.written(key, 'g', "del");
        }
        Some((_, at)) => {
            set_expire(ctx, key, at);
            ctx.written(key, 'g', "expire");
        }
        None if opts.persist => {
            let had_ttl = ctx.entry(key).map(|e| e.expire_at != 0).unwrap_or(false);
            if had_ttl {
                set_expire(ctx, key, 0);
                ctx.written(key, 'g', "persist");
            }
        }
        None => {}
    }
    Ok(reply)
}

fn getdel(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let key = &argv[1];
    let reply = get_reply(ctx, key)?;
    if !reply.is_nil() {
        ctx.delete(key);
        ctx.written(key, 'g', "del");
    }
    Ok(reply)
}

fn getset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let key = &argv[1];
    let reply = get_reply(ctx, key)?;
    ctx.set_value(key, RValue::Str(SmallBytes::new(&argv[2])));
    ctx.written(key, '$', "set");
    Ok(reply)
}

fn mget(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut out = Vec::with_capacity(argv.len() - 1);
    for key in &argv[1..] {
        out.push(match ctx.value(key) {
            Some(RValue::Str(s)) => Value::bulk(s.as_slice()),
            _ => Value::Nil,
        });
    }
    Ok(Value::Array(out))
}

/// MSET / MSETNX.
fn mset_generic(ctx: &mut Ctx, argv: &[Vec<u8>], nx: bool) -> CmdResult {
    if argv.len() % 2 == 0 {
        return Err(errors::wrong_arity(if nx { "msetnx" } else { "mset" }));
    }
    if nx && argv[1..].chunks(2).any(|kv| ctx.lookup_no_touch(&kv[0]).is_some()) {
        return Ok(Value::Int(0));
    }
    for kv in argv[1..].chunks(2) {
        ctx.lookup_no_touch(&kv[0]);
        ctx.set_value(&kv[0], RValue::Str(SmallBytes::new(&kv[1])));
        ctx.written(&kv[0], '$', "set");
    }
    Ok(if nx { Value::Int(1) } else { Value::ok() })
}

fn mset(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    mset_generic(ctx, argv, false)
}

fn msetnx(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    mset_generic(ctx, argv, true)
}

fn append(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (key, add) = (&argv[1], &argv[2]);
    let max = proto_max_bulk_len(ctx);
    let total = match ctx.get_str(key)? {
        Some(s) => {
            if s.len() as u64 + add.len() as u64 > max {
                return Err(CmdError::msg("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
            }
            let v = s.make_mut();
            v.extend_from_slice(add);
            v.len()
        }
        None => {
            ctx.set_value(key, RValue::Str(SmallBytes::new(add)));
            add.len()
        }
    };
    ctx.written(key, '$', "append");
    Ok(Value::Int(total as i64))
}

fn strlen(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(ctx.get_str(&argv[1])?.map(|s| s.len() as i64).unwrap_or(0)))
}

fn setrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (key, val) = (&argv[1], &argv[3]);
    let offset = arg_i64(&argv[2])?;
    if offset < 0 {
        return Err(CmdError::msg("ERR offset is out of range"));
    }
    let offset = offset as u64;
    let exists = match ctx.get_str(key)? {
        Some(s) if val.is_empty() => return Ok(Value::Int(s.len() as i64)),
        Some(_) => true,
        None if val.is_empty() => return Ok(Value::Int(0)),
        None => false,
    };
    check_string_length(ctx, offset, val.len() as u64)?;
    let (start, end) = (offset as usize, offset as usize + val.len());
    let len = if exists {
        let Some(s) = ctx.get_str(key)? else { return Ok(Value::Int(0)) };
        let v = s.make_mut();
        if v.len() < end {
            v.resize(end, 0);
        }
        v[start..end].copy_from_slice(val);
        v.len()
    } else {
        let mut v = vec![0u8; end];
        v[start..end].copy_from_slice(val);
        ctx.set_value(key, RValue::Str(SmallBytes::raw(v)));
        end
    };
    ctx.written(key, '$', "setrange");
    Ok(Value::Int(len as i64))
}

/// Clamps a Redis `[start, end]` range (negative = from the end) onto a string of length `len`;
/// `None` when empty. Mirrors GETRANGE's arithmetic, overflow included.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let l = len as i64;
    let mut s = if start < 0 { l.wrapping_add(start) } else { start };
    let mut e = if end < 0 { l.wrapping_add(end) } else { end };
    s = s.max(0);
    e = e.max(0);
    if e >= l {
        e = l - 1;
    }
    if s > e || len == 0 {
        None
    } else {
        Some((s as usize, e as usize))
    }
}

fn getrange(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let start = arg_i64(&argv[2])?;
    let end = arg_i64(&argv[3])?;
    let Some(s) = ctx.get_str(&argv[1])? else { return Ok(Value::bulk("")) };
    Ok(match clamp_range(start, end, s.len()) {
        Some((a, b)) => Value::bulk(&s[a..=b]),
        None => Value::bulk(""),
    })
}

/// INCR/DECR/INCRBY/DECRBY: adds `incr` to the integer at `key` (keeping its TTL).
fn incr_decr(ctx: &mut Ctx, key: &[u8], incr: i64) -> CmdResult {
    let apply = |old: i64| -> Result<i64, CmdError> { old.checked_add(incr).ok_or_else(errors::overflow) };
    let new = match ctx.get_str(key)? {
        Some(s) => {
            let old = parse_i64(s).ok_or_else(errors::not_integer)?;
            let new = apply(old)?;
            *s = int_value(new);
            new
        }
        None => {
            let new = apply(0)?;
            ctx.set_value(key, RValue::Str(int_value(new)));
            new
        }
    };
    ctx.written(key, '$', "incrby");
    Ok(Value::Int(new))
}

fn incr(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    incr_decr(ctx, &argv[1], 1)
}

fn decr(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    incr_decr(ctx, &argv[1], -1)
}

fn incrby(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let by = arg_i64(&argv[2])?;
    incr_decr(ctx, &argv[1], by)
}

fn decrby(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let by = arg_i64(&argv[2])?;
    if by == i64::MIN {
        return Err(CmdError::msg("ERR decrement would overflow"));
    }
    incr_decr(ctx, &argv[1], -by)
}

/// Maps a float-increment failure to the error text of INCRBYFLOAT.
fn float_error(e: IncrFloatError) -> CmdError {
    match e {
        IncrFloatError::BadValue | IncrFloatError::BadIncrement => errors::not_float(),
        IncrFloatError::NanOrInfinity => CmdError::msg("ERR increment would produce NaN or Infinity"),
    }
}

fn incrbyfloat(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let key = &argv[1];
    let result = match ctx.get_str(key)? {
        Some(s) => {
            let r = incr_by_float(Some(s.as_slice()), &argv[2]).map_err(float_error)?;
            *s = SmallBytes::new(r.as_bytes());
            r
        }
        None => {
            let r = incr_by_float(None, &argv[2]).map_err(float_error)?;
            ctx.set_value(key, RValue::Str(SmallBytes::new(r.as_bytes())));
            r
        }
    };
    ctx.written(key, '$', "incrbyfloat");
    Ok(Value::Bulk(result.into_bytes()))
}

/// The value of a string key for LCS (missing = empty); error for other types.
fn lcs_operand(ctx: &mut Ctx, key: &[u8]) -> Result<Vec<u8>, CmdError> {
    match ctx.value(key) {
        None => Ok(Vec::new()),
        Some(RValue::Str(s)) => Ok(s.to_vec()),
        Some(_) => Err(CmdError::msg("ERR The specified keys must contain string values")),
    }
}

fn lcs(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let a = lcs_operand(ctx, &argv[1]);
    let b = lcs_operand(ctx, &argv[2]);
    let (a, b) = (a?, b?);
    let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < argv.len() {
        let opt = &argv[j];
        if is_kw(opt, "idx") {
            getidx = true;
        } else if is_kw(opt, "len") {
            getlen = true;
        } else if is_kw(opt, "withmatchlen") {
            withmatchlen = true;
        } else if is_kw(opt, "minmatchlen") && j + 1 < argv.len() {
            minmatchlen = arg_i64(&argv[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(errors::syntax());
        }
        j += 1;
    }
    if getidx && getlen {
        return Err(CmdError::msg("ERR If you want both the length and indexes, please just use IDX."));
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1).saturating_mul(blen as u64 + 1);
    if cells.saturating_mul(4) > proto_max_bulk_len(ctx) {
        return Err(CmdError::msg("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
    }
    let w = blen + 1;
    let mut t = vec![0u32; (alen + 1) * w];
    for i in 1..=alen {
        for jj in 1..=blen {
            t[i * w + jj] = if a[i - 1] == b[jj - 1] {
                t[(i - 1) * w + jj - 1] + 1
            } else {
                t[(i - 1) * w + jj].max(t[i * w + jj - 1])
            };
        }
    }
    let total = t[alen * w + blen];
    if getlen {
        return Ok(Value::Int(i64::from(total)));
    }
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut matches = Vec::new();
    // Range being tracked (in a and b); `arange_start == alen` means none.
    let (mut as_, mut ae, mut bs, mut be) = (alen, 0usize, 0usize, 0usize);
    let (mut i, mut jj) = (alen, blen);
    while i > 0 && jj > 0 {
        let mut emit = false;
        if a[i - 1] == b[jj - 1] {
            result[idx - 1] = a[i - 1];
            if as_ == alen {
                as_ = i - 1;
                ae = i - 1;
                bs = jj - 1;
                be = jj - 1;
            } else if as_ == i && bs == jj {
                as_ -= 1;
                bs -= 1;
            } else {
                emit = true;
            }
            if as_ == 0 || bs == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            jj -= 1;
        } else {
            if t[(i - 1) * w + jj] > t[i * w + jj - 1] {
                i -= 1;
            } else {
                jj -= 1;
            }
            if as_ != alen {
                emit = true;
            }
        }
        let match_len = ae.wrapping_sub(as_).wrapping_add(1);
        if emit {
            if getidx && (minmatchlen == 0 || match_len as i64 >= minmatchlen) {
                let mut m = vec![
                    Value::Array(vec![Value::Int(as_ as i64), Value::Int(ae as i64)]),
                    Value::Array(vec![Value::Int(bs as i64), Value::Int(be as i64)]),
                ];
                if withmatchlen {
                    m.push(Value::Int(match_len as i64));
                }
                matches.push(Value::Array(m));
            }
            as_ = alen;
        }
    }
    if getidx {
        return Ok(Value::Map(vec![
            (Value::bulk("matches"), Value::Array(matches)),
            (Value::bulk("len"), Value::Int(i64::from(total))),
        ]));
    }
    Ok(Value::Bulk(result))
}

#[cfg(test)]
mod tests {
    use crate::resp::Value;
    use crate::sim::db::{Entry, RValue};
    use crate::sim::{Clock, Simulator};

    #[test]
    fn set_expiry_follows_the_virtual_clock() {
        let sim = Simulator::with_clock(Clock::manual(1_000_000));
        let mut c = sim.connect();
        assert_eq!(c.execute(&["SET", "k", "v", "EX", "10"]), Value::ok());
        sim.advance_ms(10_000);
        // alive in the very millisecond it expires at, like Redis
        assert_eq!(c.execute(&["GET", "k"]), Value::bulk("v"));
        sim.advance_ms(1);
        assert_eq!(c.execute(&["GET", "k"]), Value::Nil);
        c.execute(&["SET", "k", "v", "PXAT", "1020000"]);
        c.execute(&["SET", "k", "w", "KEEPTTL"]);
        c.execute(&["INCRBYFLOAT", "n", "1"]);
        sim.advance_ms(9_999);
        assert_eq!(c.execute(&["GET", "k"]), Value::bulk("w"));
        sim.advance_ms(1);
        assert_eq!(c.execute(&["GET", "k"]), Value::Nil);
    }

    #[test]
    fn getex_changes_and_removes_ttl() {
        let sim = Simulator::with_clock(Clock::manual(5_000_000));
        let mut c = sim.connect();
        c.execute(&["SETEX", "k", "5", "v"]);
        assert_eq!(c.execute(&["GETEX", "k", "PERSIST"]), Value::bulk("v"));
        sim.advance_ms(10_000);
        assert_eq!(c.execute(&["GET", "k"]), Value::bulk("v"));
        assert_eq!(c.execute(&["GETEX", "k", "PX", "100"]), Value::bulk("v"));
        c.execute(&["INCR", "ctr"]);
        sim.advance_ms(101);
        assert_eq!(c.execute(&["GET", "k"]), Value::Nil);
        c.execute(&["SET", "k", "v"]);
        assert_eq!(c.execute(&["GETEX", "k", "EXAT", "1"]), Value::bulk("v"));
        assert_eq!(c.execute(&["GET", "k"]), Value::Nil);
        c.execute(&["PSETEX", "p", "50", "1"]);
        c.execute(&["INCR", "p"]);
        sim.advance_ms(51);
        assert_eq!(c.execute(&["GET", "p"]), Value::Nil);
    }

    /// A simulator whose key `l` holds a list (the corpus cannot create one in this family).
    fn with_list() -> Simulator {
        let sim = Simulator::new();
        {
            let mut st = sim.lock();
            st.dbs[0].set_entry(b"l", Entry::new(RValue::List(Box::default())));
        }
        sim
    }

    #[test]
    fn every_command_rejects_other_types() {
        let sim = with_list();
        let mut c = sim.connect();
        c.execute(&["SET", "s", "abc"]);
        let wrongtype = Value::error("WRONGTYPE Operation against a key holding the wrong kind of value");
        let cases: &[&[&str]] = &[
            &["GET", "l"],
            &["SET", "l", "v", "GET"],
            &["GETEX", "l", "EX", "10"],
            &["GETDEL", "l"],
            &["GETSET", "l", "v"],
            &["APPEND", "l", "x"],
            &["STRLEN", "l"],
            &["SETRANGE", "l", "0", ""],
            &["GETRANGE", "l", "0", "1"],
            &["INCR", "l"],
            &["DECRBY", "l", "2"],
            &["INCRBYFLOAT", "l", "1.5"],
            &["SETBIT", "l", "0", "1"],
            &["GETBIT", "l", "0"],
            &["BITCOUNT", "l"],
            &["BITPOS", "l", "1"],
            &["BITOP", "AND", "d", "s", "l"],
            &["BITFIELD", "l", "GET", "u8", "0"],
            &["BITFIELD_RO", "l", "GET", "u8", "0"],
            &["PFADD", "l", "a"],
            &["PFCOUNT", "l"],
            &["PFCOUNT", "nosuch", "l"],
            &["PFMERGE", "d", "l"],
        ];
        for args in cases {
            assert_eq!(c.execute(args), wrongtype, "{args:?}");
        }
        assert_eq!(c.execute(&["MGET", "l", "s"]), Value::Array(vec![Value::Nil, Value::bulk("abc")]));
        assert_eq!(c.execute(&["LCS", "l", "s"]), Value::error("ERR The specified keys must contain string values"));
        assert_eq!(
            c.execute(&["PFADD", "s", "a"]),
            Value::error("WRONGTYPE Key is not a valid HyperLogLog string value.")
        );
        assert_eq!(c.execute(&["MSETNX", "l", "1"]), Value::Int(0));
        assert_eq!(c.execute(&["SETNX", "l", "1"]), Value::Int(0));
        assert_eq!(c.execute(&["BITOP", "OR", "l", "s"]), Value::Int(3));
        assert_eq!(c.execute(&["GET", "l"]), Value::bulk("abc"));
    }

    #[test]
    fn bitop_and_set_overwrite_other_types() {
        let sim = with_list();
        let mut c = sim.connect();
        assert_eq!(c.execute(&["BITOP", "OR", "l", "nosuch"]), Value::Int(0));
        assert_eq!(c.execute(&["GET", "l"]), Value::Nil);
        let sim = with_list();
        let mut c = sim.connect();
        assert_eq!(c.execute(&["SET", "l", "v"]), Value::ok());
        assert_eq!(c.execute(&["GET", "l"]), Value::bulk("v"));
    }

    #[test]
    fn in_place_writes_keep_the_ttl_and_overwrites_clear_it() {
        let sim = Simulator::with_clock(Clock::manual(2_000_000));
        let mut c = sim.connect();
        let keep: &[&[&str]] = &[
            &["APPEND", "a", "x"],
            &["SETRANGE", "a", "0", "y"],
            &["INCR", "n"],
            &["INCRBYFLOAT", "n", "1.5"],
            &["SETBIT", "b", "3", "1"],
            &["BITFIELD", "b", "SET", "u8", "8", "7"],
            &["PFADD", "h", "x", "y"],
            &["PFMERGE", "h", "h"],
            &["SET", "a", "z", "KEEPTTL"],
        ];
        for k in ["a", "n", "b"] {
            c.execute(&["SET", k, "1", "PX", "1000"]);
        }
        c.execute(&["PFADD", "h"]);
        c.execute(&["GETEX", "h", "PX", "1000"]);
        for args in keep {
            assert!(!c.execute(args).is_error(), "{args:?}");
        }
        c.execute(&["SET", "o1", "1", "PX", "1000"]);
        c.execute(&["SET", "o2", "1", "PX", "1000"]);
        c.execute(&["SET", "o3", "1", "PX", "1000"]);
        c.execute(&["GETSET", "o1", "2"]);
        c.execute(&["MSET", "o2", "2"]);
        c.execute(&["BITOP", "NOT", "o3", "o3"]);
        sim.advance_ms(1001);
        for k in ["a", "n", "b", "h"] {
            assert_eq!(c.execute(&["GET", k]), Value::Nil, "{k} should have expired");
        }
        for k in ["o1", "o2", "o3"] {
            assert!(!c.execute(&["GET", k]).is_nil(), "{k} should have lost its TTL");
        }
    }
}
