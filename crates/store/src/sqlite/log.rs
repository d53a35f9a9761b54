//! [`LogStore`] on SQLite: the transparency log's subtree hashes and checkpoints, and the
//! assignment of access events to leaves. An append is one transaction, so after a crash the
//! log is at one of its checkpoints, never between two.

use clearline_domain::{AccessEvent, Timestamp};
use rusqlite::{Connection, OptionalExtension};

use super::SqliteStore;
use super::access::{EVENT_COLS, access_event};
use super::rows::{Prep, corrupt};
use crate::StoreError;
use crate::partner::{LogAppend, LogCheckpoint, LogStore};
use crate::traits::StoreResult;

fn hash32(bytes: Vec<u8>) -> rusqlite::Result<[u8; 32]> {
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| corrupt("hash"))
}

fn head(c: &Connection) -> Result<Option<LogCheckpoint>, StoreError> {
    Ok(c.prep("SELECT size, root, note, created_at FROM log_checkpoints ORDER BY size DESC LIMIT 1")?
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

    async fn log_hashes(&self, wanted: Vec<(u8, u64)>) -> StoreResult<Vec<(u8, u64, [u8; 32])>> {
        self.workers
            .read(move |c| {
                let mut stmt = c.prep("SELECT hash FROM log_hashes WHERE level = $1 AND idx = $2")?;
                let mut out = Vec::with_capacity(wanted.len());
                for (level, idx) in wanted {
                    let found: Option<Vec<u8>> =
                        stmt.query_row(rusqlite::params![level, signed(idx)], |r| r.get(0)).optional()?;
                    if let Some(h) = found {
                        out.push((level, idx, hash32(h)?));
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn log_level(&self, level: u8, start: u64, count: u64) -> StoreResult<Vec<[u8; 32]>> {
        self.workers
            .read(move |c| {
                let mut stmt =
                    c.prep("SELECT hash FROM log_hashes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx")?;
                let rows = stmt
                    .query_map(rusqlite::params![level, signed(start), signed(start + count)], |r| hash32(r.get(0)?))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn pending_events(&self, limit: u32) -> StoreResult<Vec<AccessEvent>> {
        self.workers
            .read(move |c| {
                let sql =
                    format!("SELECT {EVENT_COLS} FROM access_events WHERE leaf_index IS NULL ORDER BY id LIMIT $1");
                let rows = c.prep(&sql)?.query_map([limit], access_event)?.collect::<Result<_, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn log_entries(&self, start: u64, count: u64) -> StoreResult<Vec<AccessEvent>> {
        self.workers
            .read(move |c| {
                let sql = format!(
                    "SELECT {EVENT_COLS} FROM access_events WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index"
                );
                let rows = c
                    .prep(&sql)?
                    .query_map([signed(start), signed(start + count)], access_event)?
                    .collect::<Result<_, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn append_log(&self, append: LogAppend) -> StoreResult<()> {
        self.workers
            .write(move |c, _| {
                let size = head(c)?.map_or(0, |h| h.size);
                if size != append.from {
                    return Err(StoreError::Conflict { what: "log size" });
                }
                let mut leaf =
                    c.prep("UPDATE access_events SET leaf_index = $1 WHERE id = $2 AND leaf_index IS NULL")?;
                for (i, id) in append.leaves.iter().enumerate() {
                    if leaf.execute([signed(append.from + i as u64), id.raw()])? != 1 {
                        return Err(StoreError::Conflict { what: "log leaf" });
                    }
                }
                let mut hash = c.prep("INSERT INTO log_hashes (level, idx, hash) VALUES ($1, $2, $3)")?;
                for (level, idx, h) in &append.hashes {
                    hash.execute(rusqlite::params![level, signed(*idx), h.as_slice()])?;
                }
                let cp = &append.checkpoint;
                c.prep("INSERT INTO log_checkpoints (size, root, note, created_at) VALUES ($1, $2, $3, $4)")?
                    .execute(rusqlite::params![signed(cp.size), cp.root.as_slice(), cp.note, cp.created_at.millis()])?;
                Ok(())
            })
            .await
    }
}
