//! A transparency log library that knows nothing of Clearline: RFC 9162 (and RFC 6962) Merkle
//! tree hashing, inclusion and consistency proofs with their verification, C2SP
//! `tlog-checkpoint` checkpoints signed as C2SP `signed-note`s with Ed25519, and C2SP
//! `tlog-tiles` paths. Sans-I/O: callers store hashes wherever they like and hand them in
//! through [`HashReader`].
//!
//! # Layout
//! - [`hash`]: [`Hash`], leaf and node hashing (RFC 9162 §2.1.1).
//! - [`tree`]: tree heads and proofs computed from stored complete-subtree hashes
//!   (RFC 9162 §2.1.3.1, §2.1.4.1), and [`MemoryTree`], a whole tree in memory.
//! - [`proof`]: verifying inclusion and consistency proofs (RFC 9162 §2.1.3.2, §2.1.4.2).
//! - [`checkpoint`]: the checkpoint body (C2SP tlog-checkpoint).
//! - [`note`]: signing and opening checkpoints as signed notes (C2SP signed-note, Ed25519).
//! - [`proof_file`]: inclusion proofs as C2SP `tlog-proof@v1` files.
//! - [`tiles`]: tile and entry-bundle paths and tile contents (C2SP tlog-tiles).
//! - [`error`]: the error type, [`Error`].

pub mod checkpoint;
pub mod error;
pub mod hash;
pub mod note;
pub mod proof;
pub mod proof_file;
pub mod tiles;
pub mod tree;

pub use checkpoint::Checkpoint;
pub use error::Error;
pub use hash::{Hash, leaf_hash, node_hash};

pub use proof::{verify_consistency, verify_inclusion};
pub use proof_file::ProofFile;
pub use tree::{HashReader, MemoryTree, consistency_proof, inclusion_proof, tree_hash};
