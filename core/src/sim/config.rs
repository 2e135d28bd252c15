//! Server configuration the engine honours (CONFIG GET/SET): databases, maxmemory and its policy,
//! keyspace notifications, encoding thresholds. Parameters a client may read but the engine does
//! not act on are kept as plain strings so CONFIG GET answers like Redis.

use std::collections::BTreeMap;

/// Eviction policy (`maxmemory-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EvictionPolicy {
    /// Refuse writes over the limit.
    NoEviction,
    /// Evict least recently used among all keys.
    AllKeysLru,
    /// Evict least frequently used among all keys.
    AllKeysLfu,
    /// Evict random keys.
    AllKeysRandom,
    /// LRU among keys with a TTL.
    VolatileLru,
    /// LFU among keys with a TTL.
    VolatileLfu,
    /// Random among keys with a TTL.
    VolatileRandom,
    /// Shortest remaining TTL first.
    VolatileTtl,
}

impl EvictionPolicy {
    /// Parses the config value.
    pub fn parse(s: &str) -> Option<EvictionPolicy> {
        Some(match s.to_ascii_lowercase().as_str() {
            "noeviction" => EvictionPolicy::NoEviction,
            "allkeys-lru" => EvictionPolicy::AllKeysLru,
            "allkeys-lfu" => EvictionPolicy::AllKeysLfu,
            "allkeys-random" => EvictionPolicy::AllKeysRandom,
            "volatile-lru" => EvictionPolicy::VolatileLru,
            "volatile-lfu" => EvictionPolicy::VolatileLfu,
            "volatile-random" => EvictionPolicy::VolatileRandom,
            "volatile-ttl" => EvictionPolicy::VolatileTtl,
            _ => return None,
        })
    }

    /// The config value.
    pub fn name(self) -> &'static str {
        match self {
            EvictionPolicy::NoEviction => "noeviction",
            EvictionPolicy::AllKeysLru => "allkeys-lru",
            EvictionPolicy::AllKeysLfu => "allkeys-lfu",
            EvictionPolicy::AllKeysRandom => "allkeys-random",
            EvictionPolicy::VolatileLru => "volatile-lru",
            EvictionPolicy::VolatileLfu => "volatile-lfu",
            EvictionPolicy::VolatileRandom => "volatile-random",
            EvictionPolicy::VolatileTtl => "volatile-ttl",
        }
    }

    /// True for LFU policies (the access stamp then holds a frequency counter).
    pub fn is_lfu(self) -> bool {
        matches!(self, EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu)
    }
}

/// The honoured configuration plus the remaining parameters as strings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Number of databases (fixed at creation, like Redis's `databases`).
    pub databases: usize,
    /// Byte limit, 0 = none.
    pub maxmemory: u64,
    /// Eviction policy.
    pub maxmemory_policy: EvictionPolicy,
    /// Keys sampled per eviction.
    pub maxmemory_samples: usize,
    /// Parsed `notify-keyspace-events` flags (0 = disabled); bit layout owned by pubsub.
    pub notify_flags: u32,
    /// `lfu-log-factor`.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time` (minutes).
    pub lfu_decay_time: u32,
    /// Encoding thresholds reported by OBJECT ENCODING.
    pub hash_max_listpack_entries: usize,
    /// See Redis's `hash-max-listpack-value`.
    pub hash_max_listpack_value: usize,
    /// See Redis's `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// See Redis's `zset-max-listpack-entries`.
    pub zset_max_listpack_entries: usize,
    /// See Redis's `zset-max-listpack-value`.
    pub zset_max_listpack_value: usize,
    /// See Redis's `list-max-listpack-size`.
    pub list_max_listpack_size: i64,
    /// Every other parameter, by lowercase name (what CONFIG GET shows).
    pub other: BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            databases: 16,
            maxmemory: 0,
            maxmemory_policy: EvictionPolicy::NoEviction,
            maxmemory_samples: 5,
            notify_flags: 0,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            hash_max_listpack_entries: 128,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            other: BTreeMap::new(),
        }
    }
}
