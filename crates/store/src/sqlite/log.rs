//! [`LogStore`] on SQLite: the transparency log's subtree hashes and checkpoints, and the
//! assignment of access events (from either file) to leaves, all in the access file. An append
//! is one transaction of that file, so after a crash the log is at one of its checkpoints,
//! never between two; it never writes to the main file.

use std::cell::RefCell;
use std::collections::HashMap;

use clearline_domain::{AccessEvent, AccessEventId, Timestamp};
use rusqlite::{Connection, OptionalExtension};

use super::SqliteStore;
use super::access::{EVENT_COLS, EventFile, access_event, as_stored, insert_event};
use super::rows::{Prep, corrupt};
use super::workers::LogTail;
use crate::StoreError;
use crate::partner::{EventToRecord, HashLookup, Integrated, LogAppend, LogBatch, LogCheckpoint, LogStore};
use crate::traits::StoreResult;

fn hash32(bytes: Vec<u8>) -> rusqlite::Result<[u8; 32]> {
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| corrupt("hash"))
}

fn head(c: &Connection) -> Result<Option<LogCheckpoint>, StoreError> {
    Ok(c.prep("SELECT size, root, note, created_at FROM access.log_checkpoints ORDER BY size DESC LIMIT 1")?
        .query_row([], |r| {
            Ok(LogCheckpoint {
                size: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                root: hash32(r.get(1)?)?,
                note: r.get(2)?,
                created_at: Timestamp::from_millis(r.get(3)?),
            })
        })
        .optional()?)
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl LogStore for SqliteStore {
    async fn log_head(&self) -> StoreResult<Option<LogCheckpoint>> {
        self.workers.read(head).await
    }

    async fn log_start(&self, empty: LogCheckpoint) -> StoreResult<bool> {
        if empty.size != 0 {
            return Err(StoreError::Conflict { what: "a first checkpoint of a non-empty tree" });
        }
        self.workers
            .write_access(move |c, _| {
                let n = c
                    .prep(
                        "INSERT INTO access.log_checkpoints (size, root, note, created_at)
                         SELECT 0, $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM access.log_checkpoints)",
                    )?
                    .execute(rusqlite::params![empty.root.as_slice(), empty.note, empty.created_at.millis()])?;
                Ok(n == 1)
            })
            .await
    }

    async fn log_hashes(&self, wanted: Vec<(u8, u64)>) -> StoreResult<Vec<(u8, u64, [u8; 32])>> {
        self.workers.read(move |c| stored_hashes(c, &wanted)).await
    }

    async fn log_level(&self, level: u8, start: u64, count: u64) -> StoreResult<Vec<[u8; 32]>> {
        self.workers
            .read(move |c| {
                let mut stmt = c.prep(
                    "SELECT hash FROM access.log_hashes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
                )?;
                let rows = stmt
                    .query_map(rusqlite::params![level, signed(start), signed(start.saturating_add(count))], |r| {
                        hash32(r.get(0)?)
                    })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn log_entries(&self, start: u64, count: u64) -> StoreResult<Vec<AccessEvent>> {
        self.workers
            .read(move |c| {
                let sql = format!(
                    "SELECT {EVENT_COLS}, l.leaf_index FROM access.log_leaves l
                     JOIN main.access_events e ON e.id = l.event_id
                     WHERE l.in_main = 1 AND l.leaf_index >= $1 AND l.leaf_index < $2
                     UNION ALL
                     SELECT {EVENT_COLS}, l.leaf_index FROM access.log_leaves l
                     JOIN access.events e ON e.id = l.event_id
                     WHERE l.in_main = 0 AND l.leaf_index >= $1 AND l.leaf_index < $2
                     ORDER BY 9"
                );
                let rows = c
                    .prep(&sql)?
                    .query_map([signed(start), signed(start.saturating_add(count))], access_event)?
                    .collect::<Result<_, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn integrate<F>(&self, record: Vec<EventToRecord>, limit: u32, extend: F) -> StoreResult<Integrated>
    where
        F: FnOnce(&LogBatch, &dyn HashLookup) -> StoreResult<LogAppend> + Send + 'static,
    {
        self.workers
            .write_access(move |c, state| {
                // Every id below the writer's next one is committed, earlier in this
                // transaction, or rolled back for good: all of them are visible here. The
                // events written now get the newest ids; those that fit behind what was pending
                // before them join the batch as they are, not read back. When the writer's
                // last integration took every event there was, nothing can be pending.
                let tail = state.log.take();
                let before = state.next_event_id - 1;
                let mut batch = match &tail {
                    Some(t) if t.through == before => Vec::new(),
                    _ => pending(c, before, limit)?,
                };
                let mut room = (limit as usize).saturating_sub(batch.len());
                let mut recorded = Vec::with_capacity(record.len());
                for r in record {
                    let id = insert_event(c, state, EventFile::Access, &r.event, r.grant)?;
                    recorded.push(id);
                    if room > 0 {
                        room -= 1;
                        batch.push((AccessEvent { id, event: as_stored(r.event), leaf_index: None }, false));
                    }
                }
                let through = state.next_event_id - 1;
                let (events, in_main): (Vec<AccessEvent>, Vec<bool>) = batch.into_iter().unzip();
                let complete_through = match events.last() {
                    // A full batch may leave newer events for the next one.
                    Some(last) if events.len() >= limit as usize => last.id,
                    _ => AccessEventId::from_raw(through),
                };
                if events.is_empty() {
                    state.log = tail.map(|t| LogTail { through, ..t });
                    return Ok(Integrated { size: None, recorded, complete_through });
                }
                let from = match &tail {
                    Some(t) => t.size,
                    None => head(c)?.map_or(0, |h| h.size),
                };
                let batch = LogBatch { from, events };
                let lookup =
                    Hashes { conn: c, known: tail.map(|t| t.hashes).unwrap_or_default(), read: RefCell::default() };
                let append = extend(&batch, &lookup)?;
                store_append(c, &batch, &in_main, &append)?;
                let mut hashes = lookup.read.into_inner();
                hashes.extend(append.hashes.iter().map(|&(level, idx, h)| ((level, idx), h)));
                let size = append.checkpoint.size;
                state.log = Some(LogTail { size, through: complete_through.raw(), hashes });
                Ok(Integrated { size: Some(size), recorded, complete_through })
            })
            .await
    }
}

/// Subtree hashes for the transaction that extends the log: those the writer kept from its
/// last integration, the rest looked up on its connection. Remembers what it was asked for.
struct Hashes<'c> {
    conn: &'c Connection,
    known: HashMap<(u8, u64), [u8; 32]>,
    read: RefCell<HashMap<(u8, u64), [u8; 32]>>,
}

impl HashLookup for Hashes<'_> {
    fn hashes(&self, wanted: &[(u8, u64)]) -> StoreResult<Vec<(u8, u64, [u8; 32])>> {
        let (mut found, mut missing) = (Vec::with_capacity(wanted.len()), Vec::new());
        for &(level, idx) in wanted {
            match self.known.get(&(level, idx)) {
                Some(h) => found.push((level, idx, *h)),
                None => missing.push((level, idx)),
            }
        }
        if !missing.is_empty() {
            found.extend(stored_hashes(self.conn, &missing)?);
        }
        self.read.borrow_mut().extend(found.iter().map(|&(level, idx, h)| ((level, idx), h)));
        Ok(found)
    }
}

fn stored_hashes(c: &Connection, wanted: &[(u8, u64)]) -> StoreResult<Vec<(u8, u64, [u8; 32])>> {
    let mut stmt = c.prep("SELECT hash FROM access.log_hashes WHERE level = $1 AND idx = $2")?;
    let mut out = Vec::with_capacity(wanted.len());
    for &(level, idx) in wanted {
        let found: Option<Vec<u8>> = stmt.query_row(rusqlite::params![level, signed(idx)], |r| r.get(0)).optional()?;
        if let Some(h) = found {
            out.push((level, idx, hash32(h)?));
        }
    }
    Ok(out)
}

/// Up to `limit` events with ids up to `through` not in the log yet, oldest first, and for
/// each whether it is in the main file. Each file's events enter the log in id order, so what
/// is pending in a file is what comes after its newest leaf.
fn pending(c: &Connection, through: i64, limit: u32) -> StoreResult<Vec<(AccessEvent, bool)>> {
    let mut cursor = c.prep("SELECT COALESCE(MAX(event_id), 0) FROM access.log_leaves WHERE in_main = $1")?;
    let main: i64 = cursor.query_row([1], |r| r.get(0))?;
    let access: i64 = cursor.query_row([0], |r| r.get(0))?;
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        // The ninth column is the (absent) leaf index, the tenth the event's file.
        let arm = |table: &str, after: &str, in_main: u8| {
            format!(
                "SELECT * FROM (SELECT {EVENT_COLS}, NULL, {in_main} FROM {table} e
                 WHERE e.id > {after} AND e.id <= $2 ORDER BY e.id LIMIT $3)"
            )
        };
        format!(
            "{} UNION ALL {} ORDER BY id LIMIT $3",
            arm("main.access_events", "$1", 1),
            arm("access.events", "$4", 0)
        )
    });
    Ok(c.prep(&SQL)?
        .query_map(rusqlite::params![main, through, limit, access], |r| Ok((access_event(r)?, r.get(9)?)))?
        .collect::<Result<_, _>>()?)
}

/// Stores an extension of `batch` (whose events are in the main file where `in_main` says);
/// `Conflict` if it does not fit: another size, or leaves other than the batch's events in
/// their order.
fn store_append(c: &Connection, batch: &LogBatch, in_main: &[bool], append: &LogAppend) -> StoreResult<()> {
    if append.from != batch.from {
        return Err(StoreError::Conflict { what: "log size" });
    }
    if !append.leaves.iter().eq(batch.events.iter().map(|e| &e.id)) {
        return Err(StoreError::Conflict { what: "log leaf" });
    }
    let mut leaf = c.prep("INSERT INTO access.log_leaves (leaf_index, event_id, in_main) VALUES ($1, $2, $3)")?;
    for (i, (id, main)) in append.leaves.iter().zip(in_main).enumerate() {
        leaf.execute(rusqlite::params![signed(append.from + i as u64), id.raw(), main])?;
    }
    let mut hash = c.prep("INSERT INTO access.log_hashes (level, idx, hash) VALUES ($1, $2, $3)")?;
    for (level, idx, h) in &append.hashes {
        hash.execute(rusqlite::params![level, signed(*idx), h.as_slice()])?;
    }
    let cp = &append.checkpoint;
    c.prep("INSERT INTO access.log_checkpoints (size, root, note, created_at) VALUES ($1, $2, $3, $4)")?
        .execute(rusqlite::params![signed(cp.size), cp.root.as_slice(), cp.note, cp.created_at.millis()])?;
    Ok(())
}
