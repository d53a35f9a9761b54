//! The SQLite store: one file in WAL mode, one writer thread that batches concurrent writes
//! into one transaction (group commit), and a few reader threads with their own connections.
//!
//! Every query is written with `$n` placeholders in the dialect SQLite and PostgreSQL share.

mod access;
mod accounts;
mod conversations;
mod events;
mod grants;
mod log;
mod messages;
mod partners;
mod recommendations;
mod rows;
mod social;
mod workers;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;

use crate::StoreError;
use workers::Workers;
pub use workers::WriteStats;

/// How durable an acknowledged write is. SQLite itself runs with `synchronous = NORMAL` in WAL
/// mode (no corruption on power loss, last commits may be lost); with `Full` the store adds an
/// fdatasync of the WAL before it answers, on a thread of its own so the next batch runs meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Synchronous {
    /// Answer only after the WAL reached the disk: an acknowledged write survives power loss.
    #[default]
    Full,
    /// Answer after the commit reached the OS: an acknowledged write survives a process crash
    /// (`kill -9`), not a power cut.
    Normal,
}

/// How to open the SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// The database file.
    pub path: PathBuf,
    /// Reader threads (and connections).
    pub readers: usize,
    /// Most writes committed in one transaction.
    pub max_batch: usize,
    /// Sync level.
    pub synchronous: Synchronous,
}

impl SqliteOptions {
    /// Defaults for a database file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), readers: 4, max_batch: 512, synchronous: Synchronous::Full }
    }
}

/// The SQLite implementation of every store trait. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    workers: Arc<Workers>,
}

/// The migrations, in order. Files are never edited once released; add a new one instead.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_core", include_str!("../../migrations/sqlite/0001_core.sql")),
    ("0002_partners", include_str!("../../migrations/sqlite/0002_partners.sql")),
    ("0003_recommendations", include_str!("../../migrations/sqlite/0003_recommendations.sql")),
    ("0004_report_zone", include_str!("../../migrations/sqlite/0004_report_zone.sql")),
];

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database, then starts the worker threads.
    pub fn open(options: SqliteOptions) -> Result<Self, StoreError> {
        let mut writer = connect(&options.path, false)?;
        migrate(&mut writer)?;
        let mut readers = Vec::with_capacity(options.readers.max(1));
        for _ in 0..options.readers.max(1) {
            readers.push(connect(&options.path, true)?);
        }
        // The writer never checkpoints inside a commit; a thread of its own copies the WAL back
        // into the database file in the background, on the other core, and starts it over once
        // it is past WAL_RESTART_BYTES. The file is kept (up to 4 times that) when it starts
        // over: overwriting it is cheaper to sync than growing it again.
        writer.execute_batch(&format!(
            "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {};",
            4 * workers::WAL_RESTART_BYTES
        ))?;
        let checkpointer = connect(&options.path, false)?;
        let mut wal = options.path.clone().into_os_string();
        wal.push("-wal");
        let workers = Workers::start(
            writer,
            readers,
            checkpointer,
            wal.into(),
            options.max_batch.max(1),
            options.synchronous == Synchronous::Full,
        )?;
        Ok(Self { workers: Arc::new(workers) })
    }

    /// What the writer has done so far (for metrics).
    pub fn write_stats(&self) -> WriteStats {
        self.workers.stats()
    }

    /// Whether the worker threads are alive.
    pub fn is_ready(&self) -> bool {
        self.workers.is_alive()
    }
}

fn connect(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
    // Small pages: a commit writes every page it touched to the WAL, and a message touches a
    // few B-tree leaves, so smaller pages mean far fewer bytes written per message.
    // secure_delete zeroes freed content, so an erased message body does not linger in the file.
    // The writer keeps a small page cache: SQLite walks the cache's hash table at the end of
    // every write transaction, so a big one costs time on each commit.
    let cache_kib = if read_only { 16_000 } else { 2_000 };
    conn.execute_batch(&format!(
        "PRAGMA page_size = 1024;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA cache_size = -{cache_kib};
         PRAGMA temp_store = MEMORY;"
    ))?;
    if read_only {
        // Every commit (a partner read records an access event) makes SQLite drop each reader's
        // page cache; with the file memory-mapped, re-reading a page is a memory access instead
        // of a pread and a copy.
        conn.execute_batch("PRAGMA query_only = ON; PRAGMA mmap_size = 1073741824;")?;
    }
    conn.busy_handler(Some(workers::wait_briefly))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )?;
    for (name, sql) in MIGRATIONS {
        let tx = conn.transaction()?;
        let done: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = $1)", [name], |r| r.get(0))?;
        if !done {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES ($1, CAST(strftime('%s','now') AS INTEGER) * 1000)",
                [name],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
