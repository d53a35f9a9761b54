//! The transparency log of partner access: each access event becomes a leaf whose entry is a
//! salted commitment, SHA-256(canonical event ‖ salt), so the public log says nothing about who
//! accessed whom while the person (who is shown the event and its salt) can prove it is there.
//! The sequencer integrates pending events in batches: it extends the stored complete-subtree
//! hashes, signs a C2SP checkpoint and stores both in one transaction. Tiles, entry bundles
//! and inclusion proofs are computed from those stored hashes with `clearline-tlog`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use clearline_domain::{AccessEvent, AccessEventId, AccessOutcome, Timestamp};
use clearline_store::{EventToRecord, HashLookup, LogAppend, LogBatch, LogCheckpoint, Store, StoreError};
use clearline_tlog::note::LogSigner;
use clearline_tlog::{Checkpoint, Hash, HashReader, ProofFile, inclusion_proof, leaf_hash, node_hash, tree_hash};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{App, CoreError, Principal};

/// The longest a response waits for its event to be integrated.
const RELEASE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The most events one integration takes.
pub const MAX_BATCH: u32 = 4096;

/// The fields of an event as committed to, in a fixed order.
#[derive(Serialize)]
struct Canonical<'a> {
    id: String,
    at: i64,
    app_id: Option<String>,
    user_id: Option<String>,
    action: &'static str,
    resources: &'a [String],
    outcome: &'static str,
    reason: Option<&'static str>,
}

/// The canonical encoding of an event: compact JSON with the fields in a fixed order. This is
/// what a person is shown and what the commitment covers (with the salt).
pub fn canonical_event(e: &AccessEvent) -> Vec<u8> {
    let (outcome, reason) = match e.event.outcome {
        AccessOutcome::Allowed => ("allowed", None),
        AccessOutcome::Denied(r) => ("denied", Some(r.as_str())),
    };
    let c = Canonical {
        id: e.id.to_string(),
        at: e.event.at.millis(),
        app_id: e.event.app_id.map(|a| a.to_string()),
        user_id: e.event.user_id.map(|u| u.to_string()),
        action: e.event.action.as_str(),
        resources: &e.event.resources,
        outcome,
        reason,
    };
    // Strings, numbers and a list of strings: serializing cannot fail.
    serde_json::to_vec(&c).unwrap_or_default()
}

/// The log entry of an event: SHA-256(canonical event ‖ salt).
pub fn commitment(canonical: &[u8], salt: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(canonical);
    h.update(salt);
    h.finalize().into()
}

/// Stored hashes plus the ones being computed, by (level, index).
#[derive(Default)]
struct Overlay(HashMap<(u8, u64), Hash>);

impl Overlay {
    /// The hashes a store returned, by (level, index).
    fn from_stored(found: Vec<(u8, u64, [u8; 32])>) -> Self {
        Self(found.into_iter().map(|(l, i, h)| ((l, i), Hash(h))).collect())
    }
}

/// The right edge of a tree of `size` leaves: the last hash of every level with an odd count,
/// all that appending to it needs.
fn frontier(size: u64) -> Vec<(u8, u64)> {
    (0..64u8).filter(|l| (size >> l) & 1 == 1).map(|l| (l, (size >> l) - 1)).collect()
}

impl HashReader for Overlay {
    fn read_hash(&self, level: u8, index: u64) -> Result<Hash, clearline_tlog::Error> {
        self.0.get(&(level, index)).copied().ok_or(clearline_tlog::Error::MissingHash { level, index })
    }
}

/// Records which hashes a computation asks for (answering with zeros): the same computation on
/// the real hashes asks for exactly these, since the tree's shape alone decides.
#[derive(Default)]
struct Wanted(Mutex<Vec<(u8, u64)>>);

impl HashReader for Wanted {
    fn read_hash(&self, level: u8, index: u64) -> Result<Hash, clearline_tlog::Error> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((level, index));
        Ok(Hash::empty())
    }
}

/// Appends `leaves` to a tree of `from` leaves whose right edge is in `tree`: stores every
/// complete subtree they close (RFC 9162 §2.1.1) and returns those (level, index, hash).
fn append(tree: &mut Overlay, from: u64, leaves: &[Hash]) -> Result<Vec<(u8, u64, [u8; 32])>, clearline_tlog::Error> {
    let mut added = Vec::new();
    for (k, leaf) in leaves.iter().enumerate() {
        let (mut level, mut index, mut hash) = (0u8, from + k as u64, *leaf);
        loop {
            tree.0.insert((level, index), hash);
            added.push((level, index, hash.0));
            if index % 2 == 0 {
                break;
            }
            hash = node_hash(&tree.read_hash(level, index - 1)?, &hash);
            level += 1;
            index /= 2;
        }
    }
    Ok(added)
}

/// The hashes and signed checkpoint that put `batch` into the log after its `from` leaves.
fn extend_log(
    signer: &LogSigner,
    now: Timestamp,
    batch: &LogBatch,
    stored: &dyn HashLookup,
) -> Result<LogAppend, StoreError> {
    let from = batch.from;
    let mut tree = Overlay::from_stored(stored.hashes(&frontier(from))?);
    let leaves: Vec<Hash> =
        batch.events.iter().map(|e| leaf_hash(&commitment(&canonical_event(e), &e.event.salt))).collect();
    let added = append(&mut tree, from, &leaves).map_err(corrupt)?;
    let size = from + leaves.len() as u64;
    let root = tree_hash(&tree, size).map_err(corrupt)?;
    let note = signer.sign(&Checkpoint::new(signer.origin(), size, root)).map_err(corrupt)?;
    Ok(LogAppend {
        from,
        leaves: batch.events.iter().map(|e| e.id).collect(),
        hashes: added,
        checkpoint: LogCheckpoint { size, root: root.0, note, created_at: now },
    })
}

/// An access event as its person (or the app that made the call) can check it.
#[derive(Debug, Clone)]
pub struct EventProof {
    /// The canonical event.
    pub canonical: Vec<u8>,
    /// The salt.
    pub salt: [u8; 32],
    /// The proof file (C2SP tlog-proof@v1) against the latest checkpoint, once integrated.
    pub proof: Option<Vec<u8>>,
}

fn corrupt(e: clearline_tlog::Error) -> StoreError {
    StoreError::Corrupt(format!("log: {e}"))
}

fn store_err(e: clearline_tlog::Error) -> CoreError {
    CoreError::Store(corrupt(e))
}

/// An event of a call that changed nothing, waiting to be recorded with the next integration.
pub(crate) struct Queued {
    record: EventToRecord,
    done: tokio::sync::oneshot::Sender<Option<AccessEventId>>,
}

impl<S: Store> App<S> {
    async fn overlay(&self, wanted: Vec<(u8, u64)>) -> Result<Overlay, CoreError> {
        let found = self.store.log_hashes(wanted).await?;
        Ok(Overlay::from_stored(found))
    }

    /// Records the queued events of calls that changed nothing, integrates pending events
    /// into the log and signs a checkpoint, all in one transaction; the new size, or `None`
    /// when nothing was pending.
    pub async fn integrate_log(&self, signer: &Arc<LogSigner>) -> Result<Option<u64>, CoreError> {
        let queued: Vec<Queued> = {
            let mut queue = self.log_queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = queue.len().min(MAX_BATCH as usize);
            queue.drain(..n).collect()
        };
        let (record, waiters): (Vec<_>, Vec<_>) = queued.into_iter().map(|q| (q.record, q.done)).unzip();
        let (signer, now) = (signer.clone(), self.clock.now());
        let extend = move |batch: &LogBatch, stored: &dyn HashLookup| extend_log(&signer, now, batch, stored);
        match self.store.integrate(record, MAX_BATCH, extend).await {
            Ok(done) => {
                self.settle_through(done.complete_through);
                for (waiter, id) in waiters.into_iter().zip(done.recorded) {
                    let _ = waiter.send(Some(id));
                }
                Ok(done.size)
            }
            Err(e) => {
                // Nothing was recorded: those calls fail without answering.
                for waiter in waiters {
                    let _ = waiter.send(None);
                }
                Err(e.into())
            }
        }
    }

    /// Records the event of a call that changed nothing with the next integration and waits
    /// until it is in a signed checkpoint: one durable write for the event and the log.
    /// `LogUnavailable` if that takes longer than 10 seconds or fails.
    pub(crate) async fn record_in_log(&self, record: EventToRecord) -> Result<AccessEventId, CoreError> {
        let (done, recorded) = tokio::sync::oneshot::channel();
        self.log_queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(Queued { record, done });
        self.log_wake.notify_one();
        let id = match tokio::time::timeout(RELEASE_TIMEOUT, recorded).await {
            Ok(Ok(Some(id))) => id,
            _ => return Err(CoreError::LogUnavailable),
        };
        self.release(id).await?;
        Ok(id)
    }

    /// Tells [`Self::release`] waiters that every event up to `id` is in a signed checkpoint.
    fn settle_through(&self, id: AccessEventId) {
        self.log_integrated.send_if_modified(|seen| {
            let grew = id.raw() > *seen;
            *seen = (*seen).max(id.raw());
            grew
        });
    }

    /// With `integrate_before_release`, waits until access event `id` is in a signed checkpoint
    /// (waking the sequencer); `LogUnavailable` if that takes longer than 10 seconds.
    pub async fn release(&self, id: AccessEventId) -> Result<(), CoreError> {
        if !self.settings.integrate_before_release {
            return Ok(());
        }
        let mut rx = self.log_integrated.subscribe();
        if *rx.borrow() >= id.raw() {
            return Ok(());
        }
        self.log_wake.notify_one();
        match tokio::time::timeout(RELEASE_TIMEOUT, rx.wait_for(|seen| *seen >= id.raw())).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(CoreError::LogUnavailable),
        }
    }

    /// Publishes the signed checkpoint of the empty tree if the log has none yet, so monitors
    /// and witnesses can pin its origin and key before the first entry (as Sunlight and
    /// Tessera logs do). Called once at start; harmless on a log that already has one.
    pub async fn start_log(&self, signer: &LogSigner) -> Result<(), CoreError> {
        if self.store.log_head().await?.is_some() {
            return Ok(());
        }
        let root = Hash::empty();
        let note = signer.sign(&Checkpoint::new(signer.origin(), 0, root)).map_err(store_err)?;
        let empty = LogCheckpoint { size: 0, root: root.0, note, created_at: self.clock.now() };
        self.store.log_start(empty).await?;
        Ok(())
    }

    /// The latest signed checkpoint note.
    pub async fn log_checkpoint(&self) -> Result<Option<Vec<u8>>, CoreError> {
        Ok(self.store.log_head().await?.map(|h| h.note))
    }

    /// The contents of hash tile `level`/`index` of `width` hashes (C2SP tlog-tiles), if the
    /// log has them.
    pub async fn log_tile(&self, level: u8, index: u64, width: u64) -> Result<Option<Vec<u8>>, CoreError> {
        let (Some(merkle_level), Some(start)) = (level.checked_mul(8), tile_start(index, width)) else {
            return Ok(None);
        };
        let hashes = self.store.log_level(merkle_level, start, width).await?;
        if hashes.len() as u64 != width {
            return Ok(None);
        }
        Ok(Some(hashes.concat()))
    }

    /// The entry bundle `index` of `width` entries (C2SP tlog-tiles), if the log has them.
    pub async fn log_bundle(&self, index: u64, width: u64) -> Result<Option<Vec<u8>>, CoreError> {
        let Some(start) = tile_start(index, width) else { return Ok(None) };
        let events = self.store.log_entries(start, width).await?;
        if events.len() as u64 != width {
            return Ok(None);
        }
        let entries: Vec<[u8; 32]> = events.iter().map(|e| commitment(&canonical_event(e), &e.event.salt)).collect();
        clearline_tlog::tiles::encode_bundle(entries.iter().map(|e| e.as_slice())).map(Some).map_err(store_err)
    }

    /// An event of mine with its salt and, once integrated, its inclusion proof.
    pub async fn access_proof(&self, me: Principal, id: AccessEventId) -> Result<EventProof, CoreError> {
        let event = self
            .store
            .access_events(clearline_store::AccessFilter::Person(me.user_id), Some(next(id)), 1)
            .await?
            .items
            .into_iter()
            .find(|e| e.id == id)
            .ok_or(CoreError::NotFound { what: "access event" })?;
        self.proof_of(event).await
    }

    /// An event of the app's own calls about its person, with its salt and inclusion proof.
    pub async fn partner_access_proof(&self, bearer: Option<&str>, id: AccessEventId) -> Result<EventProof, CoreError> {
        let call =
            self.open_call(bearer, clearline_domain::AccessAction::Me, crate::partner_access::Need::Grant).await?;
        let filter = clearline_store::AccessFilter::AppAndPerson(call.app.id, call.user_id);
        let event = self.store.access_events(filter, Some(next(id)), 1).await?.items.into_iter().find(|e| e.id == id);
        self.proof_of(event.ok_or(CoreError::NotFound { what: "access event" })?).await
    }

    async fn proof_of(&self, event: AccessEvent) -> Result<EventProof, CoreError> {
        let canonical = canonical_event(&event);
        let head = self.store.log_head().await?;
        let proof = match (event.leaf_index, head) {
            (Some(index), Some(head)) if index < head.size => {
                let wanted = Wanted::default();
                inclusion_proof(&wanted, index, head.size).map_err(store_err)?;
                let needed = wanted.0.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
                let tree = self.overlay(needed).await?;
                let proof = inclusion_proof(&tree, index, head.size).map_err(store_err)?;
                Some(ProofFile { extra: None, index, proof, checkpoint: head.note }.to_text())
            }
            _ => None,
        };
        Ok(EventProof { canonical, salt: event.event.salt, proof })
    }
}

/// The first leaf (or hash) of tile `index`, if the tile's `width` items fit in u64.
fn tile_start(index: u64, width: u64) -> Option<u64> {
    let start = index.checked_mul(clearline_tlog::tiles::TILE_WIDTH)?;
    start.checked_add(width).map(|_| start)
}

/// The id just above `id`, to page to exactly one event.
fn next(id: AccessEventId) -> AccessEventId {
    AccessEventId::from_raw(id.raw() + 1)
}

#[cfg(test)]
mod tests {
    use clearline_domain::{AccessAction, AppId, DenyReason, NewAccessEvent, Timestamp, UserId};
    use clearline_tlog::MemoryTree;

    use super::*;

    fn event(id: i64) -> AccessEvent {
        AccessEvent {
            id: AccessEventId::from_raw(id),
            event: NewAccessEvent {
                at: Timestamp::from_millis(1000 + id),
                app_id: Some(AppId::from_raw(1)),
                user_id: Some(UserId::from_raw(2)),
                action: AccessAction::Messages,
                resources: vec!["cnv_1".into()],
                outcome: AccessOutcome::Denied(DenyReason::MissingScope),
                salt: [id as u8; 32],
            },
            leaf_index: None,
        }
    }

    #[test]
    fn canonical_encoding_is_fixed_and_salt_changes_the_commitment() {
        let e = event(3);
        let text = String::from_utf8(canonical_event(&e)).unwrap();
        assert_eq!(
            text,
            r#"{"id":"aev_3","at":1003,"app_id":"app_1","user_id":"usr_2","action":"messages","resources":["cnv_1"],"outcome":"denied","reason":"missing_scope"}"#
        );
        assert_ne!(commitment(text.as_bytes(), &[1; 32]), commitment(text.as_bytes(), &[2; 32]));
    }

    #[test]
    fn frontier_append_matches_a_whole_tree() {
        // Appending in uneven batches from the stored right edge gives the same hashes as a
        // tree built in one go.
        let leaves: Vec<Hash> = (0..37u8).map(|i| leaf_hash(&[i])).collect();
        let mut whole = MemoryTree::new();
        for l in &leaves {
            whole.push(*l);
        }
        let mut stored = Overlay::default();
        let mut from = 0u64;
        for batch in [1usize, 2, 5, 8, 21] {
            // Keep only the right edge, as the sequencer loads it.
            let edge: HashMap<_, _> =
                frontier(from).into_iter().map(|(l, i)| ((l, i), stored.read_hash(l, i).unwrap())).collect();
            let mut tree = Overlay(edge);
            let added = append(&mut tree, from, &leaves[from as usize..from as usize + batch]).unwrap();
            stored.0.extend(added.into_iter().map(|(l, i, h)| ((l, i), Hash(h))));
            from += batch as u64;
            assert_eq!(tree_hash(&stored, from).unwrap(), tree_hash(&whole, from).unwrap());
            let proof = inclusion_proof(&stored, 3, from);
            assert_eq!(proof.is_ok(), from > 3);
        }
    }
}
