//! One logical database: the keyspace (a [`DenseMap`] of keys to [`Entry`]), the set of keys
//! with a TTL (sampled by active expiry), and the typed values. Entries carry their absolute expiry
//! time and an access stamp used by OBJECT IDLETIME/FREQ and maxmemory eviction.

use super::bytes::SmallBytes;
use super::dense::DenseMap;
use super::types::{Hash, List, Set, Stream, ZSet};

/// A value stored under a key.
#[derive(Debug, Clone)]
pub enum RValue {
    /// String (also bitmaps and HyperLogLogs, like Redis).
    Str(SmallBytes),
    /// List.
    List(Box<List>),
    /// Hash.
    Hash(Box<Hash>),
    /// Set.
    Set(Box<Set>),
    /// Sorted set (also geo).
    ZSet(Box<ZSet>),
    /// Stream.
    Stream(Box<Stream>),
}

impl RValue {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            RValue::Str(_) => "string",
            RValue::List(_) => "list",
            RValue::Hash(_) => "hash",
            RValue::Set(_) => "set",
            RValue::ZSet(_) => "zset",
            RValue::Stream(_) => "stream",
        }
    }

    /// Approximate memory in bytes, for MEMORY USAGE and maxmemory accounting.
    pub fn mem_usage(&self) -> usize {
        match self {
            RValue::Str(s) => s.heap_size(),
            RValue::List(v) => v.mem_usage(),
            RValue::Hash(v) => v.mem_usage(),
            RValue::Set(v) => v.mem_usage(),
            RValue::ZSet(v) => v.mem_usage(),
            RValue::Stream(v) => v.mem_usage(),
        }
    }
}

/// One key's slot: value, absolute expiry in ms since the epoch (0 = none), access stamp.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The value.
    pub value: RValue,
    /// Absolute expiry (ms since the epoch); 0 means no TTL.
    pub expire_at: u64,
    /// LRU: last access in seconds (low 24 bits like Redis) — or, under an LFU policy, the
    /// logarithmic counter (low 8 bits) and decay time (high 16 bits), as Redis packs it.
    pub access: u32,
    /// Bytes this entry is accounted for in [`Db::mem`] (set by [`Db`]'s methods; lives in what
    /// would otherwise be padding, so it costs nothing per key).
    pub mem: u32,
}

/// True when a key with absolute expiry `expire_at` (0 = none) is expired at `now_ms`. Like
/// Redis's `keyIsExpired`, a key is still alive in the very millisecond it expires at.
pub fn is_expired(expire_at: u64, now_ms: u64) -> bool {
    expire_at != 0 && now_ms > expire_at
}

impl Entry {
    /// A value with no TTL.
    pub fn new(value: RValue) -> Entry {
        Entry { value, expire_at: 0, access: 0, mem: 0 }
    }
}

/// Bytes of one keyspace slot: the (key, entry) pair in the dense vector plus its 4-byte index
/// and ~1 control byte in the hash table.
pub const KEY_SLOT_BYTES: usize = std::mem::size_of::<(SmallBytes, Entry)>() + 5;
/// Bytes of one slot of the volatile (TTL) index; its key copy's heap is counted separately.
pub const VOLATILE_SLOT_BYTES: usize = std::mem::size_of::<(SmallBytes, ())>() + 5;

/// Heap bytes a [`SmallBytes`] of `len` bytes owns (0 while it fits inline).
fn key_heap(len: usize) -> usize {
    if len > 22 {
        len
    } else {
        0
    }
}

/// The memory attributed to `key` holding `e` (MEMORY USAGE, maxmemory accounting): its keyspace
/// slot, the key's heap bytes, the value's [`RValue::mem_usage`], and its TTL-index slot if it has
/// an expiry. An estimate of this simulator's own usage, not Redis's allocator figures.
pub fn entry_cost(key: &[u8], e: &Entry) -> usize {
    let mut n = KEY_SLOT_BYTES + key_heap(key.len()) + e.value.mem_usage();
    if e.expire_at != 0 {
        n += VOLATILE_SLOT_BYTES + key_heap(key.len());
    }
    n
}

/// Re-measures `e` and moves the difference into the running total `mem` (costs saturate at
/// 4 GiB per key, the width of [`Entry::mem`]).
fn reaccount(mem: &mut usize, key: &[u8], e: &mut Entry) {
    let before = e.mem as usize;
    e.mem = entry_cost(key, e).min(u32::MAX as usize) as u32;
    *mem = mem.saturating_sub(before) + e.mem as usize;
}

/// One numbered database.
#[derive(Default)]
pub struct Db {
    /// Keys to entries.
    pub keys: DenseMap<SmallBytes, Entry>,
    /// Keys that currently have a TTL (for active expiry sampling and INFO keyspace).
    pub volatile: DenseMap<SmallBytes, ()>,
    /// Running total of [`entry_cost`] over the keys (kept by `set_entry`, `remove`, `set_expire`,
    /// `clear` and `remeasure`: every key must be added and removed through these methods).
    pub mem: usize,
}

impl Db {
    /// Number of keys (including logically expired ones not yet reclaimed, like DBSIZE).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Removes a key and its TTL bookkeeping; returns the entry.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let (_, e) = self.keys.remove(key)?;
        self.mem = self.mem.saturating_sub(e.mem as usize);
        if e.expire_at != 0 {
            self.volatile.remove(key);
        }
        Some(e)
    }

    /// Sets or clears (0) a key's expiry, keeping the volatile index in step.
    /// Returns false if the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], at_ms: u64) -> bool {
        let Some(e) = self.keys.get_mut(key) else { return false };
        let was = e.expire_at;
        e.expire_at = at_ms;
        if (was != 0) != (at_ms != 0) {
            reaccount(&mut self.mem, key, e);
        }
        match (was != 0, at_ms != 0) {
            (false, true) => {
                self.volatile.insert(SmallBytes::new(key), ());
            }
            (true, false) => {
                self.volatile.remove(key);
            }
            _ => {}
        }
        true
    }

    /// Inserts or overwrites a key with a fresh entry (no TTL unless `expire_at` is set).
    /// Returns true when the key was not there before.
    pub fn set_entry(&mut self, key: &[u8], mut entry: Entry) -> bool {
        let new_exp = entry.expire_at;
        entry.mem = 0;
        reaccount(&mut self.mem, key, &mut entry);
        let old = self.keys.insert(SmallBytes::new(key), entry);
        let is_new = old.is_none();
        if let Some(o) = &old {
            self.mem = self.mem.saturating_sub(o.mem as usize);
        }
        let old_exp = old.map(|e| e.expire_at).unwrap_or(0);
        match (old_exp != 0, new_exp != 0) {
            (false, true) => {
                self.volatile.insert(SmallBytes::new(key), ());
            }
            (true, false) => {
                self.volatile.remove(key);
            }
            _ => {}
        }
        is_new
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.keys.clear();
        self.volatile.clear();
        self.mem = 0;
    }

    /// Re-measures a key whose value was changed in place (called from `Ctx::written`), keeping
    /// [`Db::mem`] exact; returns the entry.
    pub fn remeasure(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let e = self.keys.get_mut(key)?;
        reaccount(&mut self.mem, key, e);
        Some(e)
    }

    /// Keys with a TTL.
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }
}
