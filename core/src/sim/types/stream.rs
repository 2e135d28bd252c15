//! The in-memory representation of Redis streams (XADD, consumer groups …).
//!
//! Entries live in a `BTreeMap` keyed by [`StreamId`]. Beside them the type keeps a model of
//! Redis's physical layout — a radix tree of listpack "nodes" of at most 100 entries or 4 KiB —
//! because that layout is observable: approximate trimming (`MAXLEN ~`, `MINID ~`) only drops
//! whole nodes, deleted entries keep occupying their node, and `XINFO STREAM` reports the number
//! of nodes and of radix-tree nodes. Node byte sizes follow the listpack encoding exactly so nodes
//! split where Redis splits them. Consumer groups hold their pending-entries lists (PEL) and
//! consumers; the read counters (`entries-read`, lag) follow Redis 7.0's rules.
//!
//! Every type offers `len`, `mem_usage` (bytes, for MEMORY USAGE and maxmemory) and `encoding`
//! (the name OBJECT ENCODING reports).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::sim::float::parse_i64;

/// `stream-node-max-entries`: entries (live and deleted) per listpack node.
pub const NODE_MAX_ENTRIES: u32 = 100;
/// `stream-node-max-bytes`: bytes per listpack node.
pub const NODE_MAX_BYTES: usize = 4096;

/// A stream entry id: milliseconds and sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

impl StreamId {
    /// `0-0`.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// `18446744073709551615-18446744073709551615`.
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    /// An id from its two parts.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next id, or None after the last possible one (Redis's streamIncrID).
    pub fn incr(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The previous id, or None before `0-0` (Redis's streamDecrID).
    pub fn decr(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    /// True for `0-0`.
    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The 16-byte big-endian form Redis uses as radix-tree key.
    fn encode(self) -> [u8; 16] {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&self.ms.to_be_bytes());
        k[8..].copy_from_slice(&self.seq.to_be_bytes());
        k
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// The field/value items of one entry (or the field names of a node's master entry), packed in
/// one allocation as u32-length-prefixed byte strings.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Fields(Box<[u8]>);

impl Fields {
    /// Packs the given items.
    pub fn pack<'a, I: IntoIterator<Item = &'a [u8]>>(items: I) -> Fields {
        let mut buf = Vec::new();
        for it in items {
            buf.extend_from_slice(&(it.len() as u32).to_le_bytes());
            buf.extend_from_slice(it);
        }
        Fields(buf.into_boxed_slice())
    }

    /// The items in order.
    pub fn iter(&self) -> FieldsIter<'_> {
        FieldsIter(&self.0)
    }

    /// Bytes held.
    pub fn heap_size(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(String::from_utf8_lossy)).finish()
    }
}

/// Iterator over the items of [`Fields`].
#[derive(Debug, Clone)]
pub struct FieldsIter<'a>(&'a [u8]);

impl<'a> Iterator for FieldsIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let n = (u32::from_le_bytes(*len) as usize).min(rest.len());
        let (item, tail) = rest.split_at(n);
        self.0 = tail;
        Some(item)
    }
}

/// Bytes a listpack integer element takes (encoding + backlen).
fn lp_int_size(v: i64) -> usize {
    let enc = if (0..=127).contains(&v) {
        1
    } else if (-4096..=4095).contains(&v) {
        2
    } else if (-32768..=32767).contains(&v) {
        3
    } else if (-8_388_608..=8_388_607).contains(&v) {
        4
    } else if (i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&v) {
        5
    } else {
        9
    };
    enc + 1
}

/// Bytes a listpack element holding `s` takes (strings that look like integers are stored as such).
fn lp_str_size(s: &[u8]) -> usize {
    if let Some(v) = parse_i64(s) {
        return lp_int_size(v);
    }
    let l = s.len();
    let enc = if l <= 63 {
        1 + l
    } else if l <= 4095 {
        2 + l
    } else {
        5 + l
    };
    let back = if enc <= 127 {
        1
    } else if enc < 16383 {
        2
    } else if enc < 2_097_151 {
        3
    } else if enc < 268_435_455 {
        4
    } else {
        5
    };
    enc + back
}

/// One listpack node of Redis's layout (only what is observable is modelled). Public so a
/// snapshot can save and restore the layout ([`Stream::nodes`], [`Stream::from_layout`]).
#[derive(Debug, Clone)]
pub struct Node {
    /// Live entries.
    pub live: u32,
    /// Entries marked deleted but still occupying the node.
    pub deleted: u32,
    /// Listpack size in bytes.
    pub bytes: usize,
    /// Id of the last entry physically in the node (deleted or not).
    pub last: StreamId,
    /// The master entry's field names.
    pub master: Fields,
}

/// Smallest listpack size a node can have (header, master entry of one empty field, one entry).
const NODE_MIN_BYTES: usize = 16;
/// Largest node size accepted from a snapshot (far above anything memory can hold; half the
/// address space on 32-bit targets such as wasm32).
const NODE_LIMIT_BYTES: usize = if usize::BITS > 32 { 1 << 48 } else { 1 << 31 };

/// A pending (delivered, not yet acknowledged) entry of a consumer group.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Owning consumer.
    pub consumer: Vec<u8>,
    /// Last delivery time (ms).
    pub delivery_time: i64,
    /// Number of deliveries.
    pub delivery_count: u64,
}

/// A consumer of a group.
#[derive(Debug, Clone, Default)]
pub struct Consumer {
    /// Last time the consumer was seen (ms).
    pub seen_time: i64,
    /// Ids pending for this consumer.
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// Last delivered id.
    pub last_id: StreamId,
    /// Logical read counter; -1 when unknown.
    pub entries_read: i64,
    /// Pending entries of the whole group.
    pub pel: BTreeMap<StreamId, Pending>,
    /// Consumers by name (sorted like Redis's radix tree).
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    /// A group positioned at `last_id` with read counter `entries_read` (-1 = unknown).
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group { last_id, entries_read, ..Group::default() }
    }

    /// Removes `id` from the group PEL and its consumer's PEL. Returns true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(p) = self.pel.remove(&id) else { return false };
        if let Some(c) = self.consumers.get_mut(&p.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Creates a consumer if missing; returns true if it was created.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(name.to_vec(), Consumer { seen_time: now, pel: BTreeSet::new() });
        true
    }

    /// Deletes a consumer and its pending entries; returns how many were pending (None if absent).
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// Hands pending entry `id` to `consumer` (creating the PEL entry if needed), moving it out
    /// of the previous owner's PEL.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8]) {
        let prev = match self.pel.get_mut(&id) {
            Some(p) if p.consumer == consumer => None,
            Some(p) => Some(std::mem::replace(&mut p.consumer, consumer.to_vec())),
            None => {
                self.pel.insert(id, Pending { consumer: consumer.to_vec(), delivery_time: 0, delivery_count: 0 });
                None
            }
        };
        if let Some(prev) = prev {
            if let Some(c) = self.consumers.get_mut(&prev) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }
}

/// How XADD/XTRIM trim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Drop entries with ids below this one.
    MinId(StreamId),
}

/// A Redis stream.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    entries: BTreeMap<StreamId, Fields>,
    nodes: BTreeMap<StreamId, Node>,
    /// Last id ever generated or set (XSETID).
    pub last_id: StreamId,
    /// Recorded id of the first entry (`recorded-first-entry-id`).
    pub first_id: StreamId,
    /// Largest id ever deleted by XDEL (or set by XSETID MAXDELETEDID).
    pub max_deleted_id: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Consumer groups by name.
    pub groups: BTreeMap<Vec<u8>, Group>,
    bytes: usize,
}

impl Stream {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries (streams are kept when empty, unlike other aggregates).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Approximate bytes used.
    pub fn mem_usage(&self) -> usize {
        let groups: usize =
            self.groups.iter().map(|(n, g)| 96 + n.len() + g.pel.len() * 64 + g.consumers.len() * 64).sum();
        std::mem::size_of::<Self>() + self.bytes + self.nodes.len() * 48 + groups
    }

    /// OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        "stream"
    }

    /// The id XADD `*` generates at time `now_ms` (Redis's streamNextID); None when exhausted.
    pub fn next_id(&self, now_ms: u64) -> Option<StreamId> {
        if now_ms > self.last_id.ms {
            Some(StreamId::new(now_ms, 0))
        } else {
            self.last_id.incr()
        }
    }

    /// Appends an entry whose id is greater than `last_id`; `items` are field, value, … .
    pub fn append(&mut self, id: StreamId, items: &[Vec<u8>]) {
        let numfields = (items.len() / 2) as i64;
        let totelelen: usize = items.iter().map(Vec::len).sum();
        let tail_ok = self
            .nodes
            .last_key_value()
            .is_some_and(|(_, n)| n.bytes + totelelen < NODE_MAX_BYTES && n.live + n.deleted < NODE_MAX_ENTRIES);
        if !tail_ok {
            let master = Fields::pack(items.iter().step_by(2).map(Vec::as_slice));
            let bytes = 7
                + lp_int_size(0)
                + lp_int_size(0)
                + lp_int_size(numfields)
                + items.iter().step_by(2).map(|f| lp_str_size(f)).sum::<usize>()
                + lp_int_size(0);
            self.nodes.insert(id, Node { live: 0, deleted: 0, bytes, last: id, master });
        }
        let Some((master_id, node)) = self.nodes.iter_mut().next_back() else { return };
        let same = node.master.iter().eq(items.iter().step_by(2).map(Vec::as_slice));
        let mut size = lp_int_size(i64::from(same) * 2)
            + lp_int_size(id.ms.wrapping_sub(master_id.ms) as i64)
            + lp_int_size(id.seq.wrapping_sub(master_id.seq) as i64);
        let mut lp_count = numfields + 3;
        if same {
            size += items.iter().skip(1).step_by(2).map(|v| lp_str_size(v)).sum::<usize>();
        } else {
            size += lp_int_size(numfields) + items.iter().map(|x| lp_str_size(x)).sum::<usize>();
            lp_count += numfields + 1;
        }
        size += lp_int_size(lp_count);
        node.bytes = node.bytes + size + lp_int_size(i64::from(node.live) + 1) - lp_int_size(i64::from(node.live));
        node.live += 1;
        node.last = id;
        let packed = Fields::pack(items.iter().map(Vec::as_slice));
        self.bytes += packed.heap_size() + 32;
        self.entries.insert(id, packed);
        self.entries_added += 1;
        self.last_id = id;
        if self.entries.len() == 1 {
            self.first_id = id;
        }
    }

    /// The fields of entry `id`.
    pub fn get(&self, id: StreamId) -> Option<&Fields> {
        self.entries.get(&id)
    }

    /// Entries with ids in `[start, end]`, ascending or descending.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
    ) -> Box<dyn Iterator<Item = (&StreamId, &Fields)> + '_> {
        if start > end {
            return Box::new(std::iter::empty());
        }
        let r = self.entries.range(start..=end);
        if rev {
            Box::new(r.rev())
        } else {
            Box::new(r)
        }
    }

    /// Id of the last live entry, or `0-0` (Redis's streamLastValidID).
    pub fn last_valid_id(&self) -> StreamId {
        self.entries.last_key_value().map(|(k, _)| *k).unwrap_or_default()
    }

    /// Marks entry `id` deleted (XDEL); returns true if it existed. Updates the node model but
    /// not `first_id`/`max_deleted_id` (XDEL does that).
    pub fn remove(&mut self, id: StreamId) -> bool {
        let Some(f) = self.entries.remove(&id) else { return false };
        self.bytes = self.bytes.saturating_sub(f.heap_size() + 32);
        if let Some((&key, node)) = self.nodes.range_mut(..=id).next_back() {
            if node.live <= 1 {
                self.nodes.remove(&key);
            } else {
                node.bytes =
                    node.bytes + lp_int_size(i64::from(node.live) - 1) + lp_int_size(i64::from(node.deleted) + 1)
                        - lp_int_size(i64::from(node.live))
                        - lp_int_size(i64::from(node.deleted));
                node.live -= 1;
                node.deleted += 1;
            }
        }
        true
    }

    /// Sets the recorded first id to the first live entry (or `0-0` when empty).
    pub fn refresh_first_id(&mut self) {
        self.first_id = self.entries.first_key_value().map(|(k, _)| *k).unwrap_or_default();
    }

    /// Trims like Redis's streamTrim: whole nodes first; with `approx` stop at the first node
    /// that cannot go entirely, otherwise mark entries of that node deleted. `limit` (0 = none)
    /// bounds the entries removed by whole nodes. Returns how many entries were removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted: u64 = 0;
        // Bounded: every iteration removes a node or leaves the loop.
        while let Some((&key, node)) = self.nodes.first_key_value() {
            if let Trim::MaxLen(max) = how {
                if self.entries.len() as u64 <= max {
                    break;
                }
            }
            let live = u64::from(node.live);
            if limit != 0 && deleted + live > limit {
                break;
            }
            let remove_node = match how {
                Trim::MaxLen(max) => self.entries.len() as u64 - live >= max,
                Trim::MinId(min) => node.last < min,
            };
            if remove_node {
                let last = node.last;
                self.nodes.remove(&key);
                let ids: Vec<StreamId> = self.entries.range(key..=last).map(|(k, _)| *k).collect();
                for id in ids {
                    if let Some(f) = self.entries.remove(&id) {
                        self.bytes = self.bytes.saturating_sub(f.heap_size() + 32);
                    }
                }
                deleted += live;
                continue;
            }
            if approx {
                break;
            }
            deleted += self.trim_inside_node(key, how);
            break;
        }
        if deleted > 0 {
            self.refresh_first_id();
        }
        deleted
    }

    /// Marks the leading entries of node `key` deleted while the trim condition holds.
    fn trim_inside_node(&mut self, key: StreamId, how: Trim) -> u64 {
        let Some(last) = self.nodes.get(&key).map(|n| n.last) else { return 0 };
        let mut removed = 0u64;
        let ids: Vec<StreamId> = self
            .entries
            .range(key..=last)
            .map(|(k, _)| *k)
            .take_while(|id| match how {
                Trim::MaxLen(max) => (self.entries.len() as u64).saturating_sub(max) > 0,
                Trim::MinId(min) => *id < min,
            })
            .collect();
        for id in ids {
            if let Trim::MaxLen(max) = how {
                if self.entries.len() as u64 <= max {
                    break;
                }
            }
            if let Some(f) = self.entries.remove(&id) {
                self.bytes = self.bytes.saturating_sub(f.heap_size() + 32);
                removed += 1;
            }
        }
        if let Some(node) = self.nodes.get_mut(&key) {
            let r = removed as u32;
            node.bytes = node.bytes + lp_int_size(i64::from(node.live - r)) + lp_int_size(i64::from(node.deleted + r))
                - lp_int_size(i64::from(node.live))
                - lp_int_size(i64::from(node.deleted));
            node.live -= r;
            node.deleted += r;
        }
        removed
    }

    /// The listpack nodes, keyed by the id of their first entry (for snapshots).
    pub fn nodes(&self) -> impl DoubleEndedIterator<Item = (&StreamId, &Node)> {
        self.nodes.iter()
    }

    /// A stream holding `entries` laid out in `nodes` (what [`Stream::nodes`] returned), with
    /// every other field at its default; the caller sets the public ones. Checks the layout so
    /// the node bookkeeping can never underflow: nodes in order without overlap, each holding
    /// 1..=[`NODE_MAX_ENTRIES`] entries counting deleted ones, exactly `live` of them present in
    /// `entries`, every entry inside a node, sizes within bounds.
    pub fn from_layout(
        entries: BTreeMap<StreamId, Fields>,
        nodes: BTreeMap<StreamId, Node>,
    ) -> Result<Stream, &'static str> {
        let mut prev_last: Option<StreamId> = None;
        let mut covered = 0usize;
        for (&first, n) in &nodes {
            if n.last < first || prev_last.is_some_and(|p| first <= p) {
                return Err("stream nodes overlap or are out of order");
            }
            if n.live == 0 || !matches!(n.live.checked_add(n.deleted), Some(t) if t <= NODE_MAX_ENTRIES) {
                return Err("stream node entry counts out of range");
            }
            if !(NODE_MIN_BYTES..=NODE_LIMIT_BYTES).contains(&n.bytes) {
                return Err("stream node size out of range");
            }
            if entries.range(first..=n.last).count() != n.live as usize {
                return Err("stream node live count does not match its entries");
            }
            covered += n.live as usize;
            prev_last = Some(n.last);
        }
        if covered != entries.len() {
            return Err("stream entries outside every node");
        }
        let bytes = entries.values().map(|f| f.heap_size() + 32).sum();
        Ok(Stream { entries, nodes, bytes, ..Stream::default() })
    }

    /// Number of listpack nodes (`radix-tree-keys`).
    pub fn rax_keys(&self) -> usize {
        self.nodes.len()
    }

    /// Number of radix-tree nodes Redis's rax would use for the node keys (`radix-tree-nodes`).
    pub fn rax_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.encode()).collect();
        if keys.is_empty() {
            return 1;
        }
        rax_count(&keys, 0)
    }

    /// True when an XDEL tombstone may lie in `[start, +inf]` (Redis's streamRangeHasTombstones).
    pub fn range_has_tombstones(&self, start: StreamId) -> bool {
        if self.entries.is_empty() || self.max_deleted_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id
    }

    /// The logical read counter of `id` when it can be known, else -1
    /// (Redis's streamEstimateDistanceFromFirstEverEntry).
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return 0;
        }
        if self.entries.is_empty() && id <= self.last_id {
            return added;
        }
        if id == self.last_id {
            return added;
        } else if id > self.last_id {
            return -1;
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            let len = self.entries.len() as i64;
            if id < self.first_id {
                return added - len;
            } else if id == self.first_id {
                return added - len + 1;
            }
        }
        -1
    }

    /// A group's lag, None when it cannot be known (Redis's streamReplyWithCGLag).
    pub fn group_lag(&self, g: &Group) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != -1 && !self.range_has_tombstones(g.last_id) {
            return Some(added.wrapping_sub(g.entries_read));
        }
        let read = self.estimate_distance(g.last_id);
        (read != -1).then(|| added.wrapping_sub(read))
    }

    /// Advances a group's last-delivered id to `id` with Redis's read-counter bookkeeping.
    pub fn advance_group(&mut self, group: &[u8], id: StreamId) {
        let has_tomb = self.range_has_tombstones(id);
        let estimate = self.estimate_distance(id);
        let added = self.entries_added;
        if let Some(g) = self.groups.get_mut(group) {
            if id <= g.last_id {
                return;
            }
            if g.entries_read != -1 && !has_tomb {
                // Redis increments a long long here; at i64::MAX it wraps (no panic).
                g.entries_read = g.entries_read.wrapping_add(1);
            } else if added != 0 {
                g.entries_read = estimate;
            }
            g.last_id = id;
        }
    }
}

/// Counts rax nodes for sorted, distinct 16-byte keys sharing their first `depth` bytes.
fn rax_count(keys: &[[u8; 16]], depth: usize) -> usize {
    let (Some(first), Some(last)) = (keys.first(), keys.last()) else { return 0 };
    if keys.len() == 1 {
        return if depth >= 16 { 1 } else { 2 };
    }
    let mut p = depth;
    while p < 16 && first[p] == last[p] {
        p += 1;
    }
    if p >= 16 {
        // Only reachable with duplicate keys, which a BTreeMap cannot hold.
        return 1;
    }
    let compressed = usize::from(p > depth);
    // Branch node at depth p with one child per distinct byte.
    let mut n = compressed + 1;
    let mut i = 0;
    while i < keys.len() {
        let b = keys[i][p];
        let mut j = i + 1;
        while j < keys.len() && keys[j][p] == b {
            j += 1;
        }
        n += rax_count(&keys[i..j], p + 1);
        i = j;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize, size: usize) -> Vec<Vec<u8>> {
        (0..n).flat_map(|_| [b"f".to_vec(), vec![b'x'; size]]).collect()
    }

    #[test]
    fn nodes_split_by_count_and_bytes() {
        let mut s = Stream::default();
        for i in 1..=250 {
            s.append(StreamId::new(i, 1), &[b"f".to_vec(), b"v".to_vec()]);
        }
        assert_eq!((s.rax_keys(), s.rax_nodes()), (3, 8));
        for (size, keys, nodes) in [(1000, 3, 8), (2000, 5, 12), (3000, 10, 22)] {
            let mut b = Stream::default();
            for i in 1..=10 {
                b.append(StreamId::new(i, 1), &items(1, size));
            }
            assert_eq!((b.rax_keys(), b.rax_nodes()), (keys, nodes), "size {size}");
        }
    }

    #[test]
    fn ids_step() {
        assert_eq!(StreamId::new(1, u64::MAX).incr(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.incr(), None);
        assert_eq!(StreamId::new(2, 0).decr(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::MIN.decr(), None);
        assert_eq!(StreamId::new(5, 7).to_string(), "5-7");
    }

    #[test]
    fn fields_roundtrip() {
        let f = Fields::pack([&b"a"[..], b"", b"ccc"]);
        assert_eq!(f.iter().collect::<Vec<_>>(), vec![&b"a"[..], b"", b"ccc"]);
    }
}
