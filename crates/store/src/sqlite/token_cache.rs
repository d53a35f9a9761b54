//! Access-token records kept in memory between partner calls. Every change to what
//! [`load_token`] reads moves the `auth_epoch` counter forward in the same transaction (the
//! triggers of migration 0006, whichever process writes), and a record is used only by a read
//! whose snapshot shows the counter it was loaded at: a revocation, a suspension or a rotated
//! client secret holds on the very next call, as it does without the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;

use super::grants::load_token;
use super::rows::Prep;
use crate::StoreError;
use crate::partner::{TokenKind, TokenRecord};

/// Records kept at most; past it the cache starts over (a miss only costs a lookup).
const MAX_RECORDS: usize = 10_000;

/// Access-token records by token id, all loaded at one `auth_epoch`.
#[derive(Debug, Default)]
pub(super) struct TokenCache(Mutex<Records<TokenRecord>>);

/// Values by id, all loaded at one epoch.
#[derive(Debug)]
struct Records<T> {
    /// The counter the values were loaded at; `None` before the first.
    epoch: Option<i64>,
    by_id: HashMap<i64, Arc<T>>,
}

impl<T> Default for Records<T> {
    fn default() -> Self {
        Self { epoch: None, by_id: HashMap::new() }
    }
}

impl TokenCache {
    /// Access token `id` with its grant, app and partner as `c`'s read transaction sees them.
    /// Call inside a read transaction, so the counter and the record come from one snapshot.
    pub(super) fn access(&self, c: &Connection, id: i64) -> Result<Option<TokenRecord>, StoreError> {
        let epoch: i64 = c.prep("SELECT n FROM auth_epoch WHERE id = 1")?.query_row([], |r| r.get(0))?;
        // The lock is held for the lookup only; the copy is made after it is released.
        if let Some(record) = self.lock().get(epoch, id) {
            return Ok(Some(TokenRecord::clone(&record)));
        }
        let Some(record) = load_token(c, TokenKind::Access, id)? else { return Ok(None) };
        self.lock().put(epoch, id, Arc::new(record.clone()));
        Ok(Some(record))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Records<TokenRecord>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> Records<T> {
    fn get(&self, epoch: i64, id: i64) -> Option<Arc<T>> {
        if self.epoch != Some(epoch) {
            return None;
        }
        self.by_id.get(&id).cloned()
    }

    /// Keeps `record`, loaded at `epoch`. A newer epoch drops every older record; a read of
    /// an older snapshot than the cache's (a slower reader) keeps nothing.
    fn put(&mut self, epoch: i64, id: i64, record: Arc<T>) {
        match self.epoch {
            Some(current) if current > epoch => return,
            Some(current) if current == epoch => {}
            _ => {
                self.epoch = Some(epoch);
                self.by_id.clear();
            }
        }
        if self.by_id.len() >= MAX_RECORDS {
            self.by_id.clear();
        }
        self.by_id.insert(id, record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_used_only_at_the_epoch_it_was_loaded_at() {
        let mut r = Records::default();
        assert_eq!(r.get(0, 1), None);
        r.put(3, 1, Arc::new("at 3"));
        assert_eq!(r.get(3, 1).as_deref(), Some(&"at 3"));
        assert_eq!(r.get(3, 2), None);
        // A read of a newer snapshot finds nothing; what it loads replaces everything older.
        assert_eq!(r.get(4, 1), None);
        r.put(4, 2, Arc::new("at 4"));
        assert_eq!((r.get(4, 1), r.get(4, 2).as_deref()), (None, Some(&"at 4")));
        // A slower reader of an older snapshot neither uses nor keeps anything.
        r.put(3, 1, Arc::new("late"));
        assert_eq!((r.get(3, 1), r.get(4, 1)), (None, None));
    }

    #[test]
    fn past_the_limit_the_cache_starts_over() {
        let mut r = Records::default();
        for id in 0..MAX_RECORDS as i64 {
            r.put(1, id, Arc::new(id));
        }
        assert_eq!(r.get(1, 0).as_deref(), Some(&0));
        r.put(1, -1, Arc::new(-1));
        assert_eq!((r.get(1, 0), r.get(1, -1).as_deref()), (None, Some(&-1)));
        assert_eq!(r.by_id.len(), 1);
    }
}
