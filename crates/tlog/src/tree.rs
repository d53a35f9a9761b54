//! Tree heads and proofs computed from stored hashes (RFC 9162 §2.1.2–§2.1.4).
//!
//! A log stores the hash of every complete subtree: level 0 holds the leaf hashes, level `l`
//! index `i` the hash of leaves `[i·2^l, (i+1)·2^l)`. Everything else (the head of any tree
//! size, any proof) follows from O(log n) of them, so proofs cost the same at ten million
//! leaves as at ten.

use crate::{Error, Hash, node_hash};

/// Reads stored complete-subtree hashes.
pub trait HashReader {
    /// The hash of the complete subtree at `level`, `index`.
    fn read_hash(&self, level: u8, index: u64) -> Result<Hash, Error>;
}

/// The largest power of two strictly below `n` (`n >= 2`), the split point of RFC 9162 §2.1.1.
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH of leaves `[start, end)`, where `start` is a multiple of the largest power of two not
/// above `end - start` (true of every range the RFC recursion visits).
fn subtree(r: &impl HashReader, start: u64, end: u64) -> Result<Hash, Error> {
    let n = end - start;
    if n.is_power_of_two() && start.is_multiple_of(n) {
        return r.read_hash(n.trailing_zeros() as u8, start / n);
    }
    let k = split(n);
    Ok(node_hash(&subtree(r, start, start + k)?, &subtree(r, start + k, end)?))
}

/// The tree head (MTH) of the first `size` leaves.
pub fn tree_hash(r: &impl HashReader, size: u64) -> Result<Hash, Error> {
    if size == 0 { Ok(Hash::empty()) } else { subtree(r, 0, size) }
}

fn path(r: &impl HashReader, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) -> Result<(), Error> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(r, m, start, start + k, out)?;
        out.push(subtree(r, start + k, end)?);
    } else {
        path(r, m - k, start + k, end, out)?;
        out.push(subtree(r, start, start + k)?);
    }
    Ok(())
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1).
pub fn inclusion_proof(r: &impl HashReader, index: u64, size: u64) -> Result<Vec<Hash>, Error> {
    if index >= size {
        return Err(Error::OutOfRange);
    }
    let mut out = Vec::with_capacity(64);
    path(r, index, 0, size, &mut out)?;
    Ok(out)
}

fn subproof(r: &impl HashReader, m: u64, start: u64, end: u64, whole: bool, out: &mut Vec<Hash>) -> Result<(), Error> {
    let n = end - start;
    if m == n {
        if !whole {
            out.push(subtree(r, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(r, m, start, start + k, whole, out)?;
        out.push(subtree(r, start + k, end)?);
    } else {
        subproof(r, m - k, start + k, end, false, out)?;
        out.push(subtree(r, start, start + k)?);
    }
    Ok(())
}

/// The proof that the tree of `old` leaves is a prefix of the tree of `new` leaves
/// (RFC 9162 §2.1.4.1). Empty when the sizes are equal.
pub fn consistency_proof(r: &impl HashReader, old: u64, new: u64) -> Result<Vec<Hash>, Error> {
    if old == 0 || old > new {
        return Err(Error::OutOfRange);
    }
    let mut out = Vec::with_capacity(64);
    subproof(r, old, 0, new, true, &mut out)?;
    Ok(out)
}

/// A whole tree kept in memory: every level of complete-subtree hashes. For tests, tools and
/// small logs; a server keeps the same hashes in tiles.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf hash and completes every subtree it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut level = 0;
        let mut hash = leaf;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(hash);
            if !row.len().is_multiple_of(2) {
                return;
            }
            hash = node_hash(&row[row.len() - 2], &row[row.len() - 1]);
            level += 1;
        }
    }

    /// The head of the whole tree.
    pub fn root(&self) -> Hash {
        tree_hash(self, self.size()).unwrap_or_else(|_| Hash::empty())
    }
}

impl HashReader for MemoryTree {
    fn read_hash(&self, level: u8, index: u64) -> Result<Hash, Error> {
        self.levels
            .get(usize::from(level))
            .and_then(|row| row.get(usize::try_from(index).ok()?))
            .copied()
            .ok_or(Error::MissingHash { level, index })
    }
}
