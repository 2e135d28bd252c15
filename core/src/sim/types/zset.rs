//! The in-memory representation of Redis sorted sets (ZADD …) and geo indexes.
//!
//! Two structures kept in step:
//! - `dict`: member → score, an insertion-ordered hash map (O(1) ZSCORE, O(1) random pick for
//!   ZRANDMEMBER, and a dense index whose descending cursor gives ZSCAN its guarantee: removal swaps
//!   the last entry into the hole, so an element present for the whole scan is never skipped);
//! - `chunks`: the (score, member) order as a "sorted list of chunks" — a vector of small sorted
//!   vectors. Insert/delete are a binary search over chunk tails plus a short memmove; a Fenwick
//!   tree over the chunk lengths gives rank ↔ position in O(log n) (rebuilt in O(n/CHUNK) only
//!   when a chunk splits or disappears).
//!
//! Order is Redis's: by score, ties by member bytes (memcmp). The reported encoding follows Redis:
//! "listpack" while small, "skiplist" after crossing a threshold, never back (except for a freshly
//! built result of a STORE command, see [`ZSet::fit_encoding`]).

use crate::sim::bytes::SmallBytes;
use crate::sim::dense::scan_positions;
use std::cmp::Ordering;

/// Chunks split when they grow past twice this length.
const CHUNK: usize = 128;

type Dict = indexmap::IndexMap<SmallBytes, f64, foldhash::fast::FixedState>;

/// A sorted set.
#[derive(Debug, Clone, Default)]
pub struct ZSet {
    dict: Dict,
    chunks: Vec<Vec<(f64, SmallBytes)>>,
    skiplist: bool,
    /// Heap bytes of all members (each stored twice), kept so `mem_usage` is O(1).
    member_heap: usize,
    /// Fenwick tree over chunk lengths (index 1-based; `fen[0]` unused).
    fen: Vec<usize>,
}

/// Redis's order: score first (−0 equals 0), then member bytes.
pub fn cmp_entry(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    match a_score.partial_cmp(&b_score) {
        Some(Ordering::Equal) | None => a_member.cmp(b_member),
        Some(o) => o,
    }
}

impl ZSet {
    fn fen_rebuild(&mut self) {
        let n = self.chunks.len();
        let mut t = Vec::with_capacity(n + 1);
        t.push(0);
        t.extend(self.chunks.iter().map(Vec::len));
        for i in 1..=n {
            let j = i + (i & i.wrapping_neg());
            if j <= n {
                t[j] += t[i];
            }
        }
        self.fen = t;
    }

    fn fen_add(&mut self, ci: usize, delta: isize) {
        let n = self.chunks.len();
        let mut i = ci + 1;
        while i <= n && i < self.fen.len() {
            self.fen[i] = self.fen[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Number of elements in chunks `0..ci`.
    fn fen_prefix(&self, ci: usize) -> usize {
        let mut i = ci.min(self.fen.len().saturating_sub(1));
        let mut s = 0;
        while i > 0 {
            s += self.fen[i];
            i -= i & i.wrapping_neg();
        }
        s
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    /// True when empty (Redis deletes empty aggregates).
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Approximate bytes used.
    pub fn mem_usage(&self) -> usize {
        let entry = std::mem::size_of::<(f64, SmallBytes)>();
        std::mem::size_of::<Self>()
            + self.dict.capacity() * (entry + 16)
            + (self.len() + self.chunks.len() * 8) * entry
            + 2 * self.member_heap
    }

    /// OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        if self.skiplist {
            "skiplist"
        } else {
            "listpack"
        }
    }

    /// Call before adding a new member: switches to "skiplist" when one more element would pass
    /// `max_entries` or the member is longer than `max_value` (Redis's zset-max-listpack-* rules);
    /// never switches back.
    pub fn note_growth(&mut self, max_entries: usize, max_value: usize, member_len: usize) {
        if !self.skiplist && (self.len() + 1 > max_entries || member_len > max_value) {
            self.skiplist = true;
        }
    }

    /// An empty set already in the "skiplist" encoding (what Redis builds for ZUNION & co.
    /// before converting a small result to a listpack).
    pub fn new_skiplist() -> ZSet {
        ZSet { skiplist: true, ..ZSet::default() }
    }

    /// Picks the encoding a freshly built set gets (ZUNIONSTORE, ZRANGESTORE …). Turning into a
    /// listpack loses the sign of `-0` scores, as Redis's conversion does.
    pub fn fit_encoding(&mut self, max_entries: usize, max_value: usize) {
        let longest = self.dict.keys().map(|k| k.len()).max().unwrap_or(0);
        self.skiplist = self.len() > max_entries || longest > max_value;
        if !self.skiplist {
            for s in self.dict.values_mut().chain(self.chunks.iter_mut().flatten().map(|(s, _)| s)) {
                if *s == 0.0 {
                    *s = 0.0;
                }
            }
        }
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.dict.get(member).copied()
    }

    /// Index of the chunk that holds (or would hold) the entry ordered at `(score, member)`.
    fn chunk_for(&self, score: f64, member: &[u8]) -> usize {
        let i = self.chunks.partition_point(|c| match c.last() {
            Some((s, m)) => cmp_entry(*s, m, score, member) == Ordering::Less,
            None => true,
        });
        i.min(self.chunks.len().saturating_sub(1))
    }

    fn order_insert(&mut self, score: f64, member: SmallBytes) {
        if self.chunks.is_empty() {
            self.chunks.push(Vec::with_capacity(8));
            self.fen_rebuild();
        }
        let ci = self.chunk_for(score, &member);
        let chunk = &mut self.chunks[ci];
        let pos = chunk.partition_point(|(s, m)| cmp_entry(*s, m, score, &member) == Ordering::Less);
        chunk.insert(pos, (score, member));
        if chunk.len() > 2 * CHUNK {
            let tail = chunk.split_off(CHUNK);
            self.chunks.insert(ci + 1, tail);
            self.fen_rebuild();
        } else {
            self.fen_add(ci, 1);
        }
    }

    fn order_remove(&mut self, score: f64, member: &[u8]) {
        if self.chunks.is_empty() {
            return;
        }
        let ci = self.chunk_for(score, member);
        let chunk = &mut self.chunks[ci];
        if let Ok(pos) = chunk.binary_search_by(|(s, m)| cmp_entry(*s, m, score, member)) {
            chunk.remove(pos);
            if chunk.is_empty() {
                self.chunks.remove(ci);
                self.fen_rebuild();
            } else {
                self.fen_add(ci, -1);
            }
        }
    }

    /// Sets `member`'s score, adding it if new. Returns the previous score.
    pub fn insert(&mut self, member: &[u8], mut score: f64) -> Option<f64> {
        if !self.skiplist && score == 0.0 {
            // A listpack stores "-0" as the integer 0: the sign is lost.
            score = 0.0;
        }
        if let Some(old) = self.dict.get_mut(member) {
            let prev = *old;
            if prev != score || prev.is_sign_negative() != score.is_sign_negative() {
                *old = score;
                self.order_remove(prev, member);
                self.order_insert(score, SmallBytes::new(member));
            }
            return Some(prev);
        }
        let m = SmallBytes::new(member);
        self.member_heap += m.heap_size();
        self.dict.insert(m.clone(), score);
        self.order_insert(score, m);
        None
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (m, score) = self.dict.swap_remove_entry(member)?;
        self.member_heap -= m.heap_size();
        self.order_remove(score, member);
        Some(score)
    }

    /// 0-based ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        let ci = self.chunk_for(score, member);
        let before = self.fen_prefix(ci);
        let pos = self.chunks[ci].binary_search_by(|(s, m)| cmp_entry(*s, m, score, member)).ok()?;
        Some(before + pos)
    }

    /// Number of leading elements (in ascending order) for which `pred` holds; `pred` must be true
    /// on a prefix and false after it.
    pub fn partition_point(&self, mut pred: impl FnMut(f64, &[u8]) -> bool) -> usize {
        let ci = self.chunks.partition_point(|c| c.last().map(|(s, m)| pred(*s, m)).unwrap_or(true));
        let before = self.fen_prefix(ci);
        match self.chunks.get(ci) {
            Some(c) => before + c.partition_point(|(s, m)| pred(*s, m)),
            None => before,
        }
    }

    /// (chunk, index) of the element at `rank` (which must be < len).
    fn locate(&self, rank: usize) -> (usize, usize) {
        if rank >= self.len() {
            return (self.chunks.len(), 0);
        }
        let n = self.fen.len().saturating_sub(1);
        let mut pos = 0;
        let mut rem = rank;
        let mut mask = if n == 0 { 0 } else { 1usize << (usize::BITS - 1 - n.leading_zeros()) };
        while mask > 0 {
            let next = pos + mask;
            if next <= n && self.fen[next] <= rem {
                pos = next;
                rem -= self.fen[next];
            }
            mask >>= 1;
        }
        (pos, rem)
    }

    /// The element at ascending `rank`.
    pub fn at_rank(&self, rank: usize) -> Option<(f64, &SmallBytes)> {
        let (ci, i) = self.locate(rank);
        self.chunks.get(ci).and_then(|c| c.get(i)).map(|(s, m)| (*s, m))
    }

    /// Ascending iteration starting at `rank`.
    pub fn iter_from(&self, rank: usize) -> impl Iterator<Item = (f64, &SmallBytes)> + '_ {
        let (ci, i) = self.locate(rank);
        let first = self.chunks.get(ci).map(|c| &c[i.min(c.len())..]).unwrap_or(&[]);
        let rest = self.chunks.get(ci + 1..).unwrap_or(&[]);
        first.iter().chain(rest.iter().flatten()).map(|(s, m)| (*s, m))
    }

    /// Descending iteration starting at ascending `rank` (inclusive) down to rank 0.
    pub fn iter_rev_from(&self, rank: usize) -> impl Iterator<Item = (f64, &SmallBytes)> + '_ {
        let (ci, i) = if rank < self.len() { self.locate(rank) } else { (self.chunks.len(), 0) };
        let first = self.chunks.get(ci).map(|c| &c[..=i.min(c.len().saturating_sub(1))]).unwrap_or(&[]);
        let rest = &self.chunks[..ci.min(self.chunks.len())];
        first.iter().rev().chain(rest.iter().rev().flat_map(|c| c.iter().rev())).map(|(s, m)| (*s, m))
    }

    /// Ascending iteration over everything.
    pub fn iter(&self) -> impl Iterator<Item = (f64, &SmallBytes)> + '_ {
        self.chunks.iter().flatten().map(|(s, m)| (*s, m))
    }

    /// Removes and returns the lowest (`max == false`) or highest element.
    pub fn pop(&mut self, max: bool) -> Option<(SmallBytes, f64)> {
        let (s, m) = if max { self.chunks.last()?.last()? } else { self.chunks.first()?.first()? };
        let m = m.clone();
        let s = *s;
        self.remove(&m);
        Some((m, s))
    }

    /// Removes the elements with ascending ranks `start..=end`; returns how many.
    pub fn remove_rank_range(&mut self, start: usize, end: usize) -> usize {
        if start > end || start >= self.len() {
            return 0;
        }
        let victims: Vec<SmallBytes> = self.iter_from(start).take(end - start + 1).map(|(_, m)| m.clone()).collect();
        for m in &victims {
            self.remove(m);
        }
        victims.len()
    }

    /// The member/score stored at dense position `i` (0..len), for random picks.
    pub fn at_index(&self, i: usize) -> Option<(&SmallBytes, f64)> {
        self.dict.get_index(i).map(|(m, s)| (m, *s))
    }

    /// One step of a ZSCAN cursor over the dense index (descending positions; 0 = start/done).
    pub fn scan_step(&self, cursor: u64, count: usize, mut f: impl FnMut(&SmallBytes, f64)) -> u64 {
        scan_positions(self.dict.len(), cursor, count, |i| {
            if let Some((m, s)) = self.dict.get_index(i) {
                f(m, *s);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_rank_and_removal_across_chunks() {
        let mut z = ZSet::default();
        for i in 0..2000u32 {
            z.insert(format!("m{i:05}").as_bytes(), f64::from(i % 97));
        }
        assert_eq!(z.len(), 2000);
        let all: Vec<(f64, Vec<u8>)> = z.iter().map(|(s, m)| (s, m.to_vec())).collect();
        for w in all.windows(2) {
            assert_eq!(cmp_entry(w[0].0, &w[0].1, w[1].0, &w[1].1), Ordering::Less);
        }
        for (r, (_, m)) in all.iter().enumerate().step_by(37) {
            assert_eq!(z.rank(m), Some(r));
            assert_eq!(z.at_rank(r).map(|x| x.1.to_vec()), Some(m.clone()));
        }
        let rev: Vec<Vec<u8>> = z.iter_rev_from(1999).map(|(_, m)| m.to_vec()).collect();
        assert_eq!(rev.len(), 2000);
        assert_eq!(rev[0], all[1999].1);
        for i in (0..2000u32).step_by(2) {
            assert!(z.remove(format!("m{i:05}").as_bytes()).is_some());
        }
        assert_eq!(z.len(), 1000);
        assert_eq!(z.iter().count(), 1000);
        assert_eq!(z.remove_rank_range(0, 9), 10);
        assert_eq!(z.len(), 990);
        z.insert(b"m00001", 1000.0);
        assert_eq!(z.rank(b"m00001"), Some(989));
        assert!(z.pop(true).is_some_and(|(m, _)| &*m == b"m00001"));
    }

    #[test]
    fn encoding_thresholds() {
        let mut z = ZSet::default();
        z.insert(b"a", 1.0);
        z.note_growth(128, 64, 1);
        assert_eq!(z.encoding(), "listpack");
        z.insert(b"z", -0.0);
        assert!(z.score(b"z").is_some_and(|s| s.is_sign_positive()));
        z.note_growth(128, 64, 65);
        assert_eq!(z.encoding(), "skiplist");
        z.fit_encoding(128, 64);
        assert_eq!(z.encoding(), "listpack");
    }

    #[test]
    fn scan_visits_everything_once() {
        let mut z = ZSet::default();
        for i in 0..300u32 {
            z.insert(i.to_string().as_bytes(), 0.0);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cur = 0;
        for _ in 0..1000 {
            cur = z.scan_step(cur, 7, |m, _| {
                seen.insert(m.to_vec());
            });
            if cur == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 300);
    }

    #[test]
    fn matches_a_sorted_model_under_random_operations() {
        let mut z = ZSet::default();
        let mut model: std::collections::BTreeMap<Vec<u8>, f64> = Default::default();
        let mut x: u64 = 42;
        let mut rnd = |n: u64| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        for step in 0..60_000 {
            let m = format!("k{}", rnd(3000)).into_bytes();
            match rnd(4) {
                0 | 1 => {
                    let s = rnd(50) as f64;
                    assert_eq!(z.insert(&m, s), model.insert(m.clone(), s));
                }
                2 => assert_eq!(z.remove(&m), model.remove(&m)),
                _ => {
                    let max = rnd(2) == 0;
                    let ends = model.iter().map(|(k, v)| (*v, k.clone()));
                    let want = if max {
                        ends.max_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1))
                    } else {
                        ends.min_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1))
                    };
                    if let Some((_, k)) = &want {
                        model.remove(k);
                    }
                    assert_eq!(z.pop(max).map(|(m, s)| (s, m.to_vec())), want);
                }
            }
            if step % 997 == 0 {
                let mut sorted: Vec<(f64, Vec<u8>)> = model.iter().map(|(k, v)| (*v, k.clone())).collect();
                sorted.sort_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1));
                let got: Vec<(f64, Vec<u8>)> = z.iter().map(|(s, m)| (s, m.to_vec())).collect();
                assert_eq!(got, sorted);
                assert_eq!(z.len(), sorted.len());
                for (r, (s, m)) in sorted.iter().enumerate().step_by(13) {
                    assert_eq!(z.rank(m), Some(r));
                    assert_eq!(z.at_rank(r).map(|(a, b)| (a, b.to_vec())), Some((*s, m.clone())));
                    let cut = z.partition_point(|sc, _| sc < *s);
                    assert_eq!(cut, sorted.iter().take_while(|(sc, _)| sc < s).count());
                    let back: Vec<Vec<u8>> = z.iter_rev_from(r).take(3).map(|(_, m)| m.to_vec()).collect();
                    let want: Vec<Vec<u8>> = sorted[..=r].iter().rev().take(3).map(|(_, m)| m.clone()).collect();
                    assert_eq!(back, want);
                }
            }
        }
    }
}
