//! Snapshot and restore of the whole dataset (every database, every key, its value and its
//! absolute expiry time), to bytes or to a file, in a binary format of our own.
//!
//! # Format (version 1)
//!
//! All fixed-width integers are little-endian; `varint` is unsigned LEB128 (7 bits per byte, low
//! first, at most 10 bytes); `ivarint` is a signed integer zigzag-mapped to a varint; `bytes` is a
//! varint length followed by that many bytes; `id` (a stream id) is two varints, ms then seq.
//!
//! ```text
//! magic      "REDKIT-SNAP"                      11 bytes
//! version    u8 = 1
//! databases  varint                             how many databases the source had (informational)
//! then, for each non-empty database, in index order:
//!   0xFE     u8   database marker
//!   index    varint
//!   count    u64  number of keys that follow
//!   count × key record:
//!     type     u8   0 string, 1 list, 2 hash, 3 set, 4 zset, 5 stream
//!     expiry   u64  absolute expiry, ms since the Unix epoch; 0 = no TTL
//!     key      bytes
//!     value    type-specific encoding ([`SnapshotCodec`], below)
//! 0xFF       u8   end marker
//! checksum   u64  FNV-1a 64 of every preceding byte (magic included)
//! ```
//!
//! Values (every sequence in the order the type iterates, which restore reproduces exactly, so
//! replies, SCAN cursors and OBJECT ENCODING are the same after a round trip):
//!
//! ```text
//! string   bytes
//! list     n varint (≥ 1), n × element bytes                         head to tail
//! hash     encoding u8 (0 listpack, 1 hashtable), n varint (≥ 1), n × (field bytes, value bytes)
//! set      encoding u8 (0 intset, 1 hashtable), n varint (≥ 1),
//!          intset: n × member ivarint (strictly ascending); hashtable: n × member bytes
//! zset     encoding u8 (0 listpack, 1 skiplist), n varint (≥ 1),
//!          n × (member bytes, score f64 as u64 LE bits)                member-index (ZSCAN) order
//! stream   entries    n varint, n × { id, k varint (even, ≥ 2), k × field/value bytes }  ascending
//!          nodes      m varint, m × { first id, last id, live varint, deleted varint,
//!                                     size varint, f varint, f × master field bytes }  ascending
//!          last_id id, first_id id, max_deleted_id id, entries_added varint (≤ i64::MAX)
//!          groups     g varint, g × { name bytes, last_delivered id, entries_read ivarint (≥ -1),
//!                       pel   p varint, p × { id, delivery_time ivarint,
//!                                           delivery_count varint (≤ i64::MAX) }  ascending
//!                       consumers c varint, c × { name bytes, seen_time ivarint,
//!                                                 q varint, q × pending id (ascending) } }
//! ```
//!
//! A stream keeps its listpack-node model (the layout decides `radix-tree-*` in XINFO and what
//! approximate trimming drops) and the owner of every pending entry is given by exactly one
//! consumer's list, like Redis's RDB. Times (delivery, seen) are absolute clock milliseconds, so
//! idle times keep counting from the restored simulator's clock.
//!
//! Keys are written in keyspace storage order, so a restored simulator SCANs in the same order.
//! Keys already expired are skipped when saving and dropped when loading (expiry times are
//! absolute, so a TTL keeps running while a snapshot sits on disk, like Redis's RDB). Memory
//! accounting is rebuilt from the contents (aggregates are rebuilt without the spare capacity
//! earlier deletions may have left, so MEMORY USAGE can be slightly lower, as after Redis's
//! DEBUG RELOAD).
//!
//! Restore checks the magic, the version and the checksum first, then parses everything into new
//! databases before touching the simulator: truncated, corrupt or inconsistent input (unknown type,
//! database index out of range, duplicate database, key, field, member, group, consumer or id,
//! empty list/hash/set, unsorted ids, a stream layout that does not match its entries, a pending
//! entry owned by no consumer or by two, trailing bytes) returns an [`Error`] of kind
//! [`ErrorKind::Serialization`] and leaves the dataset unchanged; it never panics and never
//! allocates more than the input justifies (every count is checked against the bytes left before
//! anything is reserved). On success the dataset is replaced in one step: WATCHers of every
//! database are invalidated, clients blocked on keys that now hold data are served, and
//! `rdb_changes_since_last_save` restarts at 0.
//!
//! Version 1 files written before the aggregates were supported hold only strings and load
//! unchanged; the string record did not change, so the version did not either.

use super::blocking;
use super::bytes::SmallBytes;
use super::db::{Db, Entry, RValue};
use super::dispatch;
use super::state::State;
use super::types::hash::{Hash, HashLimits};
use super::types::set::{Member, Set};
use super::types::stream::{Consumer, Fields, Group, Node, Pending, Stream, StreamId};
use super::types::{List, ZSet};
use super::Simulator;
use crate::error::{Error, ErrorKind, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The first bytes of every snapshot.
pub const MAGIC: &[u8; 11] = b"REDKIT-SNAP";
/// The format version written (and the only one read).
pub const VERSION: u8 = 1;
const DB_MARK: u8 = 0xFE;
const END_MARK: u8 = 0xFF;

/// Binary encoding of one value type inside a snapshot. Adding a type is one impl: the
/// dispatch ([`encode_value`], [`decode_value`]) already calls it for every [`RValue`] variant.
pub trait SnapshotCodec {
    /// Appends the encoding of `self` to `out`; fails only for a type that cannot be saved.
    fn encode(&self, out: &mut Vec<u8>) -> Result<()>;
    /// Decodes one value from the front of `input`, advancing it past what was read. Must reject
    /// anything the type's operations could not cope with, and size allocations by the input.
    fn decode(input: &mut &[u8]) -> Result<Self>
    where
        Self: Sized;
}

impl SnapshotCodec for SmallBytes {
    fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        put_bytes(out, self.as_slice());
        Ok(())
    }

    fn decode(input: &mut &[u8]) -> Result<Self> {
        get_bytes(input).map(SmallBytes::new)
    }
}

impl SnapshotCodec for List {
    fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        put_varint(out, self.len() as u64);
        for v in self.iter() {
            put_bytes(out, v);
        }
        Ok(())
    }

    fn decode(input: &mut &[u8]) -> Result<Self> {
        let n = get_nonempty_count(input, 1, "list")?;
        let mut l = List::default();
        for _ in 0..n {
            l.push(false, SmallBytes::new(get_bytes(input)?));
        }
        Ok(l)
    }
}

/// Limits under which [`Hash::set`] never converts (the restored encoding is the saved one).
const NO_HASH_LIMITS: HashLimits = HashLimits { entries: usize::MAX, value: usize::MAX };

impl SnapshotCodec for Hash {
    fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        out.push(u8::from(!self.is_listpack()));
        put_varint(out, self.len() as u64);
        for (f, v) in self.iter() {
            put_bytes(out, f);
            put_bytes(out, v);
        }
        Ok(())
    }

    fn decode(input: &mut &[u8]) -> Result<Self> {
        let hashtable = get_flag(input, "hash encoding")?;
        let n = get_nonempty_count(input, 2, "hash")?;
        let mut h = Hash::with_encoding(hashtable);
        for _ in 0..n {
            let f = get_bytes(input)?;
            let v = get_bytes(input)?;
            if !h.set(f, v, NO_HASH_LIMITS) {
                return Err(corrupt("duplicate hash field"));
            }
        }
        Ok(h)
    }
}

impl SnapshotCodec for Set {
    fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        out.push(u8::from(!self.is_intset()));
        put_varint(out, self.len() as u64);
        for m in self.iter() {
            match m {
                Member::Int(i) => put_ivarint(out, i),
                Member::Bytes(b) => put_bytes(out, b),
            }
        }
        Ok(())
    }

    fn decode(input: &mut &[u8]) -> Result<Self> {
        let hashtable = get_flag(input, "set encoding")?;
        let n = get_nonempty_count(input, 1, "set")?;
        if hashtable {
            let mut s = Set::new_hashtable();
            for _ in 0..n {
                if !s.insert(get_bytes(input)?, usize::MAX) {
                    return Err(corrupt("duplicate set member"));
                }
            }
            return Ok(s);
        }
        let mut s = Set::default();
        let mut prev: Option<i64> = None;
        for _ in 0..n {
            let i = get_ivarint(input)?;
            // Strictly ascending: no duplicates, and every insert is an O(1) append.
            if prev.is_some_and(|p| i <= p) {
                return Err(corrupt("intset members out of order"));
            }
            prev = Some(i);
            s.insert_member(Member::Int(i), usize::MAX);
        }
        Ok(s)
    }
}

impl SnapshotCodec for ZSet {
    fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        out.push(u8::from(self.encoding() == "skiplist"));
        put_varint(out, self.len() as u64);
        // Member-index order, which ZSCAN walks; the score order is rebuilt from the scores.
        for i in 0..self.len() {
            if let Some((m, score)) = self.at_index(i) {
                put_bytes(out, m);
                out.extend_from_slice(&score.to_bits().to_le_bytes());
            }
        }
        Ok(())
    }

    fn decode(input: &mut &[u8]) -> Result<Self> {
        let skiplist = get_flag(input, "zset encoding")?;
        let n = get_nonempty_count(input, 9, "zset")?;
        let mut z = if skiplist { ZSet::new_skiplist() } else { ZSet::default() };
        for _ in 0..n {
            let m = get_bytes(input)?;
            let score = f64::from_bits(get_u64(input)?);
            if score.is_nan() {
                return Err(corrupt("zset score is NaN"));
            }
            if z.insert(m, score).is_some() {
                return Err(corrupt("duplicate zset member"));
            }
        }
        Ok(z)
    }
}

impl SnapshotCodec for Stream {
    fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        put_varint(out, self.len() as u64);
        for (id, f) in self.range(StreamId::MIN, StreamId::MAX, false) {
            put_id(out, *id);
            put_fields(out, f);
        }
        put_varint(out, self.rax_keys() as u64);
        for (first, n) in self.nodes() {
            put_id(out, *first);
            put_id(out, n.last);
            put_varint(out, u64::from(n.live));
            put_varint(out, u64::from(n.deleted));
            put_varint(out, n.bytes as u64);
            put_fields(out, &n.master);
        }
        for id in [self.last_id, self.first_id, self.max_deleted_id] {
            put_id(out, id);
        }
        put_varint(out, self.entries_added);
        put_varint(out, self.groups.len() as u64);
        for (name, g) in &self.groups {
            put_bytes(out, name);
            put_id(out, g.last_id);
            put_ivarint(out, g.entries_read);
            put_varint(out, g.pel.len() as u64);
            for (id, p) in &g.pel {
                put_id(out, *id);
                put_ivarint(out, p.delivery_time);
                put_varint(out, p.delivery_count);
            }
            put_varint(out, g.consumers.len() as u64);
            for (cname, c) in &g.consumers {
                put_bytes(out, cname);
                put_ivarint(out, c.seen_time);
                put_varint(out, c.pel.len() as u64);
                for id in &c.pel {
                    put_id(out, *id);
                }
            }
        }
        Ok(())
    }

    fn decode(input: &mut &[u8]) -> Result<Self> {
        // Minimum encoded sizes: entry id 2 + count 1 + two items 2; node 2 ids + 3 varints +
        // master count.
        let n = get_count(input, 5)?;
        let mut entries = BTreeMap::new();
        let mut prev = None;
        for _ in 0..n {
            let id = get_next_id(input, &mut prev, "stream entries")?;
            let f = get_fields(input)?;
            let k = f.iter().count();
            if k == 0 || k % 2 != 0 {
                return Err(corrupt("stream entry without field/value pairs"));
            }
            entries.insert(id, f);
        }
        let m = get_count(input, 8)?;
        let mut nodes = BTreeMap::new();
        let mut prev = None;
        for _ in 0..m {
            let first = get_next_id(input, &mut prev, "stream nodes")?;
            let last = get_id(input)?;
            let live = get_u32(input)?;
            let deleted = get_u32(input)?;
            let bytes = usize::try_from(get_varint(input)?).map_err(|_| corrupt("stream node size"))?;
            let master = get_fields(input)?;
            nodes.insert(first, Node { live, deleted, bytes, last, master });
        }
        let mut s = Stream::from_layout(entries, nodes).map_err(corrupt)?;
        s.last_id = get_id(input)?;
        s.first_id = get_id(input)?;
        s.max_deleted_id = get_id(input)?;
        s.entries_added = get_signed_range(input, "stream entries_added")?;
        let top = s.nodes().next_back().map(|(_, n)| n.last).unwrap_or_default();
        if s.last_id < top {
            return Err(corrupt("stream last id below its last entry"));
        }
        let g = get_count(input, 6)?;
        for _ in 0..g {
            let name = get_bytes(input)?.to_vec();
            let group = decode_group(input)?;
            if s.groups.insert(name, group).is_some() {
                return Err(corrupt("duplicate stream group"));
            }
        }
        Ok(s)
    }
}

/// Decodes a consumer group after its name: the PEL, then the consumers and the ids each owns.
fn decode_group(input: &mut &[u8]) -> Result<Group> {
    let last_id = get_id(input)?;
    let entries_read = get_ivarint(input)?;
    if entries_read < -1 {
        return Err(corrupt("stream group entries_read below -1"));
    }
    let mut g = Group::new(last_id, entries_read);
    let p = get_count(input, 4)?;
    // Pending entries not yet claimed by a consumer: each must be claimed exactly once.
    let mut unowned = BTreeMap::new();
    let mut prev = None;
    for _ in 0..p {
        let id = get_next_id(input, &mut prev, "stream PEL")?;
        let delivery_time = get_ivarint(input)?;
        let delivery_count = get_signed_range(input, "delivery count")?;
        unowned.insert(id, (delivery_time, delivery_count));
    }
    let c = get_count(input, 3)?;
    for _ in 0..c {
        let name = get_bytes(input)?.to_vec();
        let seen_time = get_ivarint(input)?;
        let q = get_count(input, 2)?;
        let mut pel = BTreeSet::new();
        let mut prev = None;
        for _ in 0..q {
            let id = get_next_id(input, &mut prev, "consumer PEL")?;
            let (delivery_time, delivery_count) =
                unowned.remove(&id).ok_or_else(|| corrupt("consumer PEL id not pending or owned twice"))?;
            g.pel.insert(id, Pending { consumer: name.clone(), delivery_time, delivery_count });
            pel.insert(id);
        }
        if g.consumers.insert(name, Consumer { seen_time, pel }).is_some() {
            return Err(corrupt("duplicate stream consumer"));
        }
    }
    if !unowned.is_empty() {
        return Err(corrupt("stream PEL entry owned by no consumer"));
    }
    Ok(g)
}

/// A [`ErrorKind::Serialization`] error.
pub fn corrupt(msg: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Serialization, format!("invalid snapshot: {msg}"))
}

/// Appends an unsigned LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a signed integer as a zigzag varint (small magnitudes take one byte).
pub fn put_ivarint(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Appends a stream id: ms then seq, as varints.
pub fn put_id(out: &mut Vec<u8>, id: StreamId) {
    put_varint(out, id.ms);
    put_varint(out, id.seq);
}

/// Appends the items of a stream entry (or a node's master fields): count, then each as bytes.
fn put_fields(out: &mut Vec<u8>, f: &Fields) {
    put_varint(out, f.iter().count() as u64);
    for item in f.iter() {
        put_bytes(out, item);
    }
}

/// Appends a varint length followed by the bytes.
pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Reads one byte.
pub fn get_u8(input: &mut &[u8]) -> Result<u8> {
    let (&b, rest) = input.split_first().ok_or_else(|| corrupt("truncated"))?;
    *input = rest;
    Ok(b)
}

/// Reads a little-endian u64.
pub fn get_u64(input: &mut &[u8]) -> Result<u64> {
    let raw = get_raw(input, 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(raw);
    Ok(u64::from_le_bytes(a))
}

/// Reads an unsigned LEB128 varint (rejecting encodings longer than 10 bytes or above u64).
pub fn get_varint(input: &mut &[u8]) -> Result<u64> {
    let mut v: u64 = 0;
    for shift in (0..70).step_by(7) {
        let b = get_u8(input)?;
        let part = (b & 0x7F) as u64;
        if shift == 63 && part > 1 {
            return Err(corrupt("varint overflow"));
        }
        v |= part << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(corrupt("varint too long"))
}

/// Reads a zigzag varint written by [`put_ivarint`].
pub fn get_ivarint(input: &mut &[u8]) -> Result<i64> {
    let z = get_varint(input)?;
    Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
}

/// Reads a varint that must fit in a u32.
fn get_u32(input: &mut &[u8]) -> Result<u32> {
    u32::try_from(get_varint(input)?).map_err(|_| corrupt("count above u32"))
}

/// Reads a varint counter that commands keep within i64 (replies show it signed, and it is
/// incremented later, so u64::MAX would overflow).
fn get_signed_range(input: &mut &[u8], what: &str) -> Result<u64> {
    match get_varint(input)? {
        v if v <= i64::MAX as u64 => Ok(v),
        v => Err(corrupt(format_args!("{what} {v} out of range"))),
    }
}

/// Reads a flag byte (0 or 1).
fn get_flag(input: &mut &[u8], what: &str) -> Result<bool> {
    match get_u8(input)? {
        0 => Ok(false),
        1 => Ok(true),
        b => Err(corrupt(format_args!("bad {what} {b}"))),
    }
}

/// Reads an element count whose elements take at least `min_bytes` each, rejecting counts the
/// remaining input cannot hold (so a corrupt count can never drive an allocation or a long loop).
pub fn get_count(input: &mut &[u8], min_bytes: usize) -> Result<usize> {
    let n = get_varint(input)?;
    match usize::try_from(n) {
        Ok(n) if n.saturating_mul(min_bytes.max(1)) <= input.len() => Ok(n),
        _ => Err(corrupt(format_args!("count {n} larger than the input"))),
    }
}

/// [`get_count`] for the element count of a list, hash or set, which Redis never keeps empty.
fn get_nonempty_count(input: &mut &[u8], min_bytes: usize, what: &str) -> Result<usize> {
    match get_count(input, min_bytes)? {
        0 => Err(corrupt(format_args!("empty {what}"))),
        n => Ok(n),
    }
}

/// Reads a stream id written by [`put_id`].
pub fn get_id(input: &mut &[u8]) -> Result<StreamId> {
    Ok(StreamId::new(get_varint(input)?, get_varint(input)?))
}

/// Reads the next id of a strictly ascending sequence (`prev` is the previous one).
fn get_next_id(input: &mut &[u8], prev: &mut Option<StreamId>, what: &str) -> Result<StreamId> {
    let id = get_id(input)?;
    if prev.is_some_and(|p| id <= p) {
        return Err(corrupt(format_args!("{what}: ids not strictly ascending")));
    }
    *prev = Some(id);
    Ok(id)
}

/// Reads items written by [`put_fields`].
fn get_fields(input: &mut &[u8]) -> Result<Fields> {
    let k = get_count(input, 1)?;
    let mut items = Vec::with_capacity(k);
    for _ in 0..k {
        items.push(get_bytes(input)?);
    }
    Ok(Fields::pack(items))
}

/// Reads exactly `n` bytes.
pub fn get_raw<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    if input.len() < n {
        return Err(corrupt("truncated"));
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Ok(head)
}

/// Reads a varint length and that many bytes (the length is checked against the input first).
pub fn get_bytes<'a>(input: &mut &'a [u8]) -> Result<&'a [u8]> {
    let n = get_varint(input)?;
    if n > input.len() as u64 {
        return Err(corrupt("truncated"));
    }
    get_raw(input, n as usize)
}

/// FNV-1a 64 of `b` (the snapshot checksum).
pub fn fnv1a64(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &x in b {
        h ^= x as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The type tag of a value.
fn type_tag(v: &RValue) -> u8 {
    match v {
        RValue::Str(_) => 0,
        RValue::List(_) => 1,
        RValue::Hash(_) => 2,
        RValue::Set(_) => 3,
        RValue::ZSet(_) => 4,
        RValue::Stream(_) => 5,
    }
}

/// Appends a value's encoding (fails for a type whose codec refuses, see [`SnapshotCodec`]).
pub fn encode_value(v: &RValue, out: &mut Vec<u8>) -> Result<()> {
    match v {
        RValue::Str(s) => s.encode(out),
        RValue::List(l) => l.encode(out),
        RValue::Hash(h) => h.encode(out),
        RValue::Set(s) => s.encode(out),
        RValue::ZSet(z) => z.encode(out),
        RValue::Stream(s) => s.encode(out),
    }
}

/// Decodes a value whose key record has type tag `tag` (0 string … 5 stream).
pub fn decode_value(tag: u8, input: &mut &[u8]) -> Result<RValue> {
    Ok(match tag {
        0 => RValue::Str(SmallBytes::decode(input)?),
        1 => RValue::List(Box::new(List::decode(input)?)),
        2 => RValue::Hash(Box::new(Hash::decode(input)?)),
        3 => RValue::Set(Box::new(Set::decode(input)?)),
        4 => RValue::ZSet(Box::new(ZSet::decode(input)?)),
        5 => RValue::Stream(Box::new(Stream::decode(input)?)),
        t => return Err(corrupt(format_args!("unknown type tag {t}"))),
    })
}

/// Encodes every live key of every database (keys expired at `now_ms` are skipped).
pub fn encode_state(st: &State, now_ms: u64) -> Result<Vec<u8>> {
    let keys: usize = st.dbs.iter().map(Db::len).sum();
    let mut out = Vec::with_capacity(32 + keys.saturating_mul(32));
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    put_varint(&mut out, st.dbs.len() as u64);
    for (index, db) in st.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        out.push(DB_MARK);
        put_varint(&mut out, index as u64);
        let count_at = out.len();
        out.extend_from_slice(&[0; 8]);
        let mut count: u64 = 0;
        for (k, e) in db.keys.iter() {
            if super::db::is_expired(e.expire_at, now_ms) {
                continue;
            }
            out.push(type_tag(&e.value));
            out.extend_from_slice(&e.expire_at.to_le_bytes());
            put_bytes(&mut out, k);
            encode_value(&e.value, &mut out)?;
            count += 1;
        }
        out[count_at..count_at + 8].copy_from_slice(&count.to_le_bytes());
    }
    out.push(END_MARK);
    let sum = fnv1a64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    Ok(out)
}

/// Decodes a snapshot into `ndbs` fresh databases, dropping keys expired at `now_ms` and giving
/// every key the access stamp `access`. Validates everything; never panics.
pub fn decode_dbs(bytes: &[u8], ndbs: usize, now_ms: u64, access: u32) -> Result<Vec<Db>> {
    let header = MAGIC.len() + 1;
    if bytes.len() < header + 2 + 8 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(corrupt("not a redkit snapshot (bad magic or too short)"));
    }
    if bytes[MAGIC.len()] != VERSION {
        return Err(corrupt(format_args!("unsupported version {}", bytes[MAGIC.len()])));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let mut want = [0u8; 8];
    want.copy_from_slice(sum);
    if fnv1a64(body) != u64::from_le_bytes(want) {
        return Err(corrupt("checksum mismatch"));
    }
    let mut input = &body[header..];
    let _source_dbs = get_varint(&mut input)?;
    let mut dbs: Vec<Db> = (0..ndbs).map(|_| Db::default()).collect();
    let mut seen = vec![false; ndbs];
    loop {
        match get_u8(&mut input)? {
            END_MARK => break,
            DB_MARK => {
                let index = get_varint(&mut input)?;
                let i = usize::try_from(index)
                    .ok()
                    .filter(|&i| i < ndbs)
                    .ok_or_else(|| corrupt(format_args!("database {index} out of range (the simulator has {ndbs})")))?;
                if std::mem::replace(&mut seen[i], true) {
                    return Err(corrupt(format_args!("database {i} appears twice")));
                }
                let count = get_u64(&mut input)?;
                decode_keys(&mut input, count, &mut dbs[i], now_ms, access)?;
            }
            other => return Err(corrupt(format_args!("unexpected marker 0x{other:02x}"))),
        }
    }
    if !input.is_empty() {
        return Err(corrupt("trailing bytes after the end marker"));
    }
    Ok(dbs)
}

/// Decodes `count` key records into `db`. Each record takes at least 10 bytes, so a corrupt
/// count runs into "truncated" after at most input/10 iterations.
fn decode_keys(input: &mut &[u8], count: u64, db: &mut Db, now_ms: u64, access: u32) -> Result<()> {
    for _ in 0..count {
        let tag = get_u8(input)?;
        let expire_at = get_u64(input)?;
        // EXPIRE refuses times past i64::MAX ms; TTL arithmetic relies on it.
        if expire_at > i64::MAX as u64 {
            return Err(corrupt("expiry time out of range"));
        }
        let key = get_bytes(input)?;
        let value = decode_value(tag, input)?;
        if super::db::is_expired(expire_at, now_ms) {
            continue;
        }
        let entry = Entry { expire_at, access, ..Entry::new(value) };
        if !db.set_entry(key, entry) {
            return Err(corrupt(format_args!("duplicate key {:?}", String::from_utf8_lossy(key))));
        }
    }
    Ok(())
}

/// Replaces the dataset with `dbs` (same number of databases): invalidates WATCH, serves clients
/// blocked on keys that now hold data, resets the change counter. Returns the old databases so the
/// caller can free them outside the lock.
pub fn install(st: &mut State, dbs: Vec<Db>, now_us: u64) -> Vec<Db> {
    let old = std::mem::replace(&mut st.dbs, dbs);
    for i in 0..st.dbs.len() {
        st.signal_db_modified(i);
    }
    let ready: Vec<(usize, SmallBytes)> = st
        .blocked_on
        .keys()
        .filter(|(d, k)| st.dbs.get(*d).is_some_and(|db| db.keys.find(k).is_some()))
        .cloned()
        .collect();
    for (d, k) in ready {
        st.signal_ready(d, &k);
    }
    blocking::serve_ready(st, now_us);
    dispatch::deliver_outbox(st);
    st.eviction = Default::default();
    st.dirty = 0;
    old
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, renamed over it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

impl Simulator {
    /// The whole dataset as bytes (format in [`crate::sim::snapshot`]); like SAVE, resets
    /// `rdb_changes_since_last_save`. Fails for a type that cannot be encoded yet.
    pub fn snapshot(&self) -> Result<Vec<u8>> {
        let now = self.clock().now_ms();
        let mut st = self.lock();
        let out = encode_state(&st, now)?;
        st.dirty = 0;
        Ok(out)
    }

    /// Replaces the whole dataset with a snapshot's. On error nothing changes.
    pub fn restore(&self, bytes: &[u8]) -> Result<()> {
        let now_us = self.clock().now_us();
        let now_ms = now_us / 1000;
        let (ndbs, policy) = {
            let st = self.lock();
            (st.dbs.len(), st.config.maxmemory_policy)
        };
        // Parsing happens outside the lock: other connections keep running meanwhile.
        let dbs = decode_dbs(bytes, ndbs, now_ms, super::eviction::init_access(policy, now_ms))?;
        let old = {
            let mut st = self.lock();
            if st.dbs.len() != ndbs {
                return Err(corrupt("database count changed during restore"));
            }
            install(&mut st, dbs, now_us)
        };
        self.shared.notify();
        drop(old);
        Ok(())
    }

    /// Writes [`Simulator::snapshot`] to `path` atomically (a temporary file renamed over it).
    pub fn save_to_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.snapshot()?;
        write_atomically(path, &bytes)?;
        Ok(())
    }

    /// Reads a file written by [`Simulator::save_to_file`] and restores it.
    pub fn load_from_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let bytes = std::fs::read(path)?;
        self.restore(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trip_and_limits() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut inp = out.as_slice();
            assert_eq!(get_varint(&mut inp).ok(), Some(v));
            assert!(inp.is_empty());
        }
        let mut too_long: &[u8] = &[0xFF; 11];
        assert!(get_varint(&mut too_long).is_err());
        let mut overflow: &[u8] = &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02];
        assert!(get_varint(&mut overflow).is_err());
        let mut truncated: &[u8] = &[0x80];
        assert!(get_varint(&mut truncated).is_err());
    }

    #[test]
    fn bytes_length_is_checked_before_reading() {
        let mut out = Vec::new();
        put_varint(&mut out, 1 << 40);
        out.extend_from_slice(b"abc");
        let mut inp = out.as_slice();
        assert!(get_bytes(&mut inp).is_err());
    }

    #[test]
    fn fnv_reference_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn unknown_tags_and_bad_zsets_fail() {
        let mut empty: &[u8] = &[];
        assert!(decode_value(9, &mut empty).is_err());
        // A NaN score can never be in a sorted set.
        let mut bad = vec![0u8, 1];
        put_bytes(&mut bad, b"m");
        bad.extend_from_slice(&f64::NAN.to_bits().to_le_bytes());
        assert!(decode_value(4, &mut bad.as_slice()).is_err());
    }

    #[test]
    fn zigzag_round_trip() {
        for v in [0i64, 1, -1, 63, -64, 64, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            put_ivarint(&mut out, v);
            let mut inp = out.as_slice();
            assert_eq!(get_ivarint(&mut inp).ok(), Some(v));
            assert!(inp.is_empty());
        }
    }

    #[test]
    fn counts_are_checked_against_the_input() {
        let mut out = Vec::new();
        put_varint(&mut out, 3);
        out.extend_from_slice(&[0; 5]);
        assert!(get_count(&mut out.as_slice(), 2).is_err(), "3 × 2 bytes > 5 left");
        assert_eq!(get_count(&mut out.as_slice(), 1).ok(), Some(3));
        let mut huge = Vec::new();
        put_varint(&mut huge, u64::MAX);
        assert!(get_count(&mut huge.as_slice(), 1).is_err());
    }
}
