//! `DenseMap`: the keyspace's hash table. Entries live contiguously in a `Vec` and a hashbrown
//! table holds 32-bit indices into it, so a slot costs the entry plus ~5 bytes of index — less than
//! Redis's dict per key — and random sampling (RANDOMKEY, eviction, active expiry) is O(1).
//! Removal swaps the last entry into the hole. Cursor iteration walks indices downwards, which
//! guarantees SCAN's contract: an element present for the whole iteration is returned (a swap only
//! ever moves an already-visited element into a not-yet-visited slot, never the reverse).

use hashbrown::HashTable;
use std::hash::{BuildHasher, Hash};

type Hasher = foldhash::fast::FixedState;

/// A map from keys to values with dense storage and index-based cursors.
pub struct DenseMap<K, V> {
    entries: Vec<(K, V)>,
    index: HashTable<u32>,
    hasher: Hasher,
}

impl<K, V> Default for DenseMap<K, V> {
    fn default() -> Self {
        DenseMap { entries: Vec::new(), index: HashTable::new(), hasher: Hasher::with_seed(0x5eed) }
    }
}

impl<K: Hash + Eq, V> DenseMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn hash_of<Q: Hash + ?Sized>(&self, k: &Q) -> u64 {
        self.hasher.hash_one(k)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Position of `k` in the dense storage.
    pub fn find<Q>(&self, k: &Q) -> Option<usize>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let h = self.hash_of(k);
        let entries = &self.entries;
        self.index.find(h, |&i| entries[i as usize].0.borrow() == k).map(|&i| i as usize)
    }

    /// Shared access by key.
    pub fn get<Q>(&self, k: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(k).map(|i| &self.entries[i].1)
    }

    /// Mutable access by key.
    pub fn get_mut<Q>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(k).map(move |i| &mut self.entries[i].1)
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        if let Some(i) = self.find(&k) {
            return Some(std::mem::replace(&mut self.entries[i].1, v));
        }
        self.push_new(k, v);
        None
    }

    /// Inserts a key known to be absent.
    pub fn push_new(&mut self, k: K, v: V) -> usize {
        let h = self.hash_of(&k);
        let i = self.entries.len();
        let entries = &self.entries;
        let hasher = &self.hasher;
        self.index.insert_unique(h, i as u32, |&j| hasher.hash_one(&entries[j as usize].0));
        self.entries.push((k, v));
        i
    }

    /// Removes by key.
    pub fn remove<Q>(&mut self, k: &Q) -> Option<(K, V)>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.find(k)?;
        Some(self.remove_at(i))
    }

    /// Removes the entry at position `i`, moving the last entry into its place.
    pub fn remove_at(&mut self, i: usize) -> (K, V) {
        let h = self.hash_of(&self.entries[i].0);
        if let Ok(e) = self.index.find_entry(h, |&j| j as usize == i) {
            e.remove();
        }
        let last = self.entries.len() - 1;
        if i != last {
            let hl = self.hash_of(&self.entries[last].0);
            if let Some(slot) = self.index.find_mut(hl, |&j| j as usize == last) {
                *slot = i as u32;
            }
        }
        self.entries.swap_remove(i)
    }

    /// Entry at a position.
    pub fn at(&self, i: usize) -> Option<(&K, &V)> {
        self.entries.get(i).map(|(k, v)| (k, v))
    }

    /// Mutable entry at a position.
    pub fn at_mut(&mut self, i: usize) -> Option<(&K, &mut V)> {
        self.entries.get_mut(i).map(|(k, v)| (&*k, v))
    }

    /// Iterates in storage order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Iterates mutably in storage order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.entries = Vec::new();
        self.index = HashTable::new();
    }

    /// Bytes held by the table structure itself (not counting heap owned by keys/values).
    pub fn overhead_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<(K, V)>() + self.index.capacity() * 5
    }

    /// One step of a cursor scan. `cursor == 0` starts; the returned cursor is 0 when done.
    /// Visits up to `count` positions from high to low and calls `f` with each.
    pub fn scan_step(&self, cursor: u64, count: usize, mut f: impl FnMut(&K, &V)) -> u64 {
        scan_positions(self.entries.len(), cursor, count, |i| {
            let (k, v) = &self.entries[i];
            f(k, v);
        })
    }
}

/// The cursor walk every SCAN-family command shares: visits up to `count` positions of a
/// collection of `len` elements, from high to low, starting below `cursor` ("next position + 1";
/// 0 starts from the top), and returns the next cursor (0 when done). Walking downwards over
/// storage that fills holes by moving its last element (swap-remove) never misses an element
/// present for the whole iteration.
pub fn scan_positions(len: usize, cursor: u64, count: usize, mut visit: impl FnMut(usize)) -> u64 {
    let len = len as u64;
    let mut next = if cursor == 0 { len } else { cursor.min(len) };
    let mut budget = count.max(1);
    while next > 0 && budget > 0 {
        visit((next - 1) as usize);
        next -= 1;
        budget -= 1;
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_find_remove() {
        let mut m: DenseMap<Vec<u8>, u32> = DenseMap::new();
        for i in 0..1000u32 {
            m.insert(i.to_string().into_bytes(), i);
        }
        for i in (0..1000u32).step_by(3) {
            assert_eq!(m.remove(i.to_string().as_bytes()).map(|e| e.1), Some(i));
        }
        for i in 0..1000u32 {
            let present = m.get(i.to_string().as_bytes()).copied();
            assert_eq!(present, if i % 3 == 0 { None } else { Some(i) });
        }
    }

    #[test]
    fn scan_never_misses_stable_keys_under_removal_and_insertion() {
        let mut m: DenseMap<u32, ()> = DenseMap::new();
        for i in 0..500 {
            m.insert(i, ());
        }
        let stable: Vec<u32> = (0..500).filter(|i| i % 7 != 0).collect();
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0u32;
        loop {
            cursor = m.scan_step(cursor, 10, |k, _| {
                seen.insert(*k);
            });
            // churn: remove unstable keys and add new ones between steps
            for i in (0..500).filter(|i| i % 7 == 0).skip(round as usize % 5).step_by(5) {
                m.remove(&i);
            }
            m.insert(10_000 + round, ());
            round += 1;
            if cursor == 0 || round > 1000 {
                break;
            }
        }
        assert!(stable.iter().all(|k| seen.contains(k)));
    }
}
