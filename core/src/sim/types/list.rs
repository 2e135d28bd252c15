//! The in-memory representation of Redis lists (LPUSH, BLPOP …).
//! Owned by the command family that operates on it; every type offers `len`, `mem_usage`
//! (bytes, for MEMORY USAGE and maxmemory) and `encoding` (the name OBJECT ENCODING reports).

/// Placeholder until the family lands.
#[derive(Debug, Clone, Default)]
pub struct List {}

impl List {
    /// Number of elements.
    pub fn len(&self) -> usize {
        0
    }

    /// True when empty (Redis deletes empty aggregates).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate bytes used.
    pub fn mem_usage(&self) -> usize {
        std::mem::size_of::<Self>()
    }

    /// OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }
}
