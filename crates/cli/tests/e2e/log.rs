//! The transparency log end to end: partner calls become log entries, the person can prove
//! theirs with the `clearline` binary, and an auditor verifies the whole log, across runs.

use std::path::Path;

use clearline_testkit::TestServer;
use tokio::process::Command;

/// Integrates everything pending (the background sequencer may be doing the same).
async fn integrate(ts: &TestServer) {
    for _ in 0..20 {
        if let Ok(None) = ts.state().app.integrate_log(&ts.state().log).await {
            return;
        }
    }
    panic!("the log did not settle");
}

async fn clearline(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_clearline")).args(args).current_dir(dir).output().await.unwrap()
}

#[tokio::test]
async fn a_person_proves_an_access_event_offline_and_tampering_fails() {
    let ts = TestServer::spawn().await;
    let op = ts.operator("root").await;
    let app = ts.partner_app(&op, "flix", "standard", "inbox:read friends:read").await;
    let alice = ts.person("alice").await;
    let token = ts.connect(&alice, &app, "inbox:read").await.access_token;
    let flix = ts.client().with_token(&token);
    flix.partner_me().await.unwrap();
    assert!(flix.partner_friends().await.is_err(), "a denied call is logged too");
    integrate(&ts).await;

    let log = alice.client.access_log().await.unwrap().items;
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|e| e.leaf_index.is_some()));
    let denied = &log[0];
    let proof = alice.client.access_proof(&denied.id).await.unwrap();
    assert!(proof.event.contains("\"reason\":\"missing_scope\""), "{}", proof.event);
    let dir = tempfile::tempdir().unwrap();
    let key = reqwest::get(format!("{}/log/key", ts.url)).await.unwrap().text().await.unwrap();
    let key = key.trim();
    std::fs::write(dir.path().join("receipt.tlog-proof"), proof.tlog_proof.as_ref().unwrap()).unwrap();
    let event = serde_json::json!({ "event": proof.event, "salt": proof.salt });
    std::fs::write(dir.path().join("event.json"), event.to_string()).unwrap();
    let args = ["log", "verify-receipt", "receipt.tlog-proof", "--event", "event.json", "--key", key];
    let ok = clearline(&args, dir.path()).await;
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));

    // A changed event, a changed proof or another log's key are each refused.
    let forged = serde_json::json!({ "event": proof.event.replace("denied", "allowed"), "salt": proof.salt });
    std::fs::write(dir.path().join("event.json"), forged.to_string()).unwrap();
    assert!(!clearline(&args, dir.path()).await.status.success());
    std::fs::write(dir.path().join("event.json"), event.to_string()).unwrap();
    let text = proof.tlog_proof.unwrap();
    let tampered = text.replacen("index ", "index 1", 1);
    std::fs::write(dir.path().join("receipt.tlog-proof"), tampered).unwrap();
    assert!(!clearline(&args, dir.path()).await.status.success());
    std::fs::write(dir.path().join("receipt.tlog-proof"), &text).unwrap();
    let other_key = key.replacen('+', "x+", 1);
    let args_other = ["log", "verify-receipt", "receipt.tlog-proof", "--event", "event.json", "--key", &other_key];
    assert!(!clearline(&args_other, dir.path()).await.status.success());

    // Nobody else gets alice's proof.
    let bob = ts.person("bob").await;
    assert_eq!(bob.client.access_proof(&denied.id).await.unwrap_err().status(), Some(404));
}

#[tokio::test]
async fn an_auditor_verifies_the_whole_log_and_its_growth() {
    let ts = TestServer::spawn().await;
    let op = ts.operator("root").await;
    let app = ts.partner_app(&op, "flix", "standard", "inbox:read").await;
    let alice = ts.person("alice").await;
    let flix = ts.client().with_token(&ts.connect(&alice, &app, "inbox:read").await.access_token);
    for _ in 0..300 {
        flix.partner_me().await.unwrap();
    }
    integrate(&ts).await;
    let dir = tempfile::tempdir().unwrap();
    let key = reqwest::get(format!("{}/log/key", ts.url)).await.unwrap().text().await.unwrap();
    let args = ["log", "verify", "--url", ts.url.as_str(), "--key", key.trim(), "--state", "state"];
    let out = clearline(&args, dir.path()).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("300 entries"));
    // The log grows (past a full tile and into a partial one); the new head is consistent.
    for _ in 0..20 {
        flix.partner_me().await.unwrap();
    }
    integrate(&ts).await;
    let out = clearline(&args, dir.path()).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("320 entries"));
    // An auditor who saw a different history is told it is not consistent.
    let state = std::fs::read_to_string(dir.path().join("state")).unwrap();
    let (size, _) = state.trim().split_once(' ').unwrap();
    std::fs::write(dir.path().join("state"), format!("{size} {}\n", "A".repeat(43) + "=")).unwrap();
    let out = clearline(&args, dir.path()).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not consistent"));
    // The wrong key refuses the checkpoint.
    std::fs::remove_file(dir.path().join("state")).unwrap();
    let other = key.trim().replacen('+', "x+", 1);
    let bad = ["log", "verify", "--url", ts.url.as_str(), "--key", other.as_str(), "--state", "state"];
    assert!(!clearline(&bad, dir.path()).await.status.success());
}

#[tokio::test]
async fn a_revealing_response_is_released_only_once_its_event_is_in_a_signed_checkpoint() {
    let ts = TestServer::spawn().await;
    let op = ts.operator("root").await;
    let app = ts.partner_app(&op, "flix", "standard", "inbox:read").await;
    let alice = ts.person("alice").await;
    let flix = ts.client().with_token(&ts.connect(&alice, &app, "inbox:read").await.access_token);
    for _ in 0..5 {
        flix.partner_me().await.unwrap();
        // No integration is forced here: the answer itself waited for the checkpoint.
        let newest = alice.client.access_log().await.unwrap().items.remove(0);
        let leaf = newest.leaf_index.expect("integrated before the response was sent");
        let proof = alice.client.access_proof(&newest.id).await.unwrap();
        assert!(proof.tlog_proof.unwrap().contains(&format!("index {leaf}\n")));
    }
}

#[tokio::test]
async fn the_app_gets_receipts_for_its_own_calls_only() {
    let ts = TestServer::spawn().await;
    let op = ts.operator("root").await;
    let (flix, other) = (
        ts.partner_app(&op, "flix", "standard", "inbox:read").await,
        ts.partner_app(&op, "other", "standard", "inbox:read").await,
    );
    let alice = ts.person("alice").await;
    let as_flix = ts.client().with_token(&ts.connect(&alice, &flix, "inbox:read").await.access_token);
    let as_other = ts.client().with_token(&ts.connect(&alice, &other, "inbox:read").await.access_token);
    as_flix.partner_me().await.unwrap();
    let own = as_flix.partner_access_log().await.unwrap().items.remove(0);
    let receipt = as_flix.partner_access_proof(&own.id).await.unwrap();
    assert!(receipt.event.contains(&format!("\"id\":\"{}\"", own.id)));
    assert_eq!(receipt.salt, own.salt, "the list and the receipt name the same salt");
    assert!(receipt.tlog_proof.unwrap().starts_with("c2sp.org/tlog-proof@v1\n"));
    assert_eq!(as_other.partner_access_proof(&own.id).await.unwrap_err().status(), Some(404));
    assert_eq!(ts.client().partner_access_proof(&own.id).await.unwrap_err().status(), Some(401));
}

#[tokio::test]
async fn a_fresh_log_publishes_a_signed_empty_checkpoint_that_verifies() {
    let ts = TestServer::spawn().await;
    let note = reqwest::get(format!("{}/log/checkpoint", ts.url)).await.unwrap();
    assert_eq!(note.status(), 200);
    let note = note.text().await.unwrap();
    let mut lines = note.lines();
    let origin = lines.next().unwrap();
    assert!(origin.ends_with("/log"), "{origin}");
    // Size 0 and the root of the empty tree, SHA-256 of nothing (RFC 9162 §2.1.1).
    assert_eq!(lines.next(), Some("0"));
    assert_eq!(lines.next(), Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
    let key = reqwest::get(format!("{}/log/key", ts.url)).await.unwrap().text().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = clearline(&["log", "verify", "--url", &ts.url, "--key", key.trim()], dir.path()).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("log verified: 0 entries"));
}
