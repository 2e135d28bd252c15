//! The generic keyspace commands (Redis's "generic" group): DEL, UNLINK, EXISTS, TYPE, the
//! EXPIRE family with NX|XX|GT|LT, TTL/PTTL/EXPIRETIME/PEXPIRETIME, PERSIST, RENAME(NX), COPY,
//! MOVE, KEYS, SCAN, RANDOMKEY, TOUCH and OBJECT. Also home of [`glob_match`], a faithful port of
//! Redis's `stringmatchlen` that KEYS, SCAN MATCH, the H/S/ZSCAN commands, CONFIG GET and
//! PSUBSCRIBE all share, so every family matches patterns exactly like redis-server.

use crate::cmd;
use crate::container;
use crate::resp::Value;
use crate::sim::command::{arg_i64, is_kw, CmdError, CmdResult, Command, Ctx};
use crate::sim::config::EvictionPolicy;
use crate::sim::db::{Entry, RValue};
use crate::sim::errors;
use crate::sim::eviction::{self, touch_access};
use crate::sim::float::parse_i64;

/// The keys commands.
pub static COMMANDS: &[Command] = &[
    cmd!("del", -2, "write", 1, -1, 1, del, "generic", "Delete a key"),
    cmd!("unlink", -2, "write fast", 1, -1, 1, del, "generic", "Delete a key asynchronously in another thread."),
    cmd!("exists", -2, "readonly fast", 1, -1, 1, exists, "generic", "Determine if a key exists"),
    cmd!("type", 2, "readonly fast", 1, 1, 1, type_cmd, "generic", "Determine the type stored at key"),
    cmd!("expire", -3, "write fast", 1, 1, 1, expire, "generic", "Set a key's time to live in seconds"),
    cmd!("pexpire", -3, "write fast", 1, 1, 1, expire, "generic", "Set a key's time to live in milliseconds"),
    cmd!("expireat", -3, "write fast", 1, 1, 1, expire, "generic", "Set the expiration for a key as a UNIX timestamp"),
    cmd!(
        "pexpireat",
        -3,
        "write fast",
        1,
        1,
        1,
        expire,
        "generic",
        "Set the expiration for a key as a UNIX timestamp specified in milliseconds"
    ),
    cmd!("ttl", 2, "readonly fast", 1, 1, 1, ttl, "generic", "Get the time to live for a key in seconds"),
    cmd!("pttl", 2, "readonly fast", 1, 1, 1, ttl, "generic", "Get the time to live for a key in milliseconds"),
    cmd!("expiretime", 2, "readonly fast", 1, 1, 1, ttl, "generic", "Get the expiration Unix timestamp for a key"),
    cmd!(
        "pexpiretime",
        2,
        "readonly fast",
        1,
        1,
        1,
        ttl,
        "generic",
        "Get the expiration Unix timestamp for a key in milliseconds"
    ),
    cmd!("persist", 2, "write fast", 1, 1, 1, persist, "generic", "Remove the expiration from a key"),
    cmd!("rename", 3, "write", 1, 2, 1, rename, "generic", "Rename a key"),
    cmd!("renamenx", 3, "write fast", 1, 2, 1, rename, "generic", "Rename a key, only if the new key does not exist"),
    cmd!("copy", -3, "write denyoom", 1, 2, 1, copy, "generic", "Copy a key"),
    cmd!("move", 3, "write fast", 1, 1, 1, move_cmd, "generic", "Move a key to another database"),
    cmd!("keys", 2, "readonly", 0, 0, 0, keys, "generic", "Find all keys matching the given pattern"),
    cmd!("scan", -2, "readonly", 0, 0, 0, scan, "generic", "Incrementally iterate the keys space"),
    cmd!("randomkey", 1, "readonly", 0, 0, 0, randomkey, "generic", "Return a random key from the keyspace"),
    cmd!(
        "touch",
        -2,
        "readonly fast",
        1,
        -1,
        1,
        exists,
        "generic",
        "Alters the last access time of a key(s). Returns the number of existing keys specified."
    ),
    container!("object", "", OBJECT_SUBCOMMANDS, "generic", "A container for object introspection commands"),
];

static OBJECT_SUBCOMMANDS: &[Command] = &[
    cmd!("encoding", 3, "readonly", 2, 2, 1, object_info, "generic", "Inspect the internal encoding of a Redis object"),
    cmd!(
        "freq",
        3,
        "readonly",
        2,
        2,
        1,
        object_info,
        "generic",
        "Get the logarithmic access frequency counter of a Redis object"
    ),
    cmd!(
        "idletime",
        3,
        "readonly",
        2,
        2,
        1,
        object_info,
        "generic",
        "Get the time since a Redis object was last accessed"
    ),
    cmd!(
        "refcount",
        3,
        "readonly",
        2,
        2,
        1,
        object_info,
        "generic",
        "Get the number of references to the value of the key"
    ),
    cmd!(
        "help",
        2,
        "loading stale",
        0,
        0,
        0,
        object_help,
        "generic",
        "Show helpful text about the different subcommands"
    ),
];

/// Redis's `OBJ_SHARED_INTEGERS`: small integers are shared objects with a fixed refcount.
const SHARED_INTEGERS: i64 = 10_000;
/// Redis's `OBJ_SHARED_REFCOUNT`.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Redis's `OBJ_ENCODING_EMBSTR_SIZE_LIMIT`.
const EMBSTR_LIMIT: usize = 44;
/// Upper bound on expired keys RANDOMKEY reclaims before giving up on a volatile-only keyspace.
const RANDOMKEY_TRIES: usize = 100;

/// Matches `s` against a glob `pattern` exactly like Redis's `stringmatchlen`: `*`, `?`,
/// `[abc]`, `[^a]`, `[a-z]` (reversed ranges allowed), `\x` escapes, and its quirks with
/// unterminated classes. `nocase` folds ASCII case.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, s, nocase, &mut skip_longer, 0)
}

/// The byte at `i`, or 0 past the end (C's terminating NUL, which `stringmatchlen` reads).
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// Signed-char value of a byte as C sees it (range bounds compare as `char`).
fn schar(c: u8, nocase: bool) -> i32 {
    i32::from(fold(c, nocase) as i8)
}

fn match_impl(pat: &[u8], s: &[u8], nocase: bool, skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > 1000 {
        return false;
    }
    let (mut p, mut i) = (0usize, 0usize);
    let plen = pat.len();
    while p < plen && i < s.len() {
        match pat[p] {
            b'*' => {
                while p < plen && at(pat, p + 1) == b'*' {
                    p += 1;
                }
                if plen - p == 1 {
                    return true;
                }
                while i < s.len() {
                    if match_impl(&pat[p + 1..], &s[i..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    i += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => i += 1,
            b'[' => {
                p += 1;
                let not = at(pat, p) == b'^';
                if not {
                    p += 1;
                }
                let c = s[i];
                let mut matched = false;
                loop {
                    let rem = plen.saturating_sub(p);
                    if at(pat, p) == b'\\' && rem >= 2 {
                        p += 1;
                        if pat[p] == c {
                            matched = true;
                        }
                    } else if at(pat, p) == b']' {
                        break;
                    } else if rem == 0 {
                        p -= 1;
                        break;
                    } else if rem >= 3 && pat[p + 1] == b'-' {
                        let (mut lo, mut hi) = (schar(pat[p], nocase), schar(pat[p + 2], nocase));
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        let cc = schar(c, nocase);
                        p += 2;
                        if cc >= lo && cc <= hi {
                            matched = true;
                        }
                    } else if fold(pat[p], nocase) == fold(c, nocase) {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                i += 1;
            }
            ch => {
                let mut lit = ch;
                if ch == b'\\' && plen - p >= 2 {
                    p += 1;
                    lit = pat[p];
                }
                if fold(lit, nocase) != fold(s[i], nocase) {
                    return false;
                }
                i += 1;
            }
        }
        p += 1;
        if i == s.len() {
            while at(pat, p) == b'*' && p < plen {
                p += 1;
            }
            break;
        }
    }
    p >= plen && i == s.len()
}

/// True when an entry's TTL has passed at `now_ms`. Like Redis's `keyIsExpired`, a key still
/// lives in the millisecond it expires at (the same rule as the keyspace's lazy expiry).
fn is_expired(e: &Entry, now_ms: u64) -> bool {
    e.expire_at != 0 && now_ms > e.expire_at
}

/// Runs `f` as if the client had selected `db` (keyspace events and signals land in that db).
fn in_db<R>(ctx: &mut Ctx, db: usize, f: impl FnOnce(&mut Ctx) -> R) -> R {
    let saved = ctx.cl.db;
    ctx.cl.db = db;
    let r = f(ctx);
    ctx.cl.db = saved;
    r
}

/// Parses a database index argument like `getIntFromObjectOrReply` + `selectDb`.
pub fn arg_db(ctx: &Ctx, b: &[u8]) -> Result<usize, CmdError> {
    let v = arg_i64(b)?;
    if v < i64::from(i32::MIN) || v > i64::from(i32::MAX) {
        return Err(CmdError::msg("ERR value is out of range, value must between -2147483648 and 2147483647"));
    }
    if v < 0 || v as usize >= ctx.st.dbs.len() {
        return Err(errors::db_out_of_range());
    }
    Ok(v as usize)
}

/// DEL / UNLINK: deletes the keys, counting those that existed.
fn del(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut n = 0;
    for k in &argv[1..] {
        if ctx.lookup_no_touch(k).is_some() {
            ctx.db().remove(k);
            ctx.written(k, 'g', "del");
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

/// EXISTS / TOUCH: counts existing keys (repeats count again); TOUCH updates access stamps.
fn exists(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let touch = is_kw(&argv[0], "touch");
    let mut n = 0;
    for k in &argv[1..] {
        let found = if touch { ctx.lookup(k) } else { read_no_touch(ctx, k, true) };
        if found.is_some() {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

/// TYPE: the value's type name, `none` when missing.
fn type_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let name = match read_no_touch(ctx, &argv[1], true) {
        None => "none",
        Some(i) => ctx.db().keys.at(i).map(|(_, e)| e.value.type_name()).unwrap_or("none"),
    };
    Ok(Value::simple(name))
}

const EXPIRE_NX: u8 = 1;
const EXPIRE_XX: u8 = 2;
const EXPIRE_GT: u8 = 4;
const EXPIRE_LT: u8 = 8;

/// Parses the NX|XX|GT|LT flags of the EXPIRE family (Redis's messages and precedence).
fn expire_flags(args: &[Vec<u8>]) -> Result<u8, CmdError> {
    let mut flags = 0u8;
    for a in args {
        flags |= match a.to_ascii_lowercase().as_slice() {
            b"nx" => EXPIRE_NX,
            b"xx" => EXPIRE_XX,
            b"gt" => EXPIRE_GT,
            b"lt" => EXPIRE_LT,
            _ => return Err(CmdError::msg(format!("ERR Unsupported option {}", String::from_utf8_lossy(a)))),
        };
    }
    if flags & EXPIRE_NX != 0 && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT) != 0 {
        return Err(CmdError::msg("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if flags & EXPIRE_GT != 0 && flags & EXPIRE_LT != 0 {
        return Err(CmdError::msg("ERR GT and LT options at the same time are not compatible"));
    }
    Ok(flags)
}

/// Looks a key up for a read that leaves its access stamp alone (EXISTS, TYPE, TTL, OBJECT),
/// counting a keyspace hit or miss as Redis's `LOOKUP_NOTOUCH` lookups do, and publishing the
/// `keymiss` event on a miss when `notify_miss`.
fn read_no_touch(ctx: &mut Ctx, key: &[u8], notify_miss: bool) -> Option<usize> {
    let found = ctx.lookup_no_touch(key);
    if found.is_some() {
        ctx.st.stats.keyspace_hits += 1;
    } else {
        ctx.st.stats.keyspace_misses += 1;
        if notify_miss {
            ctx.notify('m', "keymiss", key);
        }
    }
    found
}

/// The expiry of the live key at position `i` of the current db: -1 when persistent.
fn expire_of(ctx: &mut Ctx, i: usize) -> i64 {
    match ctx.db().keys.at(i).map(|(_, e)| e.expire_at).unwrap_or(0) {
        0 => -1,
        at => at as i64,
    }
}

/// EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT with NX|XX|GT|LT. A time in the past deletes the key.
fn expire(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let name = argv[0].to_ascii_lowercase();
    let flags = expire_flags(&argv[3..])?;
    let mut when = arg_i64(&argv[2])?;
    let cmd = String::from_utf8_lossy(&name).into_owned();
    if !name.starts_with(b"p") {
        when = when.checked_mul(1000).ok_or_else(|| errors::invalid_expire(&cmd))?;
    }
    if !name.ends_with(b"at") {
        when = when.checked_add(ctx.now_ms as i64).ok_or_else(|| errors::invalid_expire(&cmd))?;
    }
    let key = &argv[1];
    let Some(i) = ctx.lookup(key) else { return Ok(Value::Int(0)) };
    let cur = expire_of(ctx, i);
    let refused = (flags & EXPIRE_NX != 0 && cur != -1)
        || (flags & EXPIRE_XX != 0 && cur == -1)
        || (flags & EXPIRE_GT != 0 && (cur == -1 || when <= cur))
        || (flags & EXPIRE_LT != 0 && cur != -1 && when >= cur);
    if refused {
        return Ok(Value::Int(0));
    }
    if when <= ctx.now_ms as i64 {
        ctx.db().remove(key);
        ctx.written(key, 'g', "del");
    } else {
        ctx.db().set_expire(key, when as u64);
        ctx.written(key, 'g', "expire");
    }
    Ok(Value::Int(1))
}

/// TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 missing, -1 persistent.
fn ttl(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let name = argv[0].to_ascii_lowercase();
    let Some(i) = read_no_touch(ctx, &argv[1], true) else { return Ok(Value::Int(-2)) };
    let exp = expire_of(ctx, i);
    if exp == -1 {
        return Ok(Value::Int(-1));
    }
    let ms = name.starts_with(b"p");
    let v = if name.ends_with(b"time") { exp } else { (exp - ctx.now_ms as i64).max(0) };
    Ok(Value::Int(if ms { v } else { (v + 500) / 1000 }))
}

/// PERSIST: removes a TTL.
fn persist(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let key = &argv[1];
    let Some(i) = ctx.lookup(key) else { return Ok(Value::Int(0)) };
    if expire_of(ctx, i) == -1 {
        return Ok(Value::Int(0));
    }
    ctx.db().set_expire(key, 0);
    ctx.written(key, 'g', "persist");
    Ok(Value::Int(1))
}

/// Inserts a whole entry (value, TTL, access stamp) under `key` in the current db, replacing
/// what was there, with the `new` key event Redis's dbAdd sends.
fn add_entry(ctx: &mut Ctx, key: &[u8], entry: Entry) {
    ctx.db().remove(key);
    ctx.db().set_entry(key, entry);
    ctx.notify('n', "new", key);
}

/// RENAME / RENAMENX: moves the value and its TTL to the new name.
fn rename(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let nx = is_kw(&argv[0], "renamenx");
    let (src, dst) = (&argv[1], &argv[2]);
    if ctx.lookup(src).is_none() {
        return Err(errors::no_such_key());
    }
    if src == dst {
        return Ok(if nx { Value::Int(0) } else { Value::ok() });
    }
    if ctx.lookup(dst).is_some() && nx {
        return Ok(Value::Int(0));
    }
    let Some(entry) = ctx.db().remove(src) else { return Err(errors::no_such_key()) };
    add_entry(ctx, dst, entry);
    ctx.written(src, 'g', "rename_from");
    ctx.written(dst, 'g', "rename_to");
    Ok(if nx { Value::Int(1) } else { Value::ok() })
}

/// COPY source destination [DB n] [REPLACE].
fn copy(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let src_db = ctx.db_index();
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < argv.len() {
        if is_kw(&argv[j], "replace") {
            replace = true;
        } else if is_kw(&argv[j], "db") && j + 1 < argv.len() {
            dst_db = arg_db(ctx, &argv[j + 1])?;
            j += 1;
        } else {
            return Err(errors::syntax());
        }
        j += 1;
    }
    let (src, dst) = (&argv[1], &argv[2]);
    if src_db == dst_db && src == dst {
        return Err(CmdError::msg("ERR source and destination objects are the same"));
    }
    let Some(entry) = ctx.entry(src).map(|e| e.clone()) else { return Ok(Value::Int(0)) };
    let exists = in_db(ctx, dst_db, |c| c.lookup(dst).is_some());
    if exists && !replace {
        return Ok(Value::Int(0));
    }
    let expire_at = entry.expire_at;
    let mut entry = Entry::new(entry.value);
    entry.expire_at = expire_at;
    touch_access(&mut entry, ctx.st.config.maxmemory_policy, ctx.now_ms);
    in_db(ctx, dst_db, |c| {
        add_entry(c, dst, entry);
        c.written(dst, 'g', "copy_to");
    });
    Ok(Value::Int(1))
}

/// MOVE key db.
fn move_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let dst_db = arg_db(ctx, &argv[2])?;
    if dst_db == ctx.db_index() {
        return Err(CmdError::msg("ERR source and destination objects are the same"));
    }
    let key = &argv[1];
    if ctx.lookup(key).is_none() {
        return Ok(Value::Int(0));
    }
    if in_db(ctx, dst_db, |c| c.lookup(key).is_some()) {
        return Ok(Value::Int(0));
    }
    let Some(entry) = ctx.db().remove(key) else { return Ok(Value::Int(0)) };
    in_db(ctx, dst_db, |c| add_entry(c, key, entry));
    ctx.written(key, 'g', "move_from");
    in_db(ctx, dst_db, |c| c.written(key, 'g', "move_to"));
    Ok(Value::Int(1))
}

/// True when a pattern matches everything (Redis skips matching for a lone `*`).
fn matches_all(pattern: &[u8]) -> bool {
    pattern == b"*"
}

/// KEYS pattern: every live key that matches (expired keys are skipped, not deleted).
fn keys(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let pat = &argv[1];
    let all = matches_all(pat);
    let now = ctx.now_ms;
    let out: Vec<Value> = ctx
        .db()
        .keys
        .iter()
        .filter(|(k, e)| !is_expired(e, now) && (all || glob_match(pat, k, false)))
        .map(|(k, _)| Value::bulk(k.as_slice()))
        .collect();
    Ok(Value::Array(out))
}

/// Parses a SCAN cursor like Redis's `strtoul`-based `parseScanCursorOrReply` (leading `+`/`-`
/// accepted, negatives wrap, no spaces or trailing bytes).
pub fn parse_cursor(b: &[u8]) -> Result<u64, CmdError> {
    let bad = || CmdError::msg("ERR invalid cursor");
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        Some(_) => (false, b),
        None => return Ok(0),
    };
    if digits.is_empty() {
        // strtoul parses nothing: the cursor is 0 only if there was nothing at all.
        return Err(bad());
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(bad());
        }
        v = v.checked_mul(10).and_then(|v| v.checked_add(u64::from(c - b'0'))).ok_or_else(bad)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// SCAN/xSCAN options: MATCH pattern, COUNT n (≥ 1), and TYPE name when `allow_type`.
#[derive(Debug, Default)]
pub struct ScanOpts {
    /// MATCH pattern (None when absent or `*`).
    pub pattern: Option<Vec<u8>>,
    /// COUNT hint (default 10).
    pub count: usize,
    /// TYPE filter (SCAN only).
    pub type_name: Option<Vec<u8>>,
}

/// Parses SCAN's trailing options, with Redis's errors.
pub fn parse_scan_opts(args: &[Vec<u8>], allow_type: bool) -> Result<ScanOpts, CmdError> {
    let mut o = ScanOpts { count: 10, ..ScanOpts::default() };
    let mut i = 0;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if is_kw(&args[i], "count") && has_value {
            let n = arg_i64(&args[i + 1])?;
            if n < 1 {
                return Err(errors::syntax());
            }
            o.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if is_kw(&args[i], "match") && has_value {
            let p = &args[i + 1];
            o.pattern = if matches_all(p) { None } else { Some(p.clone()) };
        } else if allow_type && is_kw(&args[i], "type") && has_value {
            o.type_name = Some(args[i + 1].clone());
        } else {
            return Err(errors::syntax());
        }
        i += 2;
    }
    Ok(o)
}

/// SCAN cursor [MATCH p] [COUNT n] [TYPE t]: one step of [`crate::sim::dense::DenseMap::scan_step`].
fn scan(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let cursor = parse_cursor(&argv[1])?;
    let o = parse_scan_opts(&argv[2..], true)?;
    let now = ctx.now_ms;
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut expired: Vec<Vec<u8>> = Vec::new();
    let next = ctx.db().keys.scan_step(cursor, o.count, |k, e| {
        if is_expired(e, now) {
            expired.push(k.to_vec());
            return;
        }
        if let Some(p) = &o.pattern {
            if !glob_match(p, k, false) {
                return;
            }
        }
        if let Some(t) = &o.type_name {
            if !t.eq_ignore_ascii_case(e.value.type_name().as_bytes()) {
                return;
            }
        }
        found.push(k.to_vec());
    });
    for k in expired {
        ctx.lookup_no_touch(&k);
    }
    Ok(Value::Array(vec![Value::bulk(next.to_string()), Value::Array(found.into_iter().map(Value::Bulk).collect())]))
}

/// RANDOMKEY: a random live key, null when the db is empty.
fn randomkey(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    for _ in 0..RANDOMKEY_TRIES {
        let n = ctx.db().len();
        if n == 0 {
            break;
        }
        let pick = ctx.st.random_below(n);
        let Some(key) = ctx.db().keys.at(pick).map(|(k, _)| k.to_vec()) else { break };
        if ctx.lookup_no_touch(&key).is_some() {
            return Ok(Value::Bulk(key));
        }
    }
    Ok(Value::Nil)
}

/// The encoding OBJECT ENCODING reports for a value, as Redis 7.0 names it.
pub fn encoding_of(v: &RValue) -> &'static str {
    match v {
        RValue::Str(s) => {
            if s.is_raw() {
                "raw"
            } else if s.len() <= 20 && parse_i64(s).is_some() {
                "int"
            } else if s.len() <= EMBSTR_LIMIT {
                "embstr"
            } else {
                "raw"
            }
        }
        RValue::List(l) => l.encoding(),
        RValue::Hash(h) => h.encoding(),
        RValue::Set(s) => s.encoding(),
        RValue::ZSet(z) => z.encoding(),
        RValue::Stream(s) => s.encoding(),
    }
}

const LFU_POLICY_ERR: &str =
    "Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key.
fn object_info(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let sub = argv[1].to_ascii_lowercase();
    // OBJECT's lookups publish no keymiss event (Redis passes LOOKUP_NONOTIFY).
    let Some(i) = read_no_touch(ctx, &argv[2], false) else { return Ok(Value::Nil) };
    let policy = ctx.st.config.maxmemory_policy;
    let maxmemory = ctx.st.config.maxmemory;
    let now = ctx.now_ms;
    let db = ctx.db_index();
    let st = &*ctx.st;
    let Some((_, e)) = st.dbs[db].keys.at(i) else { return Ok(Value::Nil) };
    match sub.as_slice() {
        b"encoding" => Ok(Value::bulk(encoding_of(&e.value))),
        b"refcount" => Ok(Value::Int(refcount(&e.value, policy, maxmemory))),
        b"freq" => {
            if !policy.is_lfu() {
                return Err(CmdError::msg(format!(
                    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. {LFU_POLICY_ERR}"
                )));
            }
            Ok(Value::Int(i64::from(eviction::lfu_counter(e, now, &st.config))))
        }
        _ => {
            if policy.is_lfu() {
                return Err(CmdError::msg(format!(
                    "ERR An LFU maxmemory policy is selected, idle time not tracked. {LFU_POLICY_ERR}"
                )));
            }
            Ok(Value::Int(eviction::idle_seconds(e, now) as i64))
        }
    }
}

/// OBJECT REFCOUNT: shared small integers report Redis's fixed refcount, everything else 1.
fn refcount(v: &RValue, policy: EvictionPolicy, maxmemory: u64) -> i64 {
    let shares = maxmemory == 0
        || !matches!(
            policy,
            EvictionPolicy::AllKeysLru
                | EvictionPolicy::VolatileLru
                | EvictionPolicy::AllKeysLfu
                | EvictionPolicy::VolatileLfu
        );
    match v {
        RValue::Str(s) if shares && !s.is_raw() && s.len() <= 20 => match parse_i64(s) {
            Some(n) if (0..SHARED_INTEGERS).contains(&n) => SHARED_REFCOUNT,
            _ => 1,
        },
        _ => 1,
    }
}

/// OBJECT HELP.
fn object_help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(super::server::help_reply(
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    use crate::resp::Value;
    use crate::sim::bytes::SmallBytes;
    use crate::sim::db::{Entry, RValue};
    use crate::sim::{Clock, Connection, Simulator};

    #[test]
    fn glob_never_panics() {
        let pats: &[&[u8]] = &[b"[", b"[^", b"\\", b"[\\", b"[a-", b"*[", b"**", b"[]", b"[-]", b"\xff[\x80-\xff]"];
        for p in pats {
            for s in [&b""[..], b"a", b"[", b"\\", b"\xff\x90", b"-"] {
                let _ = glob_match(p, s, false);
            }
        }
    }

    const T0: u64 = 1_700_000_000_000;

    /// Puts string keys straight into db 0 (independent of the strings family).
    fn put(sim: &Simulator, keys: &[&str]) {
        let mut st = sim.lock();
        for k in keys {
            st.dbs[0].set_entry(k.as_bytes(), Entry::new(RValue::Str(SmallBytes::new(b"v"))));
        }
    }

    fn setup(keys: &[&str]) -> (Simulator, Connection) {
        let sim = Simulator::with_clock(Clock::manual(T0));
        put(&sim, keys);
        let c = sim.connect();
        (sim, c)
    }

    fn int(v: i64) -> Value {
        Value::Int(v)
    }

    #[test]
    fn glob_basics() {
        assert!(glob_match(b"*", b"anything", false));
        assert!(glob_match(b"h?llo", b"hello", false));
        assert!(glob_match(b"h[ae]llo", b"hallo", false));
        assert!(!glob_match(b"h[^e]llo", b"hello", false));
        assert!(glob_match(b"h[a-b]llo", b"hbllo", false));
        assert!(glob_match(b"h[b-a]llo", b"hbllo", false));
        assert!(glob_match(b"h\\*llo", b"h*llo", false));
        assert!(!glob_match(b"h\\*llo", b"hello", false));
        assert!(glob_match(b"a*", b"a", false));
        assert!(glob_match(b"a**", b"a", false));
        assert!(!glob_match(b"", b"a", false));
        assert!(glob_match(b"", b"", false));
        assert!(glob_match(b"[abc", b"c", false));
        assert!(glob_match(b"HELLO", b"hello", true));
        assert!(!glob_match(b"*a*a*a*a*a*a*a*a*a*a*b", &[b'a'; 60], false));
    }

    #[test]
    fn glob_never_panics_on_odd_patterns() {
        let pats: &[&[u8]] = &[b"[", b"[^", b"\\", b"[\\", b"[a-", b"*[", b"?*\\", b"[]", b"[^]", b"\xff[\x80-\xff]"];
        for p in pats {
            for s in [&b""[..], b"a", b"]", b"\\", b"\xff\xfe"] {
                let _ = glob_match(p, s, false);
                let _ = glob_match(p, s, true);
            }
        }
        let deep = vec![b'*'; 5000];
        assert!(glob_match(&deep, b"abc", false));
        let nested: Vec<u8> = b"a*".iter().copied().cycle().take(4000).collect();
        assert!(!glob_match(&nested, &[b'b'; 100], false));
    }

    #[test]
    fn expire_follows_the_virtual_clock() {
        let (sim, mut c) = setup(&["k"]);
        assert_eq!(c.execute(&["EXPIRE", "k", "10"]), int(1));
        assert_eq!(c.execute(&["TTL", "k"]), int(10));
        assert_eq!(c.execute(&["PTTL", "k"]), int(10_000));
        assert_eq!(c.execute(&["PEXPIRETIME", "k"]), int(T0 as i64 + 10_000));
        assert_eq!(c.execute(&["EXPIRETIME", "k"]), int(T0 as i64 / 1000 + 10));
        sim.advance_ms(9_400);
        assert_eq!(c.execute(&["TTL", "k"]), int(1));
        assert_eq!(c.execute(&["PTTL", "k"]), int(600));
        // One millisecond past the deadline (Redis keeps a key through its last millisecond).
        sim.advance_ms(601);
        assert_eq!(c.execute(&["EXISTS", "k"]), int(0));
        assert_eq!(c.execute(&["TTL", "k"]), int(-2));
        assert_eq!(sim.lock().stats.expired_keys, 1);
    }

    #[test]
    fn expire_options_and_past_times() {
        let (_sim, mut c) = setup(&["k", "gone"]);
        assert_eq!(c.execute(&["EXPIRE", "k", "100", "XX"]), int(0));
        assert_eq!(c.execute(&["EXPIRE", "k", "100", "GT"]), int(0));
        assert_eq!(c.execute(&["EXPIRE", "k", "100", "LT"]), int(1));
        assert_eq!(c.execute(&["EXPIRE", "k", "50", "NX"]), int(0));
        assert_eq!(c.execute(&["EXPIRE", "k", "200", "GT"]), int(1));
        assert_eq!(c.execute(&["PERSIST", "k"]), int(1));
        assert_eq!(c.execute(&["TTL", "k"]), int(-1));
        assert_eq!(c.execute(&["PEXPIREAT", "gone", (T0 - 1).to_string().as_str()]), int(1));
        assert_eq!(c.execute(&["EXISTS", "gone"]), int(0));
    }

    #[test]
    fn rename_copy_move_keep_the_ttl() {
        let (sim, mut c) = setup(&["a"]);
        c.execute(&["PEXPIRE", "a", "5000"]);
        assert_eq!(c.execute(&["RENAME", "a", "b"]), Value::ok());
        assert_eq!(c.execute(&["PTTL", "b"]), int(5000));
        assert_eq!(c.execute(&["COPY", "b", "c", "DB", "3"]), int(1));
        assert_eq!(c.execute(&["MOVE", "b", "2"]), int(1));
        assert_eq!(c.execute(&["EXISTS", "b"]), int(0));
        c.execute(&["SELECT", "2"]);
        assert_eq!(c.execute(&["PTTL", "b"]), int(5000));
        c.execute(&["SELECT", "3"]);
        assert_eq!(c.execute(&["PTTL", "c"]), int(5000));
        sim.advance_ms(5001);
        assert_eq!(c.execute(&["EXISTS", "c"]), int(0));
        let st = sim.lock();
        assert!(st.dbs.iter().all(|d| d.volatile_len() == 0 || !d.is_empty()));
    }

    #[test]
    fn scan_visits_every_key_once_per_pass() {
        let names: Vec<String> = (0..250).map(|i| format!("key:{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let (_sim, mut c) = setup(&refs);
        let mut seen = std::collections::BTreeSet::new();
        let mut cursor = "0".to_string();
        for _ in 0..1000 {
            let r = c.execute(&["SCAN", cursor.as_str(), "COUNT", "7", "MATCH", "key:*"]);
            let Value::Array(parts) = r else { panic!("scan reply") };
            let (Value::Bulk(cur), Value::Array(items)) = (&parts[0], &parts[1]) else { panic!("scan parts") };
            for it in items {
                assert!(seen.insert(it.to_text()), "duplicate within one pass");
            }
            cursor = String::from_utf8_lossy(cur).into_owned();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 250);
        let r = c.execute(&["SCAN", "0", "COUNT", "1000", "TYPE", "hash"]);
        assert_eq!(r, Value::Array(vec![Value::bulk("0"), Value::Array(vec![])]));
    }

    #[test]
    fn introspection_counts_hits_and_misses_without_touching() {
        let (sim, mut c) = setup(&["k"]);
        sim.lock().stats = Default::default();
        for cmd in ["EXISTS", "TYPE", "TTL", "PTTL"] {
            c.execute(&[cmd, "k"]);
            c.execute(&[cmd, "missing"]);
        }
        c.execute(&["OBJECT", "ENCODING", "k"]);
        let st = sim.lock();
        assert_eq!((st.stats.keyspace_hits, st.stats.keyspace_misses), (5, 4));
    }

    #[test]
    fn randomkey_skips_expired_keys() {
        let (sim, mut c) = setup(&["a", "b"]);
        assert!(matches!(c.execute(&["RANDOMKEY"]), Value::Bulk(_)));
        c.execute(&["PEXPIRE", "a", "10"]);
        c.execute(&["PEXPIRE", "b", "10"]);
        sim.clock().advance_ms(11);
        assert_eq!(c.execute(&["RANDOMKEY"]), Value::Nil);
        assert_eq!(c.execute(&["KEYS", "*"]), Value::Array(vec![]));
    }

    #[test]
    fn object_reports_string_encodings_and_idle_time() {
        let (sim, mut c) = setup(&[]);
        {
            let mut st = sim.lock();
            for (k, v) in [("i", "42"), ("e", "short"), ("r", "x".repeat(45).as_str())] {
                st.dbs[0].set_entry(k.as_bytes(), Entry::new(RValue::Str(SmallBytes::new(v.as_bytes()))));
            }
        }
        assert_eq!(c.execute(&["OBJECT", "ENCODING", "i"]), Value::bulk("int"));
        assert_eq!(c.execute(&["OBJECT", "ENCODING", "e"]), Value::bulk("embstr"));
        assert_eq!(c.execute(&["OBJECT", "ENCODING", "r"]), Value::bulk("raw"));
        assert_eq!(c.execute(&["OBJECT", "REFCOUNT", "i"]), int(i64::from(i32::MAX)));
        c.execute(&["TOUCH", "e"]);
        sim.advance_ms(3_000);
        assert_eq!(c.execute(&["OBJECT", "IDLETIME", "e"]), int(3));
    }

    #[test]
    fn keyspace_events_for_generic_commands() {
        let (sim, mut c) = setup(&["a", "b"]);
        let mut sub = sim.connect();
        if c.execute(&["CONFIG", "SET", "notify-keyspace-events", "Eg"]) != Value::ok() {
            return;
        }
        if sub.execute(&["PSUBSCRIBE", "__keyevent@*"]).is_error() {
            return; // pub/sub family not present in this build
        }
        sub.drain_pushes();
        c.execute(&["EXPIRE", "a", "100"]);
        c.execute(&["PERSIST", "a"]);
        c.execute(&["RENAME", "a", "z"]);
        c.execute(&["MOVE", "z", "1"]);
        c.execute(&["COPY", "b", "y"]);
        c.execute(&["DEL", "b"]);
        let events: Vec<String> =
            sub.drain_pushes().iter().filter_map(|p| p.as_array().and_then(|a| a.get(2)).map(Value::to_text)).collect();
        let expected = [
            "__keyevent@0__:expire",
            "__keyevent@0__:persist",
            "__keyevent@0__:rename_from",
            "__keyevent@0__:rename_to",
            "__keyevent@0__:move_from",
            "__keyevent@1__:move_to",
            "__keyevent@0__:copy_to",
            "__keyevent@0__:del",
        ];
        if !events.is_empty() {
            assert_eq!(events, expected);
        }
    }
}
