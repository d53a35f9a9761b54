//! Tests of the real `clearline` binary: configuration layering and crash durability.

use std::collections::HashSet;
use std::path::Path;
use std::process::Stdio;

use clearline_api_types::MessagePageQuery;
use clearline_client::Client;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

struct Server {
    child: Child,
    url: String,
}

/// Starts `clearline serve` with the data dir from the environment, the sync level from a
/// config file and the listen address from a flag (which must beat the bad one in the env).
async fn start(dir: &Path) -> Server {
    let config = dir.join("clearline.toml");
    std::fs::write(&config, "[storage]\nsynchronous = \"full\"\n[log]\nfilter = \"warn\"\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_clearline"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("CLEARLINE_DATA_DIR", dir.join("data"))
        .env("CLEARLINE_LISTEN", "127.0.0.1:1")
        .env("CLEARLINE_TEST_UNRELATED", "ignored")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().expect("a first line");
    let url = line.strip_prefix("listening on ").expect("listening line").to_owned();
    assert!(!url.ends_with(":1"), "the --listen flag overrides CLEARLINE_LISTEN");
    Server { child, url }
}

#[tokio::test]
async fn every_acknowledged_message_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path()).await;
    let anon = Client::new(&server.url);
    let a = anon.sign_up("kim", "Kim", "correct horse battery").await.unwrap();
    let b = anon.sign_up("lou", "Lou", "correct horse battery").await.unwrap();
    let (ca, cb) = (anon.with_token(&a.token), anon.with_token(&b.token));
    ca.send_friend_request(&b.user.id).await.unwrap();
    cb.accept_friend_request(&a.user.id).await.unwrap();
    let (conv, _) = ca.open_direct(&b.user.id).await.unwrap();

    let (acks, mut acked) = mpsc::unbounded_channel::<String>();
    let mut senders = Vec::new();
    for t in 0..8 {
        let (client, conv, acks) = (if t % 2 == 0 { ca.clone() } else { cb.clone() }, conv.id.clone(), acks.clone());
        senders.push(tokio::spawn(async move {
            for i in 0.. {
                match client.send_text(&conv, &format!("t{t} m{i}"), Some(&format!("t{t}-{i}"))).await {
                    Ok(m) => {
                        if acks.send(m.id).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        }));
    }
    drop(acks);
    let mut ids = HashSet::new();
    while ids.len() < 400 {
        ids.insert(acked.recv().await.unwrap());
    }
    server.child.start_kill().unwrap(); // SIGKILL
    server.child.wait().await.unwrap();
    // Acknowledgements that raced the kill count too: each was answered before the process died.
    while let Some(id) = acked.recv().await {
        ids.insert(id);
    }
    for s in senders {
        s.await.unwrap();
    }

    let server = start(dir.path()).await;
    let reader = Client::new(&server.url).with_token(&a.token);
    let mut stored = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let q = MessagePageQuery { before: before.clone(), limit: Some(100), ..Default::default() };
        let page = reader.messages(&conv.id, &q).await.unwrap();
        stored.extend(page.items.iter().map(|m| m.id.clone()));
        if !page.has_more {
            break;
        }
        before = stored.last().cloned();
    }
    let stored_set: HashSet<String> = stored.iter().cloned().collect();
    assert_eq!(stored_set.len(), stored.len(), "no message stored twice");
    let lost: Vec<&String> = ids.iter().filter(|id| !stored_set.contains(*id)).collect();
    assert!(lost.is_empty(), "{} acknowledged messages lost: {lost:?}", lost.len());
    drop(server);
}

#[tokio::test]
async fn demo_seeds_a_world_and_sigterm_stops_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_clearline"))
        .args(["demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("demo"))
        .env("CLEARLINE_LOG__FILTER", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let url = loop {
        let line = lines.next_line().await.unwrap().expect("demo prints its URL");
        if let Some(url) = line.strip_prefix("listening on ") {
            break url.to_owned();
        }
        printed.push(line);
    };
    assert!(printed.iter().any(|l| l.contains("alice")), "logins are printed: {printed:?}");
    let alice = Client::new(&url).sign_in("alice", "demo-password").await.unwrap();
    let client = Client::new(&url).with_token(&alice.token);
    let inbox = client.inbox(None, None).await.unwrap();
    assert!(inbox.items.len() >= 3, "alice has conversations");
    assert!(inbox.items.iter().any(|i| i.conversation.title.as_deref() == Some("Movie night")));
    assert!(!client.friend_requests().await.unwrap().received.is_empty(), "a pending request waits");
    let pid = child.id().unwrap().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().await.unwrap();
    assert!(status.success());
    let exit = child.wait().await.unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}
