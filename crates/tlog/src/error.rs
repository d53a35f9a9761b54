//! The library's one error type.

/// Why a tlog operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An index or size is outside the tree (e.g. an inclusion proof for a leaf past the end).
    #[error("index or size out of range")]
    OutOfRange,
    /// A hash the computation needs is not stored.
    #[error("hash at level {level}, index {index} is missing")]
    MissingHash {
        /// Its level (0 = leaves).
        level: u8,
        /// Its index within the level.
        index: u64,
    },
    /// A proof has the wrong length or does not lead to the expected root.
    #[error("proof does not verify")]
    BadProof,
    /// A checkpoint body is malformed.
    #[error("malformed checkpoint: {0}")]
    Checkpoint(&'static str),
    /// A signed note is malformed, unsigned by the expected key or has a bad signature.
    #[error("signed note rejected: {0}")]
    Note(String),
    /// A key is malformed.
    #[error("malformed key: {0}")]
    Key(String),
    /// A tile path is malformed.
    #[error("malformed tile path")]
    TilePath,
}
