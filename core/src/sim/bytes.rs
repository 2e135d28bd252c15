//! `SmallBytes`: the byte string used for keys and string values. Up to 22 bytes live inline in
//! the 24-byte value (no heap allocation), which keeps a small key plus a small value inside one
//! keyspace slot; longer strings are boxed, and strings that grow (APPEND, SETRANGE) switch to a
//! growable buffer so repeated appends stay amortised O(1). The variant also tells
//! `OBJECT ENCODING` whether a string was modified in place ("raw").

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

const INLINE: usize = 22;

/// A compact immutable-or-growable byte string.
#[derive(Clone)]
pub enum SmallBytes {
    /// Up to 22 bytes stored in place.
    Inline {
        /// How many bytes of `data` are used.
        len: u8,
        /// The bytes, zero-padded.
        data: [u8; INLINE],
    },
    /// Longer strings created in one piece.
    Boxed(Box<[u8]>),
    /// Strings that were modified in place (APPEND, SETRANGE, SETBIT …).
    Growable(Box<Vec<u8>>),
}

impl SmallBytes {
    /// Copies `b` into the most compact form.
    pub fn new(b: &[u8]) -> SmallBytes {
        if b.len() <= INLINE {
            let mut data = [0u8; INLINE];
            data[..b.len()].copy_from_slice(b);
            SmallBytes::Inline { len: b.len() as u8, data }
        } else {
            SmallBytes::Boxed(b.into())
        }
    }

    /// Takes ownership of a vector, inlining it when short.
    pub fn from_vec(v: Vec<u8>) -> SmallBytes {
        if v.len() <= INLINE {
            SmallBytes::new(&v)
        } else {
            SmallBytes::Boxed(v.into_boxed_slice())
        }
    }

    /// A string built in place (SETRANGE/SETBIT/BITOP/PFADD creating a key): Redis gives such
    /// strings the "raw" encoding whatever their length, and so does OBJECT ENCODING here.
    pub fn raw(v: Vec<u8>) -> SmallBytes {
        SmallBytes::Growable(Box::new(v))
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, data } => &data[..*len as usize],
            SmallBytes::Boxed(b) => b,
            SmallBytes::Growable(v) => v,
        }
    }

    /// A mutable growable buffer, converting in place if needed (Redis turns such a string "raw").
    pub fn make_mut(&mut self) -> &mut Vec<u8> {
        if !matches!(self, SmallBytes::Growable(_)) {
            let v = self.as_slice().to_vec();
            *self = SmallBytes::Growable(Box::new(v));
        }
        match self {
            SmallBytes::Growable(v) => v,
            _ => unreachable!("converted to Growable just above"),
        }
    }

    /// True when the string was modified in place.
    pub fn is_raw(&self) -> bool {
        matches!(self, SmallBytes::Growable(_))
    }

    /// Heap bytes owned beyond the inline slot, for MEMORY USAGE and maxmemory accounting.
    pub fn heap_size(&self) -> usize {
        match self {
            SmallBytes::Inline { .. } => 0,
            SmallBytes::Boxed(b) => b.len(),
            SmallBytes::Growable(v) => v.capacity() + std::mem::size_of::<Vec<u8>>(),
        }
    }

    /// Copies out into a vector.
    pub fn to_vec(&self) -> Vec<u8> {
        self.as_slice().to_vec()
    }
}

impl Deref for SmallBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for SmallBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for SmallBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SmallBytes {}

impl PartialOrd for SmallBytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallBytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Hash for SmallBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(b: &[u8]) -> Self {
        SmallBytes::new(b)
    }
}

impl From<Vec<u8>> for SmallBytes {
    fn from(v: Vec<u8>) -> Self {
        SmallBytes::from_vec(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_layout() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        assert_eq!(std::mem::size_of::<Option<SmallBytes>>(), 24);
    }

    #[test]
    fn inline_boxed_growable() {
        let s = SmallBytes::new(b"hello");
        assert!(matches!(s, SmallBytes::Inline { .. }));
        let mut l = SmallBytes::new(&[7u8; 40]);
        assert!(matches!(l, SmallBytes::Boxed(_)));
        l.make_mut().push(1);
        assert_eq!(l.len(), 41);
        assert!(l.is_raw());
    }
}
