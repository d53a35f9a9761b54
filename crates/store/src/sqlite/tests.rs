//! Store tests on a fresh SQLite file each.

use clearline_domain::{
    ContentType, ConversationKind, DisplayName, EventSeq, Handle, IdempotencyKey, MessageContent, PageRequest,
    Timestamp, User,
};

use super::*;
use crate::partner::{AccessStore, LogStore};
use crate::traits::*;
use crate::{NewConversation, NewMessage, NewUser};

fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(SqliteOptions::new(dir.path().join("db.sqlite"))).unwrap();
    (dir, store)
}

async fn user(store: &SqliteStore, handle: &str) -> User {
    store
        .create_user(NewUser {
            handle: Handle::parse(handle).unwrap(),
            display_name: DisplayName::parse(handle).unwrap(),
            password_hash: "x".into(),
            created_at: Timestamp::from_millis(1),
        })
        .await
        .unwrap()
}

async fn direct(store: &SqliteStore, a: &User, b: &User) -> clearline_domain::Conversation {
    let new = NewConversation {
        kind: ConversationKind::Direct,
        title: None,
        creator_id: a.id,
        other_members: vec![b.id],
        app_id: None,
        created_at: Timestamp::from_millis(2),
    };
    store.create_conversation(new).await.unwrap().value
}

fn text(s: &str) -> MessageContent {
    MessageContent::new(ContentType::text_plain(), s.as_bytes().to_vec()).unwrap()
}

#[tokio::test]
async fn duplicate_handle_is_a_conflict() {
    let (_d, store) = open();
    user(&store, "alice").await;
    let again = store
        .create_user(NewUser {
            handle: Handle::parse("ALICE").unwrap(),
            display_name: DisplayName::parse("A").unwrap(),
            password_hash: "x".into(),
            created_at: Timestamp::from_millis(1),
        })
        .await;
    assert!(matches!(again, Err(StoreError::Conflict { what: "handle" })));
}

#[tokio::test]
async fn concurrent_sends_are_numbered_without_gaps_and_idempotent() {
    let (_d, store) = open();
    let (a, b) = (user(&store, "alice").await, user(&store, "bob").await);
    let conv = direct(&store, &a, &b).await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let key = IdempotencyKey::parse(&format!("k{}", i % 100)).unwrap();
            store
                .send_message(
                    NewMessage {
                        conversation_id: conv.id,
                        sender_id: a.id,
                        content: text("hi"),
                        idempotency_key: Some(key),
                        via: None,
                        card: None,
                        created_at: Timestamp::from_millis(3),
                    },
                    |_| Ok::<(), ()>(()),
                )
                .await
                .unwrap()
                .unwrap()
        }));
    }
    let mut created = 0;
    for t in tasks {
        if t.await.unwrap().created {
            created += 1;
        }
    }
    assert_eq!(created, 100, "each key creates exactly one message");
    let page = store.messages(conv.id, PageRequest::new(None, None, Some(100)).unwrap()).await.unwrap();
    assert_eq!(page.items.len(), 100);
    assert!(!page.has_more);
    // Bob's stream: 1 conversation event + 100 messages, numbered 1..=101.
    let events = store.events_since(b.id, EventSeq(0), 1000).await.unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e.seq.0).collect();
    assert_eq!(seqs, (1..=101).collect::<Vec<_>>());
}

#[tokio::test]
async fn deleted_message_content_is_gone_from_the_file() {
    let (dir, store) = open();
    let (a, b) = (user(&store, "alice").await, user(&store, "bob").await);
    let conv = direct(&store, &a, &b).await;
    let secret = "the-launch-code-is-4242-zulu";
    let sent = store
        .send_message(
            NewMessage {
                conversation_id: conv.id,
                sender_id: a.id,
                content: text(secret),
                idempotency_key: None,
                via: None,
                card: None,
                created_at: Timestamp::from_millis(3),
            },
            |_| Ok::<(), ()>(()),
        )
        .await
        .unwrap()
        .unwrap()
        .value;
    let (tombstone, _) = store.delete_message(sent.id, Timestamp::from_millis(4)).await.unwrap();
    assert!(tombstone.content.is_none());
    // The checkpointer's next round (run here rather than waited for) empties the WAL.
    let options = SqliteOptions::new(dir.path().join("db.sqlite"));
    let checkpointer = connect(&options.path, &options.access_path(), false).unwrap();
    workers::checkpoint_both(&checkpointer, &mut [None, None], &store.workers.stats, true);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "secret found on disk");
    }
}

#[tokio::test]
async fn after_a_checkpoint_round_the_wal_is_overwritten_from_its_start_not_grown() {
    let (dir, store) = open();
    let (a, b) = (user(&store, "alice").await, user(&store, "bob").await);
    let conv = direct(&store, &a, &b).await;
    let send = |n: usize| {
        let body = format!("{n:06}{}", "x".repeat(60_000));
        store.send_message(
            NewMessage {
                conversation_id: conv.id,
                sender_id: a.id,
                content: text(&body),
                idempotency_key: None,
                via: None,
                card: None,
                created_at: Timestamp::from_millis(3),
            },
            |_| Ok::<(), ()>(()),
        )
    };
    let wal = dir.path().join("db.sqlite-wal");
    let size = || std::fs::metadata(&wal).unwrap().len();
    let (mut n, mut ids) = (0, Vec::new());
    while size() <= workers::WAL_RESTART_BYTES {
        for sent in futures_util::future::join_all((n..n + 32).map(send)).await {
            ids.push(sent.unwrap().unwrap().value.id);
        }
        n += 32;
    }
    let grown = size();
    // A round of the store's checkpointer starts it over, and counts the time.
    let options = SqliteOptions::new(dir.path().join("db.sqlite"));
    let checkpointer = connect(&options.path, &options.access_path(), false).unwrap();
    workers::checkpoint_both(&checkpointer, &mut [None, None], &store.workers.stats, true);
    let s = store.write_stats();
    assert!(s.restarts >= 1, "{s:?}");
    // The longest is one of them: at most their total, at least their mean.
    assert!(s.slowest_restart_micros <= s.restart_micros, "{s:?}");
    assert!(s.slowest_restart_micros * s.restarts >= s.restart_micros, "{s:?}");
    // Until the next write the WAL still counts its old frames; a second round with nothing
    // written since the first one's RESTART leaves the writer alone.
    let mut restarted = None;
    assert!(workers::checkpoint_round(&checkpointer, "main", &mut restarted).unwrap().is_some());
    assert_eq!(workers::checkpoint_round(&checkpointer, "main", &mut restarted).unwrap(), None);
    // The next writes overwrite the WAL from its start: it keeps its size instead of growing.
    for m in n..n + 64 {
        ids.push(send(m).await.unwrap().unwrap().value.id);
    }
    assert_eq!(size(), grown, "the WAL grew after it started over");
    // The file is still past the limit, but what was written since is not: no RESTART, so a
    // quiet server does not hold its writer every second.
    assert!(size() > workers::WAL_RESTART_BYTES);
    assert_eq!(workers::checkpoint_round(&checkpointer, "main", &mut None).unwrap(), None);
    // Nothing was lost on the way.
    for (i, id) in ids.into_iter().enumerate() {
        let m = store.message(id).await.unwrap().expect("message kept");
        assert!(m.content.unwrap().body().as_bytes().starts_with(format!("{i:06}").as_bytes()));
    }
}

#[tokio::test]
async fn a_checkpoint_round_on_a_small_wal_does_not_hold_the_writer() {
    let (dir, store) = open();
    user(&store, "alice").await;
    let options = SqliteOptions::new(dir.path().join("db.sqlite"));
    let checkpointer = connect(&options.path, &options.access_path(), false).unwrap();
    assert_eq!(workers::checkpoint_round(&checkpointer, "main", &mut None).unwrap(), None);
    assert_eq!(store.write_stats().restarts, 0);
}

fn access_event_at(ms: i64, user: i64, action: clearline_domain::AccessAction) -> clearline_domain::NewAccessEvent {
    clearline_domain::NewAccessEvent {
        at: Timestamp::from_millis(ms),
        app_id: Some(clearline_domain::AppId::from_raw(1)),
        user_id: Some(clearline_domain::UserId::from_raw(user)),
        action,
        resources: vec![format!("r{ms}")],
        outcome: clearline_domain::AccessOutcome::Allowed,
        salt: [7; 32],
    }
}

/// Writes an event as an app's send or delete would: in the main file, with its effect.
async fn main_event(store: &SqliteStore, ms: i64) -> clearline_domain::AccessEventId {
    let event = access_event_at(ms, 1, clearline_domain::AccessAction::Send);
    store
        .workers
        .write(move |c, state| access::insert_event(c, state, access::EventFile::Main, &event, None))
        .await
        .unwrap()
}

/// Records `record` and integrates up to `limit` pending events with made-up hashes and
/// checkpoint (the store keeps what it is given), or puts `leaves` instead of the batch's
/// events when given; the events the batch held, and what integrate said.
async fn integrate_events(
    store: &SqliteStore,
    record: Vec<crate::EventToRecord>,
    limit: u32,
    leaves: Option<Vec<clearline_domain::AccessEventId>>,
) -> StoreResult<(Vec<clearline_domain::AccessEvent>, crate::Integrated)> {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let batch_events = seen.clone();
    let done = store
        .integrate(record, limit, move |batch: &crate::LogBatch, _: &dyn crate::HashLookup| {
            *batch_events.lock().unwrap() = batch.events.clone();
            let leaves = leaves.unwrap_or_else(|| batch.events.iter().map(|e| e.id).collect());
            let size = batch.from + leaves.len() as u64;
            Ok(made_up_append(batch.from, size, leaves, vec![(0, batch.from, [size as u8; 32])]))
        })
        .await?;
    let events = seen.lock().unwrap().clone();
    Ok((events, done))
}

/// An extension from `from` to `size` leaves with a made-up checkpoint (root `[size; 32]`).
fn made_up_append(
    from: u64,
    size: u64,
    leaves: Vec<clearline_domain::AccessEventId>,
    hashes: Vec<(u8, u64, [u8; 32])>,
) -> crate::LogAppend {
    let checkpoint = crate::LogCheckpoint {
        size,
        root: [size as u8; 32],
        note: format!("checkpoint {size}").into_bytes(),
        created_at: Timestamp::from_millis(9),
    };
    crate::LogAppend { from, leaves, hashes, checkpoint }
}

/// [`integrate_events`], naming the batch's events by id.
async fn integrate_with(
    store: &SqliteStore,
    record: Vec<crate::EventToRecord>,
    limit: u32,
    leaves: Option<Vec<clearline_domain::AccessEventId>>,
) -> StoreResult<(Vec<clearline_domain::AccessEventId>, crate::Integrated)> {
    let (events, done) = integrate_events(store, record, limit, leaves).await?;
    Ok((events.iter().map(|e| e.id).collect(), done))
}

async fn integrate(
    store: &SqliteStore,
    limit: u32,
    leaves: Option<Vec<clearline_domain::AccessEventId>>,
) -> StoreResult<(Vec<clearline_domain::AccessEventId>, crate::Integrated)> {
    integrate_with(store, Vec::new(), limit, leaves).await
}

fn data_versions(conn: &rusqlite::Connection) -> (i64, i64) {
    let v = |schema: &str| conn.query_row(&format!("PRAGMA {schema}.data_version"), [], |r| r.get(0)).unwrap();
    (v("main"), v("access"))
}

#[tokio::test]
async fn events_of_calls_that_change_nothing_are_committed_to_the_access_file_only() {
    let (dir, store) = open();
    let options = SqliteOptions::new(dir.path().join("db.sqlite"));
    let reader = connect(&options.path, &options.access_path(), true).unwrap();
    let before = data_versions(&reader);
    let read =
        store.record_access(access_event_at(5, 1, clearline_domain::AccessAction::Messages), None).await.unwrap();
    let after = data_versions(&reader);
    // A reader's cache of the main file survives: only the access file changed under it.
    assert_eq!(after.0, before.0, "the main file was written to");
    assert_ne!(after.1, before.1, "the access file was not written to");
    // An event with an effect goes to the main file, and the ids are one sequence.
    let sent = main_event(&store, 6).await;
    assert_ne!(data_versions(&reader).0, after.0);
    assert!(sent > read);
    let listed = store.access_events(crate::AccessFilter::All, None, 10).await.unwrap();
    assert_eq!(listed.items.iter().map(|e| e.id).collect::<Vec<_>>(), vec![sent, read]);
}

#[tokio::test]
async fn the_log_takes_the_events_of_both_files_in_order_and_skips_none() {
    let (_d, store) = open();
    let mut ids = Vec::new();
    for ms in 1..=6 {
        ids.push(if ms % 2 == 0 {
            main_event(&store, ms).await
        } else {
            let event = access_event_at(ms, 2, clearline_domain::AccessAction::Threads);
            store.record_access(event, None).await.unwrap()
        });
    }
    // A batch of four: the four oldest, and nothing newer is promised.
    let (first, done) = integrate(&store, 4, None).await.unwrap();
    assert_eq!(first, ids[..4]);
    assert_eq!(done, crate::Integrated { size: Some(4), recorded: vec![], complete_through: ids[3] });
    // An event already in the log, or one that does not exist, is refused and nothing written.
    assert!(matches!(integrate(&store, 4, Some(vec![ids[4], ids[0]])).await, Err(StoreError::Conflict { .. })));
    let unknown = clearline_domain::AccessEventId::from_raw(ids[5].raw() + 100);
    assert!(matches!(integrate(&store, 4, Some(vec![unknown])).await, Err(StoreError::Conflict { .. })));
    assert_eq!(store.log_head().await.unwrap().unwrap().size, 4);
    let (rest, done) = integrate(&store, 4, None).await.unwrap();
    assert_eq!(rest, ids[4..]);
    assert_eq!(done, crate::Integrated { size: Some(6), recorded: vec![], complete_through: ids[5] });
    let (none, done) = integrate(&store, 4, None).await.unwrap();
    assert!(none.is_empty());
    assert_eq!(done, crate::Integrated { size: None, recorded: vec![], complete_through: ids[5] });
    // Entries come back in leaf order from both files, and listings show their leaves.
    let entries = store.log_entries(0, 6).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    assert_eq!(entries.iter().map(|e| e.leaf_index).collect::<Vec<_>>(), (0..6).map(Some).collect::<Vec<_>>());
    assert_eq!(entries[1].event.resources, vec!["r2".to_owned()]);
    let person = store.access_events(crate::AccessFilter::Person(clearline_domain::UserId::from_raw(2)), None, 10);
    let person = person.await.unwrap().items;
    assert_eq!(
        person.iter().map(|e| (e.id, e.leaf_index)).collect::<Vec<_>>(),
        vec![(ids[4], Some(4)), (ids[2], Some(2)), (ids[0], Some(0))]
    );
}

#[tokio::test]
async fn a_log_kept_in_the_main_file_moves_to_the_access_file_on_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions::new(dir.path().join("db.sqlite"));
    {
        // A database as the releases before the access file left it.
        let mut old = connect(&options.path, &options.access_path(), false).unwrap();
        let before_access_file = MIGRATIONS.iter().take_while(|m| m.schema == "main").count();
        migrate(&mut old, &MIGRATIONS[..before_access_file]).unwrap();
        old.execute_batch(
            "INSERT INTO access_events (id, at, app_id, user_id, action, resources, outcome, salt, leaf_index) VALUES
                 (1, 1, 1, 1, 'me', 'a', 'allowed', zeroblob(32), 0),
                 (2, 2, 1, 1, 'friends', 'b', 'allowed', zeroblob(32), 1),
                 (3, 3, 1, 1, 'threads', 'c', 'denied:missing_scope', zeroblob(32), NULL);
             INSERT INTO log_hashes (level, idx, hash) VALUES (0, 0, zeroblob(32)), (0, 1, zeroblob(32)), (1, 0, zeroblob(32));
             INSERT INTO log_checkpoints (size, root, note, created_at) VALUES (2, zeroblob(32), CAST('note 2' AS BLOB), 5);",
        )
        .unwrap();
    }
    let store = SqliteStore::open(options).unwrap();
    let head = store.log_head().await.unwrap().unwrap();
    assert_eq!((head.size, head.note.as_slice()), (2, b"note 2".as_slice()));
    assert_eq!(store.log_level(0, 0, 4).await.unwrap().len(), 2);
    let entries = store.log_entries(0, 2).await.unwrap();
    assert_eq!(
        entries.iter().map(|e| (e.id.raw(), e.leaf_index)).collect::<Vec<_>>(),
        vec![(1, Some(0)), (2, Some(1))]
    );
    // The event the old log had not taken yet is still pending, and new ids follow the old ones.
    let next = store.record_access(access_event_at(9, 1, clearline_domain::AccessAction::Me), None).await.unwrap();
    assert_eq!(next.raw(), 4);
    let (pending, done) = integrate(&store, 10, None).await.unwrap();
    assert_eq!(pending.iter().map(|e| e.raw()).collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(done.size, Some(4));
    let third = store.log_entries(2, 1).await.unwrap().remove(0);
    let denied = clearline_domain::AccessOutcome::Denied(clearline_domain::DenyReason::MissingScope);
    assert_eq!((third.id.raw(), third.event.outcome), (3, denied));
    // And the main file no longer has a log of its own.
    let stale = store.workers.read(|c| Ok(c.prepare("SELECT 1 FROM main.log_hashes").is_err())).await.unwrap();
    assert!(stale);
}

#[tokio::test]
async fn events_recorded_with_an_integration_are_in_it_or_not_written_at_all() {
    let (_d, store) = open();
    let earlier = main_event(&store, 1).await;
    let record = |ms| crate::EventToRecord {
        event: access_event_at(ms, 3, clearline_domain::AccessAction::Messages),
        grant: None,
    };
    // A log extension that does not fit writes nothing, not even the events to record.
    let refused = integrate_with(&store, vec![record(2)], 10, Some(vec![earlier, earlier])).await;
    assert!(matches!(refused, Err(StoreError::Conflict { .. })));
    assert_eq!(store.access_events(crate::AccessFilter::All, None, 10).await.unwrap().items.len(), 1);
    assert!(store.log_head().await.unwrap().is_none());
    // Otherwise they get the next ids and enter the log with what was pending.
    let (batch, done) = integrate_with(&store, vec![record(3), record(4)], 10, None).await.unwrap();
    assert_eq!(done.recorded.len(), 2);
    assert!(done.recorded[0] > earlier && done.recorded[1] > done.recorded[0]);
    assert_eq!(batch, vec![earlier, done.recorded[0], done.recorded[1]]);
    assert_eq!((done.size, done.complete_through), (Some(3), done.recorded[1]));
    let listed = store.access_events(crate::AccessFilter::All, None, 10).await.unwrap().items;
    assert_eq!(listed.iter().map(|e| e.leaf_index).collect::<Vec<_>>(), vec![Some(2), Some(1), Some(0)]);
}

/// Records `record` and integrates everything pending, storing the leaf hash of leaf `i` as
/// `[i + 1; 32]` (or, with `wrong_leaves`, naming no leaves at all so the store refuses it);
/// the extension first reads the leaf hashes of every leaf before the batch. Returns where the
/// batch started, its events, and the hashes it read.
async fn integrate_reading(
    store: &SqliteStore,
    record: Vec<crate::EventToRecord>,
    wrong_leaves: bool,
) -> StoreResult<(u64, Vec<clearline_domain::AccessEventId>, Vec<(u8, u64, [u8; 32])>)> {
    let seen = std::sync::Arc::new(std::sync::Mutex::new((0, Vec::new(), Vec::new())));
    let out = seen.clone();
    store
        .integrate(record, 100, move |batch: &crate::LogBatch, stored: &dyn crate::HashLookup| {
            let mut read = stored.hashes(&(0..batch.from).map(|i| (0, i)).collect::<Vec<_>>())?;
            read.sort_unstable();
            let ids: Vec<_> = batch.events.iter().map(|e| e.id).collect();
            *out.lock().unwrap() = (batch.from, ids.clone(), read);
            let size = batch.from + ids.len() as u64;
            let hashes = (batch.from..size).map(|i| (0, i, [i as u8 + 1; 32])).collect();
            Ok(made_up_append(batch.from, size, if wrong_leaves { Vec::new() } else { ids }, hashes))
        })
        .await?;
    let seen = seen.lock().unwrap();
    Ok(seen.clone())
}

#[tokio::test]
async fn an_integration_reads_what_the_last_left_what_others_wrote_since_and_all_again_after_a_failure() {
    let (_d, store) = open();
    let record = |ms| {
        vec![crate::EventToRecord {
            event: access_event_at(ms, 3, clearline_domain::AccessAction::Messages),
            grant: None,
        }]
    };
    let leaf = |i: u64| (0u8, i, [i as u8 + 1; 32]);
    let (from, batch, read) = integrate_reading(&store, record(1), false).await.unwrap();
    assert_eq!((from, batch.len(), read), (0, 1, vec![]));
    // An event another write recorded after that integration is pending for the next one,
    // which starts where the last ended and reads the hash it added.
    let sent = main_event(&store, 2).await;
    let (from, batch, read) = integrate_reading(&store, record(3), false).await.unwrap();
    assert_eq!((from, batch.len(), batch[0], read), (1, 2, sent, vec![leaf(0)]));
    // A refused extension writes nothing; the next integration still starts at the log's end
    // and reads every hash it needs, as stored.
    assert!(matches!(integrate_reading(&store, record(4), true).await, Err(StoreError::Conflict { .. })));
    let (from, batch, read) = integrate_reading(&store, record(5), false).await.unwrap();
    assert_eq!((from, batch.len(), read), (3, 1, vec![leaf(0), leaf(1), leaf(2)]));
    assert_eq!(store.log_head().await.unwrap().unwrap().size, 4);
    assert_eq!(store.log_entries(0, 10).await.unwrap().len(), 4);
}

/// The `auth_epoch` counter on a connection of its own.
fn auth_epoch(conn: &rusqlite::Connection) -> i64 {
    conn.query_row("SELECT n FROM auth_epoch", [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn every_change_an_access_token_lookup_reads_moves_the_auth_epoch() {
    let (dir, _store) = open();
    let options = SqliteOptions::new(dir.path().join("db.sqlite"));
    let c = connect(&options.path, &options.access_path(), false).unwrap();
    c.execute_batch(
        "INSERT INTO users (id, handle, display_name, password_hash, created_at) VALUES (1, 'kim', 'Kim', 'x', 0);
         INSERT INTO partners (id, slug, name, created_at, tier, scopes, max_grant_days, report_cadence_days,
                               effective_from)
           VALUES (1, 'flix', 'Flix', 0, 'standard', 'inbox:read', 90, 14, 0);
         INSERT INTO apps (id, partner_id, name, client_kind, redirect_uris, created_at)
           VALUES (1, 1, 'Flix', 'public', 'https://flix.example/cb', 0);
         INSERT INTO grants (id, user_id, app_id, scopes, created_at, expires_at) VALUES (1, 1, 1, 'inbox:read', 0, 9);
         INSERT INTO oauth_tokens (id, grant_id, kind, secret_hash, created_at, expires_at)
           VALUES (1, 1, 'access', x'00', 0, 9);",
    )
    .unwrap();
    // Every column of the four tables, as a later migration might add one: setting any of them
    // (even to its own value) moves the counter, except a grant's last use.
    for table in ["oauth_tokens", "grants", "apps", "partners"] {
        let columns: Vec<String> = c
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(columns.len() > 4, "{table}: {columns:?}");
        for column in columns {
            let before = auth_epoch(&c);
            c.execute(&format!("UPDATE {table} SET {column} = {column}"), []).unwrap();
            let moved = auth_epoch(&c) > before;
            assert_eq!(moved, column != "last_used_at", "{table}.{column}");
        }
    }
    for table in ["oauth_tokens", "grants", "apps", "partners"] {
        let before = auth_epoch(&c);
        c.execute(&format!("DELETE FROM {table}"), []).unwrap();
        assert!(auth_epoch(&c) > before, "deleting from {table}");
    }
}

#[tokio::test]
async fn events_recorded_with_a_full_integration_wait_for_the_next_and_enter_as_they_read_back() {
    let (_d, store) = open();
    let older = vec![main_event(&store, 1).await, main_event(&store, 2).await];
    let mut odd = access_event_at(3, 3, clearline_domain::AccessAction::Messages);
    odd.resources = vec!["cnv_1".into(), String::new(), "a b".into()];
    let record = vec![crate::EventToRecord { event: odd, grant: None }];
    // The batch is full with what was pending before: the event recorded now is written, not
    // integrated, and the answer says how far the log is complete.
    let (batch, done) = integrate_with(&store, record, 2, None).await.unwrap();
    assert_eq!((batch, done.complete_through), (older.clone(), older[1]));
    let own = done.recorded[0];
    assert!(own > older[1]);
    // The next integration takes it, and what it integrated is what the file holds.
    let (batch, done) = integrate_events(&store, Vec::new(), 10, None).await.unwrap();
    assert_eq!((batch.len(), batch[0].id, done.complete_through), (1, own, own));
    let stored = store.log_entries(2, 1).await.unwrap();
    assert_eq!(stored[0].event, batch[0].event);
    assert_eq!(stored[0].event.resources, vec!["cnv_1", "a", "b"]);
    // Recorded and integrated in one job: the batch holds it exactly as it reads back.
    let mut odd = access_event_at(4, 3, clearline_domain::AccessAction::Messages);
    odd.resources = vec!["x y".into(), String::new()];
    let record = vec![crate::EventToRecord { event: odd, grant: None }];
    let (batch, done) = integrate_events(&store, record, 10, None).await.unwrap();
    assert_eq!((batch.len(), batch[0].id), (1, done.recorded[0]));
    assert_eq!(store.log_entries(3, 1).await.unwrap()[0].event, batch[0].event);
}

#[tokio::test]
async fn each_durable_write_is_synced_and_the_slowest_sync_is_kept() {
    let (_d, store) = open();
    for i in 0..3 {
        user(&store, &format!("sync{i}")).await;
    }
    let s = store.write_stats();
    assert!(s.syncs >= 1 && s.syncs <= s.batches, "{s:?}");
    // The longest sync is one of them: at most their total, at least their mean.
    assert!(s.slowest_sync_micros <= s.sync_micros, "{s:?}");
    assert!(s.slowest_sync_micros * s.syncs >= s.sync_micros, "{s:?}");
    assert!(s.slow_syncs <= s.syncs, "{s:?}");
}
