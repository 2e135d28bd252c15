//! Memory accounting and maxmemory eviction, modelled on Redis's `evict.c`.
//!
//! **Accounting.** `used_memory` is the sum of each database's running total [`Db::mem`], which
//! [`Db`] keeps exact as keys are inserted, overwritten, expired and removed ([`entry_cost`]: the
//! keyspace slot, the key's heap bytes, the value's `mem_usage()`, the TTL-index slot). Values
//! that grow in place (LPUSH on an existing list, APPEND …) are re-measured when the command
//! reports the write through `Ctx::written` ([`after_write`]). So reading it is O(databases) and
//! each write costs one extra hash lookup — never a scan. It is an estimate of this simulator's
//! own usage (no allocator slack, no Redis startup baseline, table capacity not counted so that
//! evicting keys always lowers it); it does not equal Redis's `used_memory`.
//!
//! **Eviction.** Before every `denyoom` command, [`evict_if_needed`] frees keys while used memory
//! is above `maxmemory`, following `maxmemory-policy`: `noeviction` refuses the command (OOM);
//! the LRU/LFU/TTL policies sample `maxmemory-samples` keys per database (all keys, or only keys
//! with a TTL for `volatile-*`) into a 16-entry eviction pool kept across calls, sorted by idle
//! score, and evict the best candidate, like Redis; the random policies evict a random key,
//! visiting databases round-robin. Each eviction deletes the key, counts `evicted_keys`,
//! invalidates WATCH and publishes the `evicted` keyspace event (class `e`).
//!
//! **Access stamp.** [`Entry::access`] holds Redis's 24-bit LRU clock (seconds) or, under an LFU
//! policy, the 16-bit decay time in minutes and the 8-bit logarithmic counter (`lfu-log-factor`,
//! `lfu-decay-time`), exactly as Redis packs `robj.lru`. OBJECT IDLETIME / FREQ read it through
//! [`idle_seconds`] and [`lfu_counter`].

use super::bytes::SmallBytes;
use super::config::{Config, EvictionPolicy};
use super::db::{entry_cost, Db, Entry};
use super::state::State;

pub use super::db::{KEY_SLOT_BYTES, VOLATILE_SLOT_BYTES};

/// Largest value of the 24-bit LRU clock.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// Counter a new key starts with under LFU (Redis's `LFU_INIT_VAL`), so it is not evicted at once.
pub const LFU_INIT_VAL: u32 = 5;
/// Size of the eviction pool (Redis's `EVPOOL_SIZE`).
pub const EVPOOL_SIZE: usize = 16;

/// The LRU clock for `now_ms`: seconds, low 24 bits (Redis's `LRU_CLOCK()`).
pub fn lru_clock(now_ms: u64) -> u32 {
    ((now_ms / 1000) & LRU_CLOCK_MAX as u64) as u32
}

/// Minutes, low 16 bits: the LFU decay clock (Redis's `LFUGetTimeInMinutes()`).
fn lfu_minutes(now_ms: u64) -> u32 {
    ((now_ms / 60_000) & 0xFFFF) as u32
}

/// Estimated idle time in ms of an LRU stamp, handling the 24-bit wrap like Redis.
fn lru_idle_ms(stamp: u32, now_ms: u64) -> u64 {
    let clock = lru_clock(now_ms);
    let stamp = stamp & LRU_CLOCK_MAX;
    let secs = if clock >= stamp { clock - stamp } else { clock + (LRU_CLOCK_MAX - stamp) };
    secs as u64 * 1000
}

/// The LFU counter after applying decay for the minutes elapsed since its stamp
/// (Redis's `LFUDecrAndReturn`). Does not modify the entry.
fn lfu_decayed(stamp: u32, now_ms: u64, decay_minutes: u32) -> u32 {
    let ldt = stamp >> 8;
    let counter = stamp & 0xFF;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= ldt { now - ldt } else { 0xFFFF - ldt + now };
    let periods = elapsed.checked_div(decay_minutes).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// Logarithmic increment: the counter grows with probability 1/((counter-5)·factor+1)
/// (Redis's `LFULogIncr`); `r` is uniform in [0, 1).
fn lfu_log_incr(counter: u32, factor: u32, r: f64) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// The stamp a newly created key gets: the current LRU clock, or under LFU the current decay
/// time with the initial counter.
pub fn init_access(policy: EvictionPolicy, now_ms: u64) -> u32 {
    if policy.is_lfu() {
        (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL
    } else {
        lru_clock(now_ms)
    }
}

/// Updates a key's LRU stamp on access. Under an LFU policy this does nothing: the counter needs
/// the configuration and randomness, see [`touch_at`] (what lookups use).
pub fn touch_access(e: &mut Entry, policy: EvictionPolicy, now_ms: u64) {
    if !policy.is_lfu() {
        e.access = lru_clock(now_ms);
    }
}

/// Records an access to the key at position `i` of database `db`: refreshes the LRU clock, or
/// decays and logarithmically increments the LFU counter (Redis's `updateLFU`).
pub fn touch_at(st: &mut State, db: usize, i: usize, now_ms: u64) {
    if st.config.maxmemory_policy.is_lfu() {
        let r = (st.random() >> 11) as f64 / (1u64 << 53) as f64;
        let (factor, decay) = (st.config.lfu_log_factor, st.config.lfu_decay_time);
        if let Some((_, e)) = st.dbs[db].keys.at_mut(i) {
            let c = lfu_log_incr(lfu_decayed(e.access, now_ms, decay), factor, r);
            e.access = (lfu_minutes(now_ms) << 8) | c;
        }
    } else if let Some((_, e)) = st.dbs[db].keys.at_mut(i) {
        e.access = lru_clock(now_ms);
    }
}

/// Bookkeeping after a command wrote `key` (called by `Ctx::written`): re-measures the key's
/// memory and gives a freshly created key (access stamp 0) its initial access stamp.
pub fn after_write(st: &mut State, db: usize, key: &[u8], now_ms: u64) {
    let policy = st.config.maxmemory_policy;
    if let Some(e) = st.dbs.get_mut(db).and_then(|d| d.remeasure(key)) {
        if e.access == 0 {
            e.access = init_access(policy, now_ms);
        }
    }
}

/// Seconds since the key was last accessed (OBJECT IDLETIME), from its LRU stamp.
pub fn idle_seconds(e: &Entry, now_ms: u64) -> u64 {
    lru_idle_ms(e.access, now_ms) / 1000
}

/// The key's LFU counter after decay (OBJECT FREQ; meaningful under an LFU policy).
pub fn lfu_counter(e: &Entry, now_ms: u64, cfg: &Config) -> u32 {
    lfu_decayed(e.access, now_ms, cfg.lfu_decay_time)
}

/// Bytes attributed to `key` holding `e` (MEMORY USAGE): see [`entry_cost`].
pub fn key_usage(key: &[u8], e: &Entry) -> usize {
    entry_cost(key, e)
}

/// Approximate bytes used by the dataset: the sum of the databases' running totals. O(databases).
pub fn used_memory(st: &State) -> usize {
    st.dbs.iter().map(|db| db.mem).sum()
}

/// One candidate in the eviction pool.
#[derive(Debug, Clone)]
struct PoolEntry {
    /// Higher is a better victim: idle ms (LRU), 255 - counter (LFU), or inverted expiry (TTL).
    score: u64,
    db: usize,
    key: SmallBytes,
}

/// Eviction state kept across commands: the candidate pool, the round-robin database cursor of
/// the random policies, and the peak of `used_memory` seen (MEMORY STATS `peak.allocated`).
#[derive(Debug, Default, Clone)]
pub struct EvictionState {
    pool: Vec<PoolEntry>,
    next_db: usize,
    /// Highest used memory observed before a write.
    pub peak: usize,
}

impl EvictionState {
    /// Inserts a candidate keeping the pool sorted by ascending score and at most
    /// [`EVPOOL_SIZE`] long; when full, a candidate better than the worst replaces it.
    fn insert(&mut self, cand: PoolEntry) {
        if self.pool.iter().any(|p| p.db == cand.db && p.key == cand.key) {
            return;
        }
        let k = self.pool.partition_point(|p| p.score < cand.score);
        if self.pool.len() < EVPOOL_SIZE {
            self.pool.insert(k, cand);
        } else if k > 0 {
            self.pool.remove(0);
            self.pool.insert(k - 1, cand);
        }
    }
}

/// True for the `volatile-*` policies (only keys with a TTL are candidates).
fn is_volatile(p: EvictionPolicy) -> bool {
    matches!(
        p,
        EvictionPolicy::VolatileLru
            | EvictionPolicy::VolatileLfu
            | EvictionPolicy::VolatileRandom
            | EvictionPolicy::VolatileTtl
    )
}

/// Number of candidate keys in `db` for the policy.
fn candidates(db: &Db, volatile: bool) -> usize {
    if volatile {
        db.volatile.len()
    } else {
        db.keys.len()
    }
}

/// The key at position `i` of the candidate dictionary.
fn candidate_key(db: &Db, volatile: bool, i: usize) -> Option<&SmallBytes> {
    if volatile {
        db.volatile.at(i).map(|(k, _)| k)
    } else {
        db.keys.at(i).map(|(k, _)| k)
    }
}

/// The eviction score of an entry under `policy` (higher evicts first).
fn score(e: &Entry, policy: EvictionPolicy, now_ms: u64, cfg: &Config) -> u64 {
    match policy {
        EvictionPolicy::VolatileTtl => u64::MAX - e.expire_at,
        p if p.is_lfu() => 255 - lfu_counter(e, now_ms, cfg) as u64,
        _ => lru_idle_ms(e.access, now_ms),
    }
}

/// Samples up to `maxmemory-samples` candidates of database `db` into the pool
/// (Redis's `evictionPoolPopulate`). Returns how many keys were sampled.
fn populate(st: &mut State, db: usize, now_ms: u64) -> usize {
    let policy = st.config.maxmemory_policy;
    let volatile = is_volatile(policy);
    let n = candidates(&st.dbs[db], volatile);
    let samples = st.config.maxmemory_samples.max(1);
    let picks: Vec<usize> =
        if n <= samples { (0..n).collect() } else { (0..samples).map(|_| st.random_below(n)).collect() };
    for &i in &picks {
        let Some(key) = candidate_key(&st.dbs[db], volatile, i) else { continue };
        let Some(e) = st.dbs[db].keys.get(key.as_slice()) else { continue };
        let cand = PoolEntry { score: score(e, policy, now_ms, &st.config), db, key: key.clone() };
        st.eviction.insert(cand);
    }
    picks.len()
}

/// True when `key` is still a candidate in `db` under the policy.
fn still_candidate(db: &Db, key: &[u8], volatile: bool) -> bool {
    if volatile {
        db.volatile.find(key).is_some()
    } else {
        db.keys.find(key).is_some()
    }
}

/// Chooses the next key to evict, or None when there is no candidate at all.
fn pick_victim(st: &mut State, now_ms: u64) -> Option<(usize, SmallBytes)> {
    let policy = st.config.maxmemory_policy;
    let volatile = is_volatile(policy);
    let ndbs = st.dbs.len();
    if matches!(policy, EvictionPolicy::AllKeysRandom | EvictionPolicy::VolatileRandom) {
        for _ in 0..ndbs {
            st.eviction.next_db = (st.eviction.next_db + 1) % ndbs.max(1);
            let db = st.eviction.next_db;
            let n = candidates(&st.dbs[db], volatile);
            if n > 0 {
                let i = st.random_below(n);
                return candidate_key(&st.dbs[db], volatile, i).map(|k| (db, k.clone()));
            }
        }
        return None;
    }
    // Each round samples live keys, so a stale pool is refilled within a couple of rounds.
    for _ in 0..8 {
        let mut sampled = 0;
        for db in 0..ndbs {
            if candidates(&st.dbs[db], volatile) > 0 {
                sampled += populate(st, db, now_ms);
            }
        }
        if sampled == 0 {
            return None;
        }
        while let Some(best) = st.eviction.pool.pop() {
            if still_candidate(&st.dbs[best.db], &best.key, volatile) {
                return Some((best.db, best.key));
            }
        }
    }
    None
}

/// Evicts one key: delete, count, invalidate WATCH, publish `evicted`.
fn evict(st: &mut State, db: usize, key: &[u8]) {
    if st.dbs[db].remove(key).is_some() {
        st.stats.evicted_keys += 1;
        st.signal_modified(db, key);
        super::commands::pubsub::notify_keyspace_event_state(st, 'e', "evicted", key, db);
    }
}

/// Frees memory according to the policy before a command that may grow the dataset (called by
/// dispatch for `denyoom` commands). Returns false when the command must be refused with OOM:
/// over the limit under `noeviction`, or nothing left that the policy may evict.
pub fn evict_if_needed(st: &mut State, now_ms: u64) -> bool {
    let mut used = used_memory(st);
    st.eviction.peak = st.eviction.peak.max(used);
    let limit = st.config.maxmemory;
    if limit == 0 || used as u64 <= limit {
        return true;
    }
    if st.config.maxmemory_policy == EvictionPolicy::NoEviction {
        return false;
    }
    let mut budget: usize = st.dbs.iter().map(|d| d.len()).sum::<usize>() + 1;
    while used as u64 > limit && budget > 0 {
        budget -= 1;
        let Some((db, key)) = pick_victim(st, now_ms) else { return false };
        evict(st, db, &key);
        used = used_memory(st);
    }
    used as u64 <= limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_mem_field_lives_in_padding() {
        assert!(std::mem::size_of::<Entry>() <= 40, "Entry grew to {}", std::mem::size_of::<Entry>());
    }

    #[test]
    fn lru_idle_wraps_like_redis() {
        let e = Entry { access: LRU_CLOCK_MAX - 1, ..Entry::new(super::super::db::RValue::Str(SmallBytes::new(b""))) };
        // clock wrapped to 3: idle = 3 + (MAX - (MAX-1)) = 4 s
        assert_eq!(idle_seconds(&e, 3_500), 4);
    }

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        assert_eq!(lfu_log_incr(255, 10, 0.0), 255);
        assert_eq!(lfu_log_incr(3, 10, 0.99), 4, "below LFU_INIT_VAL always increments");
        assert_eq!(lfu_log_incr(15, 10, 0.5), 15, "p = 1/101");
        assert_eq!(lfu_log_incr(15, 10, 0.001), 16);
        let stamp = (lfu_minutes(0) << 8) | 20;
        assert_eq!(lfu_decayed(stamp, 0, 1), 20);
        assert_eq!(lfu_decayed(stamp, 5 * 60_000, 1), 15);
        assert_eq!(lfu_decayed(stamp, 5 * 60_000, 0), 20, "decay time 0 never decays");
        assert_eq!(lfu_decayed(stamp, 500 * 60_000, 1), 0);
    }

    #[test]
    fn pool_keeps_best_sixteen() {
        let mut s = EvictionState::default();
        for i in 0..40u64 {
            s.insert(PoolEntry { score: (i * 7) % 40, db: 0, key: SmallBytes::new(i.to_string().as_bytes()) });
        }
        assert_eq!(s.pool.len(), EVPOOL_SIZE);
        let scores: Vec<u64> = s.pool.iter().map(|p| p.score).collect();
        assert_eq!(scores, (24..40).collect::<Vec<u64>>());
    }
}
