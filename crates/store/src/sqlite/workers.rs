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
//!
//! Every connection has two files: the main database and the access file (schema `access`),
//! which holds the access events of partner calls that changed nothing (reads and most
//! denials) and the transparency log. SQLite makes a connection drop its page cache of a file
//! whenever another connection commits to that file, so keeping those frequent commits out of
//! the main file keeps the readers' caches of messages and conversations warm.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::rows::Prep;
use crate::StoreError;

type ReadJob = Box<dyn FnOnce(&Connection) + Send>;
type Completion = Box<dyn FnOnce(bool) + Send>;
type WriteJob = Box<dyn FnOnce(&Connection, &mut WriterState) -> Completion + Send>;

/// Which of the two files a batch wrote to (the syncer syncs only their WALs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Files {
    pub(super) main: bool,
    pub(super) access: bool,
}

impl Files {
    pub(super) const MAIN: Self = Self { main: true, access: false };
    pub(super) const ACCESS: Self = Self { main: false, access: true };

    fn add(&mut self, other: Self) {
        self.main |= other.main;
        self.access |= other.access;
    }
}

/// How the workers run: the largest batch, whether answers wait for an fsync, and how soon
/// erased content must leave the WAL.
pub(super) struct Tuning {
    pub(super) max_batch: usize,
    pub(super) durable: bool,
    pub(super) erase_within: std::time::Duration,
}

/// The WAL files of the main database and of the access file.
pub(super) struct WalPaths {
    pub(super) main: PathBuf,
    pub(super) access: PathBuf,
}

/// State that lives on the writer thread between transactions.
#[derive(Default)]
pub(super) struct WriterState {
    /// The newest event number of each person seen so far; reloaded on a miss.
    pub(super) event_seqs: HashMap<i64, i64>,
    /// A message was erased in this batch: once it commits, the checkpointer empties the WAL
    /// so the erased content's old page images go (see [`CHECKPOINT_EVERY`]).
    pub(super) erased: bool,
    /// The id the next access event gets, in either file: one sequence, so ids are unique
    /// across the two files and rise in commit order within each.
    pub(super) next_event_id: i64,
    /// The files the current batch wrote to.
    pub(super) wrote: Files,
    /// The log's right edge as the last integration left it (see [`super::log`]).
    pub(super) log: Option<LogTail>,
}

impl WriterState {
    /// Forgets what may describe writes that were just rolled back; it is read again from
    /// the tables when next needed.
    fn forget(&mut self) {
        self.event_seqs.clear();
        self.log = None;
    }
}

/// What the writer knows of the transparency log after an integration it made, so the next
/// one need not read it back. Valid only while nothing the writer did since was rolled back:
/// any rollback drops it. Should another process have extended the log meanwhile, the leaves
/// and hashes written from it collide with stored ones and the integration fails (and starts
/// over from the tables); it can never store a wrong tree.
#[derive(Debug, Default)]
pub(super) struct LogTail {
    /// Leaves in the log.
    pub(super) size: u64,
    /// Every access event with an id up to this one is in the log, or was rolled back.
    pub(super) through: i64,
    /// The subtree hashes the integration read or added: every hash the next one reads.
    pub(super) hashes: HashMap<(u8, u64), [u8; 32]>,
}

pub(super) struct Workers {
    writer: flume::Sender<WriteJob>,
    readers: flume::Sender<ReadJob>,
    alive: Arc<AtomicBool>,
    pub(super) stats: Arc<Counters>,
    /// Dropping this stops the checkpointer.
    _stop_checkpoints: flume::Sender<()>,
}

/// When the frames written to a WAL since it last started over pass this many bytes, the
/// checkpointer makes the next write start it over from its beginning (a RESTART checkpoint).
/// Under constant writes a passive checkpoint never catches the WAL's end, and readers keep
/// using its frames, so without this the file would only grow. A RESTART holds the writer as
/// long whatever this is (it copies what was written during the passive round before it: a few
/// milliseconds at 5,000 messages/s, tens at 10,000), so a larger WAL means fewer of those
/// stalls: at 5,000 messages/s (18 MB of frames a second) one every 3–4 s instead of every
/// second.
pub(super) const WAL_RESTART_BYTES: u64 = 64 * 1024 * 1024;

/// How many threads sync the WALs. Each takes the batches committed since it last looked and
/// syncs them, so with two a batch committed while one sync runs need not wait for it to end
/// before its own starts: it waits about one sync instead of one and a half. Each batch is
/// answered only by an fdatasync that began after it was committed, by whichever thread took
/// it. Syncs may end out of order, but a sync covers every write made before it began, so once
/// a batch is answered, every batch committed before it is durable too in the files this one
/// wrote. Events are all in the main file, so a WebSocket that gets an event ahead of one still
/// waiting reads the gap from the store, already durable. Each thread opens the WAL itself:
/// Linux reports a failed writeback to every open file, so neither can miss the other's error.
/// (Measured: 20,000 → 21,500 sends/s at 32 in flight; a third thread added nothing, the
/// disk's flushes do not overlap further.)
const SYNCERS: usize = 2;

/// An fdatasync slower than this is counted as slow (`WriteStats::slow_syncs`).
const SLOW_SYNC: std::time::Duration = std::time::Duration::from_millis(10);

/// How often the checkpointer copies the WAL back into the database file; also the longest an
/// erased message's content stays in the main WAL after its deletion commits (unless readers
/// keep the WAL busy; then the next round tries again). Erasures are not checkpointed one by
/// one on the writer, which held every write behind each deletion: the checkpointer empties
/// the WAL (a TRUNCATE checkpoint) once per round for all the deletions committed since its
/// last round, right after a passive round copied nearly everything, so the writer is held
/// for a few frames at most once per round however fast people delete.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(1000);

/// A busy handler that waits in short steps (up to about 10 s). SQLite's default one sleeps
/// 1, 2, 5, 10, 15, 20… ms, so a writer blocked for 3 ms by a RESTART checkpoint would lose 8.
pub(super) fn wait_briefly(attempt: i32) -> bool {
    thread::sleep(std::time::Duration::from_micros(100));
    attempt < 100_000
}

/// One round of the background checkpointer: copy what it can without blocking anyone, then,
/// if more than [`WAL_RESTART_BYTES`] of frames were written since the WAL last started over,
/// copy the few frames written meanwhile and wait (briefly blocking the writer) until readers
/// have left the WAL, so the next write starts it over. The file keeps its size and is
/// overwritten, never regrown. Returns how long the RESTART took, when there was one: SQLite
/// holds the WAL's write lock for all of it (the copy, the database file's fsync and the wait
/// for readers), so no write commits meanwhile.
///
/// The frames are counted, not the file's size: the file keeps its size after it starts over,
/// so a size test would hold the writer in every round from then on, busy or idle. The WAL
/// starts over only at the next write, so until then it still counts the frames it had:
/// `restarted` keeps that count from this file's last RESTART, and a round that finds the
/// same count (nothing written since) leaves the writer alone.
pub(super) fn checkpoint_round(
    checkpointer: &Connection,
    schema: &str,
    restarted: &mut Option<i64>,
) -> rusqlite::Result<Option<std::time::Duration>> {
    // Each checkpoint answers (busy, frames in the WAL since it started over, frames copied back).
    let checkpoint = |mode: &str| {
        checkpointer.query_row(&format!("PRAGMA {schema}.wal_checkpoint({mode})"), [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })
    };
    let (_, frames) = checkpoint("PASSIVE")?;
    let page: i64 = checkpointer.query_row(&format!("PRAGMA {schema}.page_size"), [], |r| r.get(0))?;
    // Each frame is a page behind a 24-byte header (SQLite's WAL format).
    let written = frames.max(0) as u64 * (page.max(0) as u64 + 24);
    if written <= WAL_RESTART_BYTES || *restarted == Some(frames) {
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let (busy, frames) = checkpoint("RESTART")?;
    let took = started.elapsed();
    // Busy: a reader kept the WAL in use to the end, so it does not start over yet.
    *restarted = (busy == 0).then_some(frames);
    Ok(Some(took))
}

/// Empties the main WAL after erasures: a passive round copies what it can without holding
/// anyone, then a TRUNCATE copies the rest and cuts the file to nothing, so no frame of an
/// erased message survives. True when done; false when readers kept the WAL in use (its
/// frames are all still there, and the next round tries again).
fn erase_round(checkpointer: &Connection, counters: &Counters) -> rusqlite::Result<bool> {
    checkpointer.query_row("PRAGMA main.wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    let started = std::time::Instant::now();
    let busy: i64 = checkpointer.query_row("PRAGMA main.wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    counters.restarts.record(started.elapsed());
    Ok(busy == 0)
}

/// A round of the checkpointer: with `may_erase`, an [`erase_round`] if messages were erased
/// since the last one; then a [`checkpoint_round`] of each file (`restarted` holds each one's
/// count), timing the RESTARTs in `counters`. A failed round is logged; the next one tries
/// again. Whether it emptied the WAL for erasures.
pub(super) fn checkpoint_both(
    checkpointer: &Connection,
    restarted: &mut [Option<i64>; 2],
    counters: &Counters,
    may_erase: bool,
) -> bool {
    let erasures = counters.erasures.load(Ordering::Acquire);
    let mut erased = false;
    if may_erase && erasures > *counters.erased.borrow() {
        match erase_round(checkpointer, counters) {
            Ok(true) => {
                restarted[0] = None;
                counters.erased.send_replace(erasures);
                erased = true;
            }
            Ok(false) => {}
            Err(e) => tracing::warn!("store: erasing checkpoint failed: {e}"),
        }
    }
    for (schema, restarted) in ["main", "access"].into_iter().zip(restarted) {
        match checkpoint_round(checkpointer, schema, restarted) {
            Ok(Some(took)) => counters.restarts.record(took),
            Ok(None) => {}
            Err(e) => tracing::warn!("store: background checkpoint of {schema} failed: {e}"),
        }
    }
    erased
}

/// Totals kept by the writer and the syncer, for metrics.
#[derive(Default)]
pub(super) struct Counters {
    writes: AtomicU64,
    batches: AtomicU64,
    commit_micros: AtomicU64,
    syncs: Timings,
    slow_syncs: AtomicU64,
    restarts: Timings,
    /// Committed batches that erased a message, counted by the writer.
    erasures: AtomicU64,
    /// How many of those the checkpointer has emptied the WAL after.
    erased: tokio::sync::watch::Sender<u64>,
}

/// How many times something ran, its total time and its longest, in microseconds.
#[derive(Default)]
struct Timings {
    count: AtomicU64,
    micros: AtomicU64,
    slowest_micros: AtomicU64,
}

impl Timings {
    fn record(&self, took: std::time::Duration) {
        let micros = took.as_micros() as u64;
        self.count.fetch_add(1, Ordering::Relaxed);
        self.micros.fetch_add(micros, Ordering::Relaxed);
        self.slowest_micros.fetch_max(micros, Ordering::Relaxed);
    }

    /// (count, total, longest).
    fn load(&self) -> (u64, u64, u64) {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        (get(&self.count), get(&self.micros), get(&self.slowest_micros))
    }
}

/// What the writer has done since the store opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Writes committed or failed.
    pub writes: u64,
    /// Transactions (each holding one or more writes).
    pub batches: u64,
    /// Time spent in COMMIT (writing the WAL, not syncing it), in microseconds.
    pub commit_micros: u64,
    /// fdatasyncs of the WAL (each makes every batch committed before it durable).
    pub syncs: u64,
    /// Time spent in them, in microseconds.
    pub sync_micros: u64,
    /// Those that took longer than 10 ms: a stalled disk holds every durable answer.
    pub slow_syncs: u64,
    /// The longest one, in microseconds.
    pub slowest_sync_micros: u64,
    /// RESTART checkpoints of either file (no write commits while one runs).
    pub restarts: u64,
    /// Time spent in them, in microseconds.
    pub restart_micros: u64,
    /// The longest one, in microseconds: the longest the writer was held by a checkpoint.
    pub slowest_restart_micros: u64,
}

impl Workers {
    pub(super) fn start(
        writer: Connection,
        readers: Vec<Connection>,
        checkpointer: Connection,
        wals: WalPaths,
        tuning: Tuning,
        next_event_id: i64,
    ) -> Result<Self, StoreError> {
        let Tuning { max_batch, durable, erase_within } = tuning;
        // With `durable`, answers wait for an fdatasync of the WAL done by syncer threads, so
        // the writer runs the next batch while the disk flushes the last one.
        let stats = Arc::new(Counters::default());
        let syncer = if durable {
            let (tx, rx) = flume::unbounded::<Synced>();
            let paths = Arc::new([wals.main, wals.access]);
            for i in 0..SYNCERS {
                let (paths, rx, counters) = (paths.clone(), rx.clone(), stats.clone());
                thread::Builder::new()
                    .name(format!("store-syncer-{i}"))
                    .spawn(move || sync_loop(&paths, &rx, &counters))
                    .map_err(|e| StoreError::Open(e.to_string()))?;
            }
            Some(tx)
        } else {
            None
        };
        let alive = Arc::new(AtomicBool::new(true));
        let (wtx, wrx) = flume::unbounded::<WriteJob>();
        let flag = alive.clone();
        let counters = stats.clone();
        thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                let mut state = WriterState { next_event_id, ..WriterState::default() };
                write_loop(&writer, &wrx, max_batch, &mut state, &counters, syncer.as_ref());
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
        let (stop, stopped) = flume::bounded::<()>(0);
        let counters = stats.clone();
        thread::Builder::new()
            .name("store-checkpointer".into())
            .spawn(move || {
                // Runs until the store is dropped (the channel disconnects).
                let mut restarted = [None, None];
                let every = CHECKPOINT_EVERY.min(erase_within.max(std::time::Duration::from_millis(10)));
                let mut last_erase = std::time::Instant::now();
                while let Err(flume::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    let may_erase = last_erase.elapsed() + every / 2 >= erase_within;
                    if checkpoint_both(&checkpointer, &mut restarted, &counters, may_erase) {
                        last_erase = std::time::Instant::now();
                    }
                }
            })
            .map_err(|e| StoreError::Open(e.to_string()))?;
        Ok(Self { writer: wtx, readers: rtx, alive, stats, _stop_checkpoints: stop })
    }

    pub(super) fn stats(&self) -> WriteStats {
        let (syncs, sync_micros, slowest_sync_micros) = self.stats.syncs.load();
        let (restarts, restart_micros, slowest_restart_micros) = self.stats.restarts.load();
        WriteStats {
            writes: self.stats.writes.load(Ordering::Relaxed),
            batches: self.stats.batches.load(Ordering::Relaxed),
            commit_micros: self.stats.commit_micros.load(Ordering::Relaxed),
            syncs,
            sync_micros,
            slow_syncs: self.stats.slow_syncs.load(Ordering::Relaxed),
            slowest_sync_micros,
            restarts,
            restart_micros,
            slowest_restart_micros,
        }
    }

    /// Resolves once every erasure committed so far is gone from the WAL (the checkpointer's
    /// next round after it, within about [`CHECKPOINT_EVERY`]).
    pub(super) async fn erasures_settled(&self) {
        let target = self.stats.erasures.load(Ordering::Acquire);
        let mut done = self.stats.erased.subscribe();
        let _ = done.wait_for(|n| *n >= target).await;
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

    /// Runs `f` inside the writer's current transaction; resolves after the commit. `f` writes
    /// to the main file.
    pub(super) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut WriterState) -> Result<T, StoreError> + Send + 'static,
    {
        self.write_to(Files::MAIN, f).await
    }

    /// [`Self::write`] for a job that writes only to the access file (unless it also marks
    /// `state.wrote.main`).
    pub(super) async fn write_access<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut WriterState) -> Result<T, StoreError> + Send + 'static,
    {
        self.write_to(Files::ACCESS, f).await
    }

    async fn write_to<T, F>(&self, files: Files, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut WriterState) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: WriteJob = Box::new(move |conn, state| {
            state.wrote.add(files);
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
        conn.prep("RELEASE job").and_then(|mut s| s.execute([])).map(|_| ())
    } else {
        conn.execute_batch("ROLLBACK TO job; RELEASE job")
    };
    if result.is_err() || end.is_err() {
        // What the writer keeps between jobs may describe what this one just undid.
        state.forget();
    }
    match end {
        Ok(()) => result,
        Err(e) => Err(e.into()),
    }
}

/// Runs `f` in one read transaction, so every query in it sees the same snapshot. The
/// statements are prepared once per connection rather than parsed on every call.
pub(super) fn in_snapshot<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.prep("BEGIN")?.execute([])?;
    let result = f(conn);
    // Ending a read transaction cannot lose anything; its error matters only if `f` succeeded.
    let end = conn.prep("COMMIT").and_then(|mut s| s.execute([]));
    let value = result?;
    end?;
    Ok(value)
}

/// A committed batch waiting for the WALs it wrote to reach the disk.
struct Synced {
    completions: Vec<Completion>,
    files: Files,
}

/// One syncer: makes committed batches durable, one fdatasync of each WAL written to by the
/// batches that arrived since this thread last took any, then their answers. A failed sync
/// fails them all.
fn sync_loop(wal_paths: &[PathBuf; 2], batches: &flume::Receiver<Synced>, stats: &Counters) {
    let mut wals: [Option<std::fs::File>; 2] = [None, None];
    while let Ok(first) = batches.recv() {
        let mut ready = vec![first];
        ready.extend(batches.try_iter());
        let mut files = Files::default();
        ready.iter().for_each(|b| files.add(b.files));
        let mut synced = true;
        for (i, wanted) in [files.main, files.access].into_iter().enumerate() {
            if !wanted {
                continue;
            }
            if wals[i].is_none() {
                wals[i] = std::fs::OpenOptions::new().write(true).open(&wal_paths[i]).ok();
            }
            let started = std::time::Instant::now();
            let result = wals[i].as_ref().map(std::fs::File::sync_data);
            let took = started.elapsed();
            stats.syncs.record(took);
            if took > SLOW_SYNC {
                stats.slow_syncs.fetch_add(1, Ordering::Relaxed);
            }
            if !matches!(result, Some(Ok(()))) {
                tracing::error!("store: cannot sync {}: {result:?}", wal_paths[i].display());
                synced = false;
            }
        }
        for done in ready.into_iter().flat_map(|b| b.completions) {
            done(synced);
        }
    }
}

fn write_loop(
    conn: &Connection,
    jobs: &flume::Receiver<WriteJob>,
    max_batch: usize,
    state: &mut WriterState,
    stats: &Counters,
    syncer: Option<&flume::Sender<Synced>>,
) {
    let mut batch: Vec<WriteJob> = Vec::with_capacity(max_batch);
    while let Ok(first) = jobs.recv() {
        batch.push(first);
        // Whatever is already queued joins the batch, but the writer never waits for more:
        // the syncer already makes every commit that lands during one fsync durable with the
        // next, so waiting here would only add latency.
        batch.extend(jobs.try_iter().take(max_batch.saturating_sub(1)));
        // Prepared once and reused, like every statement in a batch.
        let began = conn.prep("BEGIN IMMEDIATE").and_then(|mut s| s.execute([])).is_ok();
        state.wrote = Files::default();
        let mut completions: Vec<Completion> = Vec::with_capacity(batch.len());
        for job in batch.drain(..) {
            if began {
                completions.push(job(conn, state));
            } else {
                // Could not even begin: answer without running.
                completions.push(Box::new(|_| ()));
                drop(job);
            }
        }
        let commit_started = std::time::Instant::now();
        let committed = began && conn.prep("COMMIT").and_then(|mut s| s.execute([])).is_ok();
        stats.commit_micros.fetch_add(commit_started.elapsed().as_micros() as u64, Ordering::Relaxed);
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.writes.fetch_add(completions.len() as u64, Ordering::Relaxed);
        if !committed {
            let _ = conn.execute_batch("ROLLBACK");
            state.forget();
            tracing::error!("store: batch of {} writes failed to commit", completions.len());
        }
        match syncer {
            Some(syncer) if committed => {
                if let Err(flume::SendError(s)) = syncer.send(Synced { completions, files: state.wrote }) {
                    s.completions.into_iter().for_each(|done| done(false));
                }
            }
            _ => completions.into_iter().for_each(|done| done(committed)),
        }
        // After an erasure, the checkpointer empties the WAL so the old page images go.
        if state.erased {
            state.erased = false;
            if committed {
                stats.erasures.fetch_add(1, Ordering::AcqRel);
            }
        }
    }
}
