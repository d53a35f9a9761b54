//! The SQLite store: two files in WAL mode (the main database, and the access file with the
//! access events of calls that changed nothing and the transparency log), one writer thread
//! that batches concurrent writes into one transaction (group commit), and a few reader
//! threads with their own connections.
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
mod token_cache;
mod workers;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;

use crate::StoreError;
pub use workers::WriteStats;
use workers::{Tuning, WalPaths, Workers};

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
    /// The main database file. The access file sits next to it (see [`Self::access_path`]).
    pub path: PathBuf,
    /// Reader threads (and connections).
    pub readers: usize,
    /// Most writes committed in one transaction.
    pub max_batch: usize,
    /// Sync level.
    pub synchronous: Synchronous,
    /// The longest an erased message's content may stay in the main WAL after its deletion
    /// commits: the checkpointer empties the WAL at most this often, for all deletions since.
    pub erase_within: std::time::Duration,
}

impl SqliteOptions {
    /// Defaults for a database file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            readers: 4,
            max_batch: 512,
            synchronous: Synchronous::Full,
            erase_within: std::time::Duration::from_secs(1),
        }
    }

    /// The access file: the main file's name with `-access` before its extension
    /// (`clearline.sqlite3` → `clearline-access.sqlite3`).
    pub fn access_path(&self) -> PathBuf {
        let stem = self.path.file_stem().unwrap_or_default().to_string_lossy();
        let name = match self.path.extension() {
            Some(ext) => format!("{stem}-access.{}", ext.to_string_lossy()),
            None => format!("{stem}-access"),
        };
        self.path.with_file_name(name)
    }
}

/// The SQLite implementation of every store trait. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    workers: Arc<Workers>,
    /// Access-token records between partner calls (see [`token_cache`]).
    tokens: Arc<token_cache::TokenCache>,
}

/// One schema change of one of the two files.
struct Migration {
    /// `main` or `access`: the file whose `schema_migrations` records it.
    schema: &'static str,
    name: &'static str,
    sql: &'static str,
}

/// A migration of `schema` named `name`, read from `migrations/sqlite/{dir}{name}.sql`.
macro_rules! migration {
    ($schema:literal, $dir:literal, $name:literal) => {
        Migration {
            schema: $schema,
            name: $name,
            sql: include_str!(concat!("../../migrations/sqlite/", $dir, $name, ".sql")),
        }
    };
}

/// The migrations of both files, in the order they run. Files are never edited once
/// released; add a new one instead. `access/0001` copies the log out of the main file, and
/// `0005` then removes it there.
const MIGRATIONS: &[Migration] = &[
    migration!("main", "", "0001_core"),
    migration!("main", "", "0002_partners"),
    migration!("main", "", "0003_recommendations"),
    migration!("main", "", "0004_report_zone"),
    migration!("access", "access/", "0001_access"),
    migration!("main", "", "0005_access_file"),
    migration!("main", "", "0006_auth_epoch"),
];

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database, then starts the worker threads.
    pub fn open(options: SqliteOptions) -> Result<Self, StoreError> {
        let access = options.access_path();
        let mut writer = connect(&options.path, &access, false)?;
        migrate(&mut writer, MIGRATIONS)?;
        let next_event_id: i64 = writer.query_row(
            "SELECT MAX(COALESCE((SELECT MAX(id) FROM main.access_events), 0),
                        COALESCE((SELECT MAX(id) FROM access.events), 0)) + 1",
            [],
            |r| r.get(0),
        )?;
        let mut readers = Vec::with_capacity(options.readers.max(1));
        for _ in 0..options.readers.max(1) {
            readers.push(connect(&options.path, &access, true)?);
        }
        // The writer never checkpoints inside a commit; a thread of its own copies the WAL back
        // into the database file in the background, on the other core, and starts it over once
        // WAL_RESTART_BYTES of frames were written to it since it last did. The file is kept (up
        // to twice that) when it starts over: overwriting it is cheaper to sync than growing it
        // again.
        let limit = 2 * workers::WAL_RESTART_BYTES;
        writer.execute_batch(&format!(
            "PRAGMA wal_autocheckpoint = 0;
             PRAGMA main.journal_size_limit = {limit}; PRAGMA access.journal_size_limit = {limit};"
        ))?;
        let checkpointer = connect(&options.path, &access, false)?;
        let wal = |p: &Path| {
            let mut wal = p.as_os_str().to_owned();
            wal.push("-wal");
            PathBuf::from(wal)
        };
        let workers = Workers::start(
            writer,
            readers,
            checkpointer,
            WalPaths { main: wal(&options.path), access: wal(&access) },
            Tuning {
                max_batch: options.max_batch.max(1),
                durable: options.synchronous == Synchronous::Full,
                erase_within: options.erase_within,
            },
            next_event_id,
        )?;
        Ok(Self { workers: Arc::new(workers), tokens: Arc::default() })
    }

    /// What the writer has done so far (for metrics).
    pub fn write_stats(&self) -> WriteStats {
        self.workers.stats()
    }

    /// Resolves once the content of every message erased so far is gone from the WAL too
    /// (the checkpointer's next round, within about a second).
    pub async fn erasures_settled(&self) {
        self.workers.erasures_settled().await;
    }

    /// Whether the worker threads are alive.
    pub fn is_ready(&self) -> bool {
        self.workers.is_alive()
    }
}

/// A connection to the main file with the access file attached as schema `access`.
fn connect(path: &Path, access: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
    let access_name =
        access.to_str().ok_or_else(|| StoreError::Open(format!("{}: not a UTF-8 path", access.display())))?;
    conn.execute("ATTACH DATABASE $1 AS access", [access_name])
        .map_err(|e| StoreError::Open(format!("{}: {e}", access.display())))?;
    // Small pages: a commit writes every page it touched to the WAL, and a message touches a
    // few B-tree leaves, so smaller pages mean far fewer bytes written per message.
    // secure_delete zeroes freed content, so an erased message body does not linger in the file.
    // The writer keeps a small page cache: SQLite walks the cache's hash table at the end of
    // every write transaction, so a big one costs time on each commit.
    let (main_kib, access_kib) = if read_only { (16_000, 2_000) } else { (2_000, 1_000) };
    for (schema, cache_kib) in [("main", main_kib), ("access", access_kib)] {
        conn.execute_batch(&format!(
            "PRAGMA {schema}.page_size = 1024;
             PRAGMA {schema}.journal_mode = WAL;
             PRAGMA {schema}.synchronous = NORMAL;
             PRAGMA {schema}.secure_delete = ON;
             PRAGMA {schema}.cache_size = -{cache_kib};"
        ))?;
        if read_only {
            // A commit by another connection makes SQLite drop a reader's page cache of that
            // file; with the file memory-mapped, re-reading a page is a memory access instead
            // of a pread and a copy.
            conn.execute_batch(&format!("PRAGMA {schema}.mmap_size = 1073741824;"))?;
        }
    }
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;")?;
    if read_only {
        conn.execute_batch("PRAGMA query_only = ON;")?;
    }
    conn.busy_handler(Some(workers::wait_briefly))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Runs each of `migrations` not yet recorded in its file, in order, each in a transaction of
/// its own.
fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<(), StoreError> {
    for schema in ["main", "access"] {
        conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)"
        ))?;
    }
    for m in migrations {
        let tx = conn.transaction()?;
        let done: bool = tx.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM {}.schema_migrations WHERE name = $1)", m.schema),
            [m.name],
            |r| r.get(0),
        )?;
        if !done {
            tx.execute_batch(m.sql).map_err(|e| StoreError::Open(format!("migration {}/{}: {e}", m.schema, m.name)))?;
            tx.execute(
                &format!(
                    "INSERT INTO {}.schema_migrations (name, applied_at)
                     VALUES ($1, CAST(strftime('%s','now') AS INTEGER) * 1000)",
                    m.schema
                ),
                [m.name],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
