//! The in-memory representation of Redis lists (LPUSH, BLPOP …): a ring buffer of
//! [`SmallBytes`] (O(1) pushes and pops at both ends, O(1) indexing) plus a running estimate of
//! the bytes Redis's quicklist would use, so `mem_usage` (MEMORY USAGE, maxmemory) is O(1).
//! Redis 7.0 always reports the encoding "quicklist" for lists (listpack lists came in 7.2).

use crate::sim::bytes::SmallBytes;
use std::collections::VecDeque;

/// Bytes per quicklist node before Redis starts a new one (list-max-listpack-size -2 = 8 KB).
const NODE_BYTES: usize = 8192;
/// `sizeof(quicklist)` in Redis.
const QUICKLIST_HEADER: usize = 40;
/// `sizeof(quicklistNode)` plus a listpack's header and end byte.
const NODE_OVERHEAD: usize = 32 + 7;

/// Bytes one element takes in a listpack: encoding header, payload, back-length.
fn entry_bytes(b: &[u8]) -> usize {
    let n = b.len();
    match n {
        0..=63 => n + 2,
        64..=4095 => n + 4,
        _ => n + 10,
    }
}

/// A Redis list.
#[derive(Debug, Clone, Default)]
pub struct List {
    items: VecDeque<SmallBytes>,
    /// Sum of [`entry_bytes`] over the elements.
    bytes: usize,
}

impl List {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty (Redis deletes empty aggregates).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Approximate bytes used, modelled on a quicklist of 8 KB listpack nodes.
    pub fn mem_usage(&self) -> usize {
        let nodes = self.bytes / NODE_BYTES + 1;
        QUICKLIST_HEADER + nodes * NODE_OVERHEAD + self.bytes
    }

    /// OBJECT ENCODING name (Redis 7.0 lists are always quicklists).
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Adds an element at the head (`left`) or the tail.
    pub fn push(&mut self, left: bool, v: SmallBytes) {
        self.bytes += entry_bytes(&v);
        if left {
            self.items.push_front(v);
        } else {
            self.items.push_back(v);
        }
    }

    /// Removes an element from the head (`left`) or the tail.
    pub fn pop(&mut self, left: bool) -> Option<SmallBytes> {
        let v = if left { self.items.pop_front() } else { self.items.pop_back() }?;
        self.bytes -= entry_bytes(&v);
        Some(v)
    }

    /// The element at position `i` (0 = head).
    pub fn get(&self, i: usize) -> Option<&SmallBytes> {
        self.items.get(i)
    }

    /// Replaces the element at `i`; false when out of range.
    pub fn set(&mut self, i: usize, v: SmallBytes) -> bool {
        let Some(slot) = self.items.get_mut(i) else { return false };
        self.bytes = self.bytes - entry_bytes(slot) + entry_bytes(&v);
        *slot = v;
        true
    }

    /// Inserts `v` so that it ends up at position `i` (`i <= len`).
    pub fn insert(&mut self, i: usize, v: SmallBytes) {
        self.bytes += entry_bytes(&v);
        self.items.insert(i.min(self.items.len()), v);
    }

    /// Elements from head to tail.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &SmallBytes> + ExactSizeIterator {
        self.items.iter()
    }

    /// Elements in positions `start..=end` (both within bounds, `start <= end`).
    pub fn range(&self, start: usize, end: usize) -> impl DoubleEndedIterator<Item = &SmallBytes> {
        self.items.range(start..=end)
    }

    /// Position of the first element equal to `v` (from the head).
    pub fn position(&self, v: &[u8]) -> Option<usize> {
        self.items.iter().position(|e| e.as_slice() == v)
    }

    /// Removes `front` elements from the head and `back` from the tail (LTRIM).
    pub fn trim(&mut self, front: usize, back: usize) {
        if front + back >= self.items.len() {
            self.items.clear();
            self.bytes = 0;
            return;
        }
        for v in self.items.drain(..front) {
            self.bytes -= entry_bytes(&v);
        }
        let keep = self.items.len() - back;
        for v in self.items.drain(keep..) {
            self.bytes -= entry_bytes(&v);
        }
    }

    /// Removes elements equal to `v`: up to `count` from the head when `count > 0`, up to
    /// `-count` from the tail when negative, all when 0 (LREM). Returns how many.
    pub fn remove_matching(&mut self, v: &[u8], count: i64) -> usize {
        let limit = if count == 0 { usize::MAX } else { usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX) };
        // Matches at positions >= `from` (tail mode) or the first `limit` matches (head mode).
        let from = if count < 0 {
            let mut seen = 0;
            let mut from = 0;
            for (i, e) in self.items.iter().enumerate().rev() {
                if e.as_slice() == v {
                    seen += 1;
                    from = i;
                    if seen == limit {
                        break;
                    }
                }
            }
            from
        } else {
            0
        };
        let mut removed = 0usize;
        let mut freed = 0usize;
        let mut i = 0usize;
        self.items.retain(|e| {
            let pos = i;
            i += 1;
            if pos >= from && removed < limit && e.as_slice() == v {
                removed += 1;
                freed += entry_bytes(e);
                false
            } else {
                true
            }
        });
        self.bytes -= freed;
        removed
    }
}

impl FromIterator<SmallBytes> for List {
    fn from_iter<I: IntoIterator<Item = SmallBytes>>(iter: I) -> Self {
        let mut l = List::default();
        for v in iter {
            l.push(false, v);
        }
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> List {
        items.iter().map(|s| SmallBytes::new(s.as_bytes())).collect()
    }

    fn items(l: &List) -> Vec<String> {
        l.iter().map(|e| String::from_utf8_lossy(e).into_owned()).collect()
    }

    #[test]
    fn remove_matching_directions() {
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove_matching(b"a", -2), 2);
        assert_eq!(items(&l), ["a", "b", "c"]);
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove_matching(b"a", 2), 2);
        assert_eq!(items(&l), ["b", "c", "a"]);
        let mut l = list(&["a", "b", "a"]);
        assert_eq!(l.remove_matching(b"a", 0), 2);
        assert_eq!(items(&l), ["b"]);
        assert_eq!(l.remove_matching(b"b", i64::MIN), 1);
        assert!(l.is_empty());
        assert_eq!(l.bytes, 0);
    }

    #[test]
    fn trim_and_bytes() {
        let mut l = list(&["a", "b", "c", "d"]);
        l.trim(1, 1);
        assert_eq!(items(&l), ["b", "c"]);
        assert_eq!(l.bytes, 6);
        l.trim(5, 0);
        assert!(l.is_empty());
        assert_eq!(l.bytes, 0);
    }
}
