//! Blocking commands (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK …): registering a blocked client on
//! its keys, serving blocked clients in the order they blocked when a key receives data (re-running
//! their command right after the command that signalled the key, as Redis does), and timing them
//! out by the simulator's clock.

use super::bytes::SmallBytes;
use super::client::Blocked;
use super::command::{BlockOn, CmdError, Ctx};
use super::dispatch;
use super::state::State;
use crate::resp::Value;

/// Marks client `cl` blocked on `b` and queues it on each key.
pub fn register(st: &mut State, cl: &mut super::client::Client, argv: &[Vec<u8>], b: BlockOn) {
    st.block_seq += 1;
    let keys: Vec<SmallBytes> = b.keys.iter().map(|k| SmallBytes::new(k)).collect();
    for k in &keys {
        let q = st.blocked_on.entry((cl.db, k.clone())).or_default();
        if !q.contains(&cl.id) {
            q.push_back(cl.id);
        }
    }
    cl.blocked = Some(Blocked {
        argv: argv.to_vec(),
        db: cl.db,
        keys,
        deadline_ms: b.deadline_ms,
        on_timeout: b.on_timeout,
        seq: st.block_seq,
        ready_key: None,
    });
}

/// Removes client `id` from every queue it is blocked in.
pub fn unqueue(st: &mut State, id: u64, b: &Blocked) {
    for k in &b.keys {
        let slot = (b.db, k.clone());
        if let Some(q) = st.blocked_on.get_mut(&slot) {
            q.retain(|&c| c != id);
            if q.is_empty() {
                st.blocked_on.remove(&slot);
            }
        }
    }
}

/// Ends client `id`'s wait with `reply` (timeout, CLIENT UNBLOCK, served). Returns false if it
/// was not blocked.
pub fn unblock(st: &mut State, id: u64, reply: Value) -> bool {
    let Some(b) = st.clients.get_mut(&id).and_then(|c| c.blocked.take()) else { return false };
    unqueue(st, id, &b);
    if let Some(c) = st.clients.get_mut(&id) {
        c.unblocked_reply = Some(reply);
        c.wake();
    }
    true
}

/// Times out every blocked client whose deadline has passed. Returns how many.
pub fn expire_timeouts(st: &mut State, now_ms: u64) -> usize {
    let due: Vec<(u64, u64, Value)> = st
        .clients
        .values()
        .filter_map(|c| {
            let b = c.blocked.as_ref()?;
            let d = b.deadline_ms?;
            (d <= now_ms).then(|| (b.seq, c.id, b.on_timeout.clone()))
        })
        .collect();
    let mut due = due;
    due.sort_by_key(|d| d.0);
    let n = due.len();
    for (_, id, reply) in due {
        unblock(st, id, reply);
    }
    n
}

/// Serves clients blocked on keys signalled ready, first blocked first served, repeating while
/// serving makes more keys ready (BLMOVE into a key another client waits on). Like Redis's
/// handleClientsBlockedOnKeys: keys in the order they were signalled, and each client is served
/// from the key being processed (see [`serving_key`]).
/// Returns how many clients were served.
pub fn serve_ready(st: &mut State, now_us: u64) -> usize {
    let mut served = 0;
    // Bounded: every round either serves a client or drains the ready list.
    for _ in 0..10_000 {
        if st.ready_keys.is_empty() {
            break;
        }
        let ready = std::mem::take(&mut st.ready_keys);
        for slot in ready {
            let ids: Vec<u64> = st.blocked_on.get(&slot).map(|q| q.iter().copied().collect()).unwrap_or_default();
            // Every waiter re-runs, even when the key is gone: XREADGROUP must then fail
            // ("UNBLOCKED the stream key no longer exists"); list waiters simply keep waiting.
            for id in ids {
                if try_serve(st, id, &slot.1, now_us) {
                    served += 1;
                }
            }
        }
    }
    served
}

/// The key whose signal is being served while a blocked command re-runs (`ctx.unblocking`);
/// None on a first run. Blocking handlers serve only from this key, as Redis does.
pub fn serving_key(ctx: &Ctx) -> Option<SmallBytes> {
    if !ctx.unblocking {
        return None;
    }
    ctx.cl.blocked.as_ref().and_then(|b| b.ready_key.clone())
}

/// Re-runs a blocked client's command for the ready `key`; returns true if it completed.
fn try_serve(st: &mut State, id: u64, key: &SmallBytes, now_us: u64) -> bool {
    let Some(mut cl) = st.clients.remove(&id) else { return false };
    let Some(b) = cl.blocked.as_mut() else {
        st.clients.insert(id, cl);
        return false;
    };
    b.ready_key = Some(key.clone());
    let b = b.clone();
    let saved_db = cl.db;
    cl.db = b.db;
    let outcome = {
        let mut ctx =
            Ctx { st: &mut *st, cl: &mut cl, now_ms: now_us / 1000, now_us, no_block: false, unblocking: true };
        dispatch::call_handler(&mut ctx, &b.argv)
    };
    cl.db = saved_db;
    let done = match outcome {
        Err(CmdError::Block(_)) => false,
        Ok(v) => {
            cl.unblocked_reply = Some(v);
            true
        }
        Err(CmdError::Reply(e)) => {
            cl.unblocked_reply = Some(Value::error(e));
            true
        }
        Err(CmdError::Silent) => true,
    };
    if done {
        cl.wake();
        cl.blocked = None;
        unqueue(st, id, &b);
    } else if let Some(b) = cl.blocked.as_mut() {
        b.ready_key = None;
    }
    st.clients.insert(id, cl);
    done
}

/// Longest string Redis's `string2ld` accepts (MAX_LONG_DOUBLE_CHARS).
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// Parses a blocking timeout like Redis's `getTimeoutFromObjectOrReply` (seconds as a `long
/// double`, strtold syntax: decimal, hex, inf): returns the timeout in whole milliseconds
/// (truncated), `Err(true)` for "not a float", `Err(false)` for "negative" — which is also what
/// Redis answers when the milliseconds overflow a long long (inf, 1e16 …). Decimal input is
/// converted exactly, which is what the 64-bit mantissa of a long double gives for any timeout
/// that fits in a long long of milliseconds.
pub fn timeout_ms(b: &[u8]) -> Result<u64, bool> {
    if b.is_empty() || b.len() >= MAX_LONG_DOUBLE_CHARS || b[0].is_ascii_whitespace() {
        return Err(true);
    }
    let s = std::str::from_utf8(b).map_err(|_| true)?;
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    // None: the milliseconds overflow a long long.
    let ms = if lower == "inf" || lower == "infinity" {
        None
    } else if let Some(hex) = lower.strip_prefix("0x") {
        let ms = (parse_hex_float(hex).ok_or(true)? * 1000.0).trunc();
        (ms < 9_223_372_036_854_775_808.0).then_some(ms as u64)
    } else {
        decimal_ms(body).ok_or(true)?
    };
    // (long long) of an out-of-range value is LLONG_MIN on x86: "timeout is negative".
    match ms {
        None => Err(false),
        Some(0) => Ok(0),
        Some(_) if neg => Err(false),
        Some(ms) => Ok(ms),
    }
}

/// A non-negative decimal literal (digits, optional fraction, optional exponent) times 1000,
/// truncated: `Some(None)` when that does not fit in an i64, None for bad syntax or a value
/// outside the long double range (strtold's ERANGE).
fn decimal_ms(s: &str) -> Option<Option<u64>> {
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => {
            let e = &s[i + 1..];
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let huge = if e.starts_with('-') { -1_000_000 } else { 1_000_000 };
            (&s[..i], e.parse::<i64>().unwrap_or(huge).clamp(-1_000_000, 1_000_000))
        }
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.len() + frac.len() == 0 || !int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let all: String = int.chars().chain(frac.chars()).collect();
    let digits = all.trim_start_matches('0');
    if digits.is_empty() {
        return Some(Some(0));
    }
    let n = digits.len() as i64;
    let shift = exp - frac.len() as i64; // value = digits × 10^shift
    let magnitude = n - 1 + shift;
    // long double spans about 1e-4951 ..= 1e4932: beyond that strtold reports ERANGE.
    if !(-4950..=4932).contains(&magnitude) {
        return None;
    }
    let k = shift + 3; // milliseconds = digits × 10^k
    let (head, zeros) = if k >= 0 { (digits, k) } else { (&digits[..(n + k).clamp(0, n) as usize], 0) };
    if head.len() as i64 + zeros > 19 {
        return Some(None);
    }
    let mut v: u128 = 0;
    for c in head.bytes() {
        v = v * 10 + u128::from(c - b'0');
    }
    for _ in 0..zeros {
        v *= 10;
    }
    Some(u64::try_from(v).ok().filter(|&v| v <= i64::MAX as u64))
}

/// The part after `0x` of a C hex float: hex digits, optional `.` and fraction, optional
/// `p[+-]exponent`. At least one hex digit.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exp) = match s.split_once('p') {
        Some((m, e)) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            (m, e.parse::<i64>().unwrap_or(if e.starts_with('-') { -100_000 } else { 100_000 }))
        }
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.len() + frac.len() == 0 {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp.clamp(-20_000, 20_000) as i32))
}
