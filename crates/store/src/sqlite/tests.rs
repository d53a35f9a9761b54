//! Store tests on a fresh SQLite file each.

use clearline_domain::{
    ContentType, ConversationKind, DisplayName, EventSeq, Handle, IdempotencyKey, MessageContent, PageRequest,
    Timestamp, User,
};

use super::*;
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
    // The next write's commit runs after the erasure's checkpoint; then read every file.
    store.revoke_session(a.id, clearline_domain::SessionId::from_raw(1), Timestamp::from_millis(5)).await.unwrap();
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
    let checkpointer = connect(&dir.path().join("db.sqlite"), false).unwrap();
    workers::checkpoint_round(&checkpointer, &wal).unwrap();
    // The next writes overwrite the WAL from its start: it keeps its size instead of growing.
    for m in n..n + 64 {
        ids.push(send(m).await.unwrap().unwrap().value.id);
    }
    assert_eq!(size(), grown, "the WAL grew after the round");
    // Nothing was lost on the way.
    for (i, id) in ids.into_iter().enumerate() {
        let m = store.message(id).await.unwrap().expect("message kept");
        assert!(m.content.unwrap().body().as_bytes().starts_with(format!("{i:06}").as_bytes()));
    }
}
