//! The in-memory representation of Redis sets (SADD …).
//!
//! Redis 7.0 has two set encodings and both are observable: "intset", a sorted array of integers
//! used while every member is a canonical 64-bit integer and there are at most
//! `set-max-intset-entries` of them (SMEMBERS then replies in numeric order), and "hashtable".
//! We mirror that: a sorted `Vec<i64>` (binary search, like Redis's intset) and an `IndexSet`
//! for the rest, where removal is an O(1) swap and SSCAN walks positions downwards (see
//! `DenseMap::scan_step` for why that never misses a member). Conversion is one-way, like Redis.

use crate::resp::Value;
use crate::sim::bytes::SmallBytes;
use crate::sim::dense::scan_positions;
use crate::sim::float::parse_i64;
use indexmap::IndexSet;

type Table = IndexSet<SmallBytes, foldhash::fast::FixedState>;

#[derive(Debug, Clone)]
enum Repr {
    Ints(Vec<i64>),
    Table(Table),
}

/// A Redis set with Redis's observable encoding.
#[derive(Debug, Clone)]
pub struct Set {
    repr: Repr,
    /// Heap bytes owned by a table's members, kept up to date so `mem_usage` is O(1).
    heap: usize,
}

impl Default for Set {
    fn default() -> Self {
        // Redis's STORE commands start from an empty intset; SADD's first non-integer converts.
        Set { repr: Repr::Ints(Vec::new()), heap: 0 }
    }
}

/// One member as stored: an intset integer or a byte string of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    /// A member of an intset.
    Int(i64),
    /// A member of a hashtable set.
    Bytes(&'a [u8]),
}

impl Member<'_> {
    /// The member as a bulk-string reply.
    pub fn to_value(self) -> Value {
        match self {
            Member::Int(i) => Value::Bulk(i.to_string().into_bytes()),
            Member::Bytes(b) => Value::bulk(b),
        }
    }

    /// The member's bytes, owned.
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Member::Int(i) => i.to_string().into_bytes(),
            Member::Bytes(b) => b.to_vec(),
        }
    }
}

/// An integer's decimal text on the stack (membership tests between encodings allocate nothing).
struct IntBuf {
    buf: [u8; 20],
    start: usize,
}

impl IntBuf {
    fn new(i: i64) -> IntBuf {
        let mut buf = [0u8; 20];
        let mut start = buf.len();
        let mut n = i.unsigned_abs();
        loop {
            start -= 1;
            buf[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if i < 0 {
            start -= 1;
            buf[start] = b'-';
        }
        IntBuf { buf, start }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

impl Set {
    /// An empty set already in the "hashtable" encoding (snapshots restore a hashtable set of
    /// integers as such; members are then added with [`Set::insert`]).
    pub fn new_hashtable() -> Set {
        Set { repr: Repr::Table(Table::default()), heap: 0 }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Ints(v) => v.len(),
            Repr::Table(t) => t.len(),
        }
    }

    /// True when empty (Redis deletes empty aggregates).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate bytes used.
    pub fn mem_usage(&self) -> usize {
        std::mem::size_of::<Self>()
            + match &self.repr {
                Repr::Ints(v) => v.capacity() * 8,
                Repr::Table(t) => t.capacity() * (std::mem::size_of::<SmallBytes>() + 16) + self.heap,
            }
    }

    /// OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Ints(_) => "intset",
            Repr::Table(_) => "hashtable",
        }
    }

    /// True while "intset" (sorted, scanned in one call).
    pub fn is_intset(&self) -> bool {
        matches!(self.repr, Repr::Ints(_))
    }

    fn convert(&mut self) {
        if let Repr::Ints(v) = &self.repr {
            let mut t = Table::with_capacity_and_hasher(v.len() + 1, Default::default());
            // Integers are at most 20 bytes: inline, no heap.
            t.extend(v.iter().map(|&i| SmallBytes::new(IntBuf::new(i).as_bytes())));
            self.repr = Repr::Table(t);
        }
    }

    /// True when `m` is a member.
    pub fn contains(&self, m: &[u8]) -> bool {
        match &self.repr {
            Repr::Ints(v) => parse_i64(m).is_some_and(|i| v.binary_search(&i).is_ok()),
            Repr::Table(t) => t.contains(m),
        }
    }

    /// True when a member of another set is also a member of this one (no formatting for
    /// intset-to-intset checks).
    pub fn contains_member(&self, m: Member) -> bool {
        match (m, &self.repr) {
            (Member::Int(i), Repr::Ints(v)) => v.binary_search(&i).is_ok(),
            (Member::Int(i), Repr::Table(t)) => t.contains(IntBuf::new(i).as_bytes()),
            (Member::Bytes(b), _) => self.contains(b),
        }
    }

    /// Adds `m`; returns true when it was not there. Converts to "hashtable" for a non-integer
    /// or when the intset would exceed `max_intset` members.
    pub fn insert(&mut self, m: &[u8], max_intset: usize) -> bool {
        if let Repr::Ints(_) = self.repr {
            if let Some(i) = parse_i64(m) {
                return self.insert_int(i, max_intset);
            }
            self.convert();
        }
        match &mut self.repr {
            Repr::Table(t) => {
                let m = SmallBytes::new(m);
                let size = m.heap_size();
                let added = t.insert(m);
                if added {
                    self.heap += size;
                }
                added
            }
            Repr::Ints(_) => false,
        }
    }

    /// Adds an integer to an intset-encoded set in order; converts past `max_intset` members.
    fn insert_int(&mut self, i: i64, max_intset: usize) -> bool {
        let Repr::Ints(v) = &mut self.repr else { return false };
        match v.binary_search(&i) {
            Ok(_) => false,
            Err(pos) => {
                v.insert(pos, i);
                if v.len() > max_intset {
                    self.convert();
                }
                true
            }
        }
    }

    /// Adds a member taken from another set.
    pub fn insert_member(&mut self, m: Member, max_intset: usize) -> bool {
        match (m, &mut self.repr) {
            (Member::Int(i), Repr::Ints(_)) => self.insert_int(i, max_intset),
            (Member::Int(i), Repr::Table(_)) => self.insert(IntBuf::new(i).as_bytes(), max_intset),
            (Member::Bytes(b), _) => self.insert(b, max_intset),
        }
    }

    /// Removes `m`; returns true if it was a member.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Ints(v) => match parse_i64(m).map(|i| v.binary_search(&i)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    true
                }
                _ => false,
            },
            Repr::Table(t) => match t.swap_remove_full(m) {
                Some((_, b)) => {
                    self.heap -= b.heap_size();
                    true
                }
                None => false,
            },
        }
    }

    /// Removes a member taken from another set; returns true if it was a member.
    pub fn remove_member(&mut self, m: Member) -> bool {
        match (m, &mut self.repr) {
            (Member::Int(i), Repr::Ints(v)) => match v.binary_search(&i) {
                Ok(pos) => {
                    v.remove(pos);
                    true
                }
                Err(_) => false,
            },
            (Member::Int(i), Repr::Table(t)) => t.swap_remove(IntBuf::new(i).as_bytes()), // inline: no heap
            (Member::Bytes(b), _) => self.remove(b),
        }
    }

    /// The member at position `i` of the iteration order.
    pub fn get_index(&self, i: usize) -> Option<Member<'_>> {
        match &self.repr {
            Repr::Ints(v) => v.get(i).map(|&x| Member::Int(x)),
            Repr::Table(t) => t.get_index(i).map(|b| Member::Bytes(b.as_slice())),
        }
    }

    /// Removes and returns the member at position `i` (SPOP).
    pub fn take_index(&mut self, i: usize) -> Option<Vec<u8>> {
        match &mut self.repr {
            Repr::Ints(v) => (i < v.len()).then(|| v.remove(i).to_string().into_bytes()),
            Repr::Table(t) => t.swap_remove_index(i).map(|b| {
                self.heap -= b.heap_size();
                b.to_vec()
            }),
        }
    }

    /// Iterates in Redis's order for intsets (ascending); table order otherwise.
    pub fn iter(&self) -> impl Iterator<Item = Member<'_>> {
        (0..self.len()).filter_map(move |i| self.get_index(i))
    }

    /// One step of a cursor scan over a "hashtable" set: visits up to `count` positions from high
    /// to low; returns the next cursor (0 when done). A cursor is "next position + 1".
    pub fn scan_step(&self, cursor: u64, count: usize, mut f: impl FnMut(Member)) -> u64 {
        scan_positions(self.len(), cursor, count, |i| {
            if let Some(m) = self.get_index(i) {
                f(m);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_sorted_then_converts() {
        let mut s = Set::default();
        for m in ["5", "-3", "10", "5"] {
            s.insert(m.as_bytes(), 512);
        }
        assert_eq!(s.encoding(), "intset");
        let v: Vec<Vec<u8>> = s.iter().map(Member::to_vec).collect();
        assert_eq!(v, vec![b"-3".to_vec(), b"5".to_vec(), b"10".to_vec()]);
        assert!(s.contains(b"10"));
        assert!(!s.contains(b"010"));
        assert!(s.insert(b"x", 512));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"10"));
        assert!(s.remove(b"10"));
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn int_text() {
        for i in [0, 7, -7, 1234567890, i64::MIN, i64::MAX] {
            assert_eq!(IntBuf::new(i).as_bytes(), i.to_string().as_bytes());
        }
    }

    #[test]
    fn intset_limit() {
        let mut s = Set::default();
        for i in 0..4 {
            s.insert(i.to_string().as_bytes(), 3);
        }
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 4);
    }
}
