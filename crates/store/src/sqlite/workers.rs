//! The threads that own the SQLite connections.
//!
//! Writes go to one writer thread. It takes the first waiting job, then every job queued behind
//! it (up to a batch limit), runs each inside its own savepoint of one `BEGIN IMMEDIATE`
//! transaction, commits once and only then answers every caller. A job that fails rolls back
//! to its savepoint and leaves the others untouched; a failed commit fails them all. Under
//! load this turns many small fsyncs into one (group commit).
//!
//! Reads go to a pool of reader threads fed from one queue; in WAL mode they never block the
//! writer and always see the last committed state.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::rows::Prep;
use crate::StoreError;

type ReadJob = Box<dyn FnOnce(&Connection) + Send>;
type Completion = Box<dyn FnOnce(bool) + Send>;
type WriteJob = Box<dyn FnOnce(&Connection, &mut WriterState) -> Completion + Send>;

/// State that lives on the writer thread between transactions.
#[derive(Default)]
pub(super) struct WriterState {
    /// The newest event number of each person seen so far; reloaded on a miss.
    pub(super) event_seqs: HashMap<i64, i64>,
    /// A message was erased in this batch: checkpoint the WAL after commit so its old
    /// content does not stay in the log file.
    pub(super) erased: bool,
}

pub(super) struct Workers {
    writer: flume::Sender<WriteJob>,
    readers: flume::Sender<ReadJob>,
    alive: Arc<AtomicBool>,
}

impl Workers {
    pub(super) fn start(writer: Connection, readers: Vec<Connection>, max_batch: usize) -> Result<Self, StoreError> {
        let alive = Arc::new(AtomicBool::new(true));
        let (wtx, wrx) = flume::unbounded::<WriteJob>();
        let flag = alive.clone();
        thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                write_loop(&writer, &wrx, max_batch);
                flag.store(false, Ordering::SeqCst);
            })
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let (rtx, rrx) = flume::unbounded::<ReadJob>();
        for (i, conn) in readers.into_iter().enumerate() {
            let rrx = rrx.clone();
            thread::Builder::new()
                .name(format!("store-reader-{i}"))
                .spawn(move || {
                    while let Ok(job) = rrx.recv() {
                        job(&conn);
                    }
                })
                .map_err(|e| StoreError::Open(e.to_string()))?;
        }
        Ok(Self { writer: wtx, readers: rtx, alive })
    }

    pub(super) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Runs `f` on a reader connection.
    pub(super) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.readers
            .send(Box::new(move |conn| {
                let _ = tx.send(f(conn));
            }))
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` inside the writer's current transaction; resolves after the commit.
    pub(super) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut WriterState) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: WriteJob = Box::new(move |conn, state| {
            let result = in_savepoint(conn, state, f);
            Box::new(move |committed| {
                let _ = tx.send(if committed { result } else { Err(StoreError::CommitFailed) });
            })
        });
        self.writer.send(job).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

fn in_savepoint<T>(
    conn: &Connection,
    state: &mut WriterState,
    f: impl FnOnce(&Connection, &mut WriterState) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.prep("SAVEPOINT job")?.execute([])?;
    let result = f(conn, state);
    let end = if result.is_ok() {
        conn.prep("RELEASE job")?.execute([]).map(|_| ())
    } else {
        // The cached event numbers may include ones this job took; reload them from the table.
        state.event_seqs.clear();
        conn.execute_batch("ROLLBACK TO job; RELEASE job")
    };
    match end {
        Ok(()) => result,
        Err(e) => Err(e.into()),
    }
}

fn write_loop(conn: &Connection, jobs: &flume::Receiver<WriteJob>, max_batch: usize) {
    let mut state = WriterState::default();
    let mut batch: Vec<WriteJob> = Vec::with_capacity(max_batch);
    while let Ok(first) = jobs.recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let began = conn.execute_batch("BEGIN IMMEDIATE").is_ok();
        let mut completions: Vec<Completion> = Vec::with_capacity(batch.len());
        for job in batch.drain(..) {
            if began {
                completions.push(job(conn, &mut state));
            } else {
                // Could not even begin: answer without running.
                completions.push(Box::new(|_| ()));
                drop(job);
            }
        }
        let committed = began && conn.execute_batch("COMMIT").is_ok();
        if !committed {
            let _ = conn.execute_batch("ROLLBACK");
            state.event_seqs.clear();
            tracing::error!("store: batch of {} writes failed to commit", completions.len());
        }
        for done in completions {
            done(committed);
        }
        if committed && state.erased {
            state.erased = false;
            if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
                tracing::warn!("store: checkpoint after erasure failed: {e}");
            }
        }
    }
}
