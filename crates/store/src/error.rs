//! The store's error type. Constraint violations become domain-level variants here, so the
//! services never match on driver errors.

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A uniqueness rule was broken, e.g. a handle already taken.
    #[error("conflict: {what} already exists")]
    Conflict {
        /// What already exists.
        what: &'static str,
    },
    /// The thing the call works on does not exist (or the caller may not see it).
    #[error("not found: {what}")]
    NotFound {
        /// What was missing.
        what: &'static str,
    },
    /// The store has shut down or its worker thread is gone.
    #[error("store is closed")]
    Closed,
    /// The transaction holding this write failed to commit; nothing of it was written.
    #[error("transaction failed to commit")]
    CommitFailed,
    /// Stored data did not decode into a domain value; a bug or a corrupt file.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database itself failed.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// Opening or migrating the database failed.
    #[error("cannot open store: {0}")]
    Open(String),
}
