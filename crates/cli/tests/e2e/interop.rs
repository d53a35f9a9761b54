//! Interoperability with an implementation Clearline did not write: Go's reference
//! `golang.org/x/mod/sumdb/note` and `sumdb/tlog` (Debian's golang-golang-x-mod-dev), driven by
//! `interop/go/tlogcheck`. It checks our checkpoint signature, tiles, inclusion receipts and
//! consistency, and must reject a tampered checkpoint, tile and proof. CI installs Go
//! (`.ci/run`); elsewhere, without Go, the test is built `#[ignore]`d (see `build.rs`), so
//! cargo's summary counts it as ignored, never as passed.

use std::path::{Path, PathBuf};
use std::process::Command;

use clearline_testkit::TestServer;
use clearline_tlog::tiles::tiles_for;
use sha2::{Digest, Sha256};

fn go() -> Option<PathBuf> {
    let debian = PathBuf::from("/usr/lib/go-1.19/bin/go");
    if debian.exists() {
        return Some(debian);
    }
    Command::new("go").arg("version").output().ok().filter(|o| o.status.success()).map(|_| PathBuf::from("go"))
}

/// Builds the Go checker; the test fails when Go is missing (it is ignored at build time
/// instead, outside CI, when Go was missing then).
fn tlogcheck() -> PathBuf {
    let go = go().expect("Go is required: run scripts/install-test-deps.sh");
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let out = tmp.join("tlogcheck");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/go/tlogcheck");
    let status = Command::new(go)
        .args(["build", "-o"])
        .arg(&out)
        .arg(".")
        .current_dir(src)
        .env("GO111MODULE", "off")
        .env("GOPATH", format!("{}:/usr/share/gocode", tmp.join("gopath").display()))
        .env("GOCACHE", tmp.join("gocache"))
        .status()
        .unwrap();
    assert!(status.success(), "go build of interop/go/tlogcheck");
    out
}

fn check(tool: &Path, args: &[&str]) -> std::process::Output {
    Command::new(tool).args(args).output().unwrap()
}

/// Copies the checkpoint and every hash tile into `dir` under their C2SP paths.
async fn mirror(url: &str, dir: &Path) -> (String, u64) {
    let note = reqwest::get(format!("{url}/log/checkpoint")).await.unwrap().bytes().await.unwrap();
    let size: u64 = std::str::from_utf8(&note).unwrap().lines().nth(1).unwrap().parse().unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("checkpoint"), &note).unwrap();
    for t in tiles_for(size).into_iter().filter(|t| t.level.is_some()) {
        let data = reqwest::get(format!("{url}/log/{}", t.path())).await.unwrap().bytes().await.unwrap();
        let path = dir.join(t.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }
    (String::from_utf8(note.to_vec()).unwrap(), size)
}

#[tokio::test]
#[cfg_attr(go_missing, ignore = "Go is not installed: run scripts/install-test-deps.sh")]
async fn go_reference_tlog_verifies_our_log_and_rejects_tampering() {
    let tool = tlogcheck();
    let ts = TestServer::spawn().await;
    let op = ts.operator("root").await;
    let app = ts.partner_app(&op, "flix", "standard", "inbox:read").await;
    let alice = ts.person("alice").await;
    let flix = ts.client().with_token(&ts.connect(&alice, &app, "inbox:read").await.access_token);
    let key = reqwest::get(format!("{}/log/key", ts.url)).await.unwrap().text().await.unwrap();
    let key = key.trim();
    for _ in 0..270 {
        flix.partner_me().await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let (old_note, old_size) = mirror(&ts.url, &dir.path().join("old")).await;
    std::fs::write(dir.path().join("old.note"), &old_note).unwrap();
    for _ in 0..30 {
        flix.partner_me().await.unwrap();
    }
    let now = dir.path().join("now");
    let (_, size) = mirror(&ts.url, &now).await;
    assert!(size > old_size && size > 256, "a full tile and a partial one");
    let now_s = now.to_str().unwrap();

    let out = check(&tool, &["tree", key, now_s]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let old = dir.path().join("old.note");
    let out = check(&tool, &["consistency", key, old.to_str().unwrap(), now_s]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // A receipt of alice's newest event.
    let newest = alice.client.access_log().await.unwrap().items.remove(0);
    let proof = alice.client.access_proof(&newest.id).await.unwrap();
    let mut h = Sha256::new();
    h.update(proof.event.as_bytes());
    use base64::Engine;
    h.update(base64::engine::general_purpose::STANDARD.decode(&proof.salt).unwrap());
    let entry: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let receipt = dir.path().join("receipt.tlog-proof");
    let text = proof.tlog_proof.unwrap();
    std::fs::write(&receipt, &text).unwrap();
    let out = check(&tool, &["receipt", key, receipt.to_str().unwrap(), &entry]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Tampered proof: one hash replaced.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    std::fs::write(&receipt, lines.join("\n") + "\n").unwrap();
    assert!(!check(&tool, &["receipt", key, receipt.to_str().unwrap(), &entry]).status.success());
    // Tampered tile: one byte of the first full tile.
    let tile = now.join("tile/0/000");
    let mut data = std::fs::read(&tile).unwrap();
    data[0] ^= 1;
    std::fs::write(&tile, &data).unwrap();
    assert!(!check(&tool, &["tree", key, now_s]).status.success());
    data[0] ^= 1;
    std::fs::write(&tile, &data).unwrap();
    // Tampered checkpoint: the size changed, the signature no longer matches.
    let cp = now.join("checkpoint");
    let note = std::fs::read_to_string(&cp).unwrap();
    std::fs::write(&cp, note.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size - 1), 1)).unwrap();
    assert!(!check(&tool, &["tree", key, now_s]).status.success());
}
