//! The in-memory representation of Redis hashes (HSET …).
//!
//! One `IndexMap` holds the fields in both of Redis 7.0's encodings; a flag records which one
//! Redis would be using, because the encoding is observable. While "listpack" (at most
//! `hash-max-listpack-entries` fields, every field and value at most `hash-max-listpack-value`
//! bytes) Redis keeps insertion order and deletions close the gap, so we delete with
//! `shift_remove` and HGETALL/HKEYS/HSCAN replies match Redis byte for byte. Once a limit is
//! crossed the hash becomes "hashtable" for good (Redis never converts back) and we switch to O(1)
//! `swap_remove`; Redis's order is then unspecified anyway, and HSCAN walks positions downwards
//! (see `DenseMap::scan_step` for why a swap-remove never makes a descending cursor miss an entry).

use crate::sim::bytes::SmallBytes;
use crate::sim::dense::scan_positions;
use indexmap::IndexMap;

type Map = IndexMap<SmallBytes, SmallBytes, foldhash::fast::FixedState>;

/// The encoding thresholds of `hash-max-listpack-entries` / `hash-max-listpack-value`.
#[derive(Debug, Clone, Copy)]
pub struct HashLimits {
    /// Most fields a listpack hash may hold.
    pub entries: usize,
    /// Longest field or value (bytes) a listpack hash may hold.
    pub value: usize,
}

/// A Redis hash: fields to values, with Redis's observable encoding.
#[derive(Debug, Clone, Default)]
pub struct Hash {
    map: Map,
    /// True once converted to "hashtable" (never reverts, like Redis).
    hashtable: bool,
    /// Heap bytes owned by fields and values, kept up to date so `mem_usage` is O(1).
    heap: usize,
}

impl Hash {
    /// An empty hash already in the given encoding (snapshots restore it exactly; fields are then
    /// added with [`Hash::set`] under limits that cannot trigger a conversion).
    pub fn with_encoding(hashtable: bool) -> Hash {
        Hash { hashtable, ..Hash::default() }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when empty (Redis deletes empty aggregates).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Approximate bytes used.
    pub fn mem_usage(&self) -> usize {
        let slot = std::mem::size_of::<(SmallBytes, SmallBytes)>() + 16;
        std::mem::size_of::<Self>() + self.map.capacity() * slot + self.heap
    }

    /// OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        if self.hashtable {
            "hashtable"
        } else {
            "listpack"
        }
    }

    /// True when Redis would hold this hash in a listpack (insertion-ordered, scanned in one call).
    pub fn is_listpack(&self) -> bool {
        !self.hashtable
    }

    /// Converts to "hashtable" if any of `items` (fields or values about to be written) is longer
    /// than the listpack limit: Redis's `hashTypeTryConversion`, which runs before the write.
    pub fn convert_for<'a>(&mut self, items: impl IntoIterator<Item = &'a [u8]>, limits: HashLimits) {
        if !self.hashtable && items.into_iter().any(|b| b.len() > limits.value) {
            self.hashtable = true;
        }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&SmallBytes> {
        self.map.get(field)
    }

    /// True when `field` exists.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.map.contains_key(field)
    }

    /// Sets `field` to `value` (an existing field keeps its position); returns true when the
    /// field is new. Converts to "hashtable" when a limit is crossed.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: HashLimits) -> bool {
        self.convert_for([field, value], limits);
        let value = SmallBytes::new(value);
        self.heap += value.heap_size();
        let is_new = match self.map.get_mut(field) {
            Some(v) => {
                self.heap -= v.heap_size();
                *v = value;
                false
            }
            None => {
                let field = SmallBytes::new(field);
                self.heap += field.heap_size();
                self.map.insert(field, value);
                true
            }
        };
        if self.map.len() > limits.entries {
            self.hashtable = true;
        }
        is_new
    }

    /// Deletes `field`; returns true if it existed. Listpack hashes keep the order of the rest.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let removed =
            if self.hashtable { self.map.swap_remove_entry(field) } else { self.map.shift_remove_entry(field) };
        match removed {
            Some((k, v)) => {
                self.heap -= k.heap_size() + v.heap_size();
                true
            }
            None => false,
        }
    }

    /// Field and value at a position of the iteration order.
    pub fn get_index(&self, i: usize) -> Option<(&SmallBytes, &SmallBytes)> {
        self.map.get_index(i)
    }

    /// Iterates in Redis's order for listpack hashes (insertion order).
    pub fn iter(&self) -> impl Iterator<Item = (&SmallBytes, &SmallBytes)> {
        self.map.iter()
    }

    /// One step of a cursor scan over a "hashtable" hash: visits up to `count` positions from
    /// high to low, calling `f` for each; returns the next cursor (0 when done). A cursor is
    /// "next position + 1"; 0 starts from the top.
    pub fn scan_step(&self, cursor: u64, count: usize, mut f: impl FnMut(&SmallBytes, &SmallBytes)) -> u64 {
        scan_positions(self.map.len(), cursor, count, |i| {
            if let Some((k, v)) = self.map.get_index(i) {
                f(k, v);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: HashLimits = HashLimits { entries: 4, value: 8 };

    #[test]
    fn listpack_keeps_order_and_converts_once() {
        let mut h = Hash::default();
        for f in ["a", "b", "c"] {
            assert!(h.set(f.as_bytes(), b"1", LIM));
        }
        assert!(!h.set(b"a", b"2", LIM));
        assert!(h.remove(b"b"));
        let keys: Vec<&[u8]> = h.iter().map(|(k, _)| k.as_slice()).collect();
        assert_eq!(keys, vec![&b"a"[..], b"c"]);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"d", b"123456789", LIM);
        assert_eq!(h.encoding(), "hashtable");
        h.remove(b"d");
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn too_many_fields_convert() {
        let mut h = Hash::default();
        for i in 0..5 {
            h.set(format!("f{i}").as_bytes(), b"v", LIM);
        }
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn scan_visits_everything() {
        let mut h = Hash::default();
        for i in 0..50 {
            h.set(format!("f{i}").as_bytes(), b"v", LIM);
        }
        let mut seen = 0;
        let mut cursor = 0;
        loop {
            cursor = h.scan_step(cursor, 7, |_, _| seen += 1);
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen, 50);
    }
}
