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
/// serving makes more keys ready (BLMOVE into a key another client waits on). Returns how many
/// clients were served.
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
            for id in ids {
                if try_serve(st, id, now_us) {
                    served += 1;
                }
            }
        }
    }
    served
}

/// Re-runs a blocked client's command; returns true if it completed.
fn try_serve(st: &mut State, id: u64, now_us: u64) -> bool {
    let Some(mut cl) = st.clients.remove(&id) else { return false };
    let Some(b) = cl.blocked.clone() else {
        st.clients.insert(id, cl);
        return false;
    };
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
        cl.blocked = None;
        unqueue(st, id, &b);
    }
    st.clients.insert(id, cl);
    done
}
