//! `clearline log`: the auditor's and the person's checks of the transparency log, using only
//! what the log publishes. `verify` fetches the signed checkpoint, every hash tile and entry
//! bundle, recomputes the tree and checks it against the checkpoint and against the last
//! checkpoint this auditor saw (consistency). `verify-receipt` checks one access event's
//! `tlog-proof@v1` receipt offline.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Subcommand;
use clearline_tlog::note::LogVerifier;
use clearline_tlog::tiles::{TileRef, decode_bundle, parse_tile_data, tiles_for};
use clearline_tlog::{
    Checkpoint, Hash, HashReader, MemoryTree, ProofFile, consistency_proof, leaf_hash, tree_hash, verify_consistency,
    verify_inclusion,
};
use sha2::{Digest, Sha256};

/// What to check.
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Fetch the checkpoint, all tiles and entry bundles, recompute the tree and check it.
    Verify {
        /// The server's URL (the log is under /log/).
        #[arg(long)]
        url: String,
        /// The log's verifier key (vkey format, as served at /log/key).
        #[arg(long)]
        key: String,
        /// Where to keep the last verified checkpoint, for consistency checks across runs.
        #[arg(long, default_value = "clearline-log.state")]
        state: PathBuf,
    },
    /// Check one receipt offline: a tlog-proof@v1 FILE and the event it proves.
    VerifyReceipt {
        /// The tlog-proof@v1 file.
        file: PathBuf,
        /// The event as the person got it: JSON with `event` (canonical text) and `salt` (base64).
        #[arg(long)]
        event: PathBuf,
        /// The log's verifier key.
        #[arg(long)]
        key: String,
    },
}

/// Runs a log command; an error (non-zero exit) on any mismatch.
pub fn run(cmd: LogCommand) -> anyhow::Result<()> {
    match cmd {
        LogCommand::Verify { url, key, state } => {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (size, root) = rt.block_on(verify_log(url.trim_end_matches('/'), &key, &state))?;
            println!("log verified: {size} entries, root {}", STANDARD.encode(root.0));
        }
        LogCommand::VerifyReceipt { file, event, key } => {
            let (index, size) = verify_receipt(&file, &event, &key)?;
            println!("receipt verified: entry {index} is in the log of {size} entries");
        }
    }
    Ok(())
}

async fn fetch(http: &reqwest::Client, url: &str) -> anyhow::Result<Vec<u8>> {
    let res = http.get(url).send().await.with_context(|| format!("fetching {url}"))?;
    ensure!(res.status().is_success(), "{url}: HTTP {}", res.status());
    Ok(res.bytes().await?.to_vec())
}

async fn verify_log(url: &str, key: &str, state: &Path) -> anyhow::Result<(u64, Hash)> {
    let verifier = LogVerifier::new(key).map_err(|e| anyhow::anyhow!("bad key: {e}"))?;
    let http = reqwest::Client::new();
    let note = fetch(&http, &format!("{url}/log/checkpoint")).await?;
    let checkpoint = verifier.open(&note).map_err(|e| anyhow::anyhow!("checkpoint signature or format: {e}"))?;
    let size = checkpoint.size;
    // Level-0 tiles and entry bundles: every leaf hash must be the hash of its entry.
    let mut tree = MemoryTree::new();
    let tiles = tiles_for(size);
    for t in tiles.iter().filter(|t| t.level == Some(0)) {
        let hashes = parse_tile_data(&fetch(&http, &format!("{url}/log/{}", t.path())).await?)
            .filter(|h| h.len() as u64 == t.width)
            .ok_or_else(|| anyhow::anyhow!("tile {} is malformed", t.path()))?;
        let bundle = TileRef { level: None, ..*t };
        let entries = decode_bundle(&fetch(&http, &format!("{url}/log/{}", bundle.path())).await?)
            .filter(|e| e.len() as u64 == t.width)
            .ok_or_else(|| anyhow::anyhow!("entry bundle {} is malformed", bundle.path()))?;
        for (i, (h, e)) in hashes.iter().zip(&entries).enumerate() {
            ensure!(leaf_hash(e) == *h, "leaf {} does not hash its entry", t.index * 256 + i as u64);
            tree.push(*h);
        }
    }
    let root = tree.root();
    ensure!(root == checkpoint.root, "the tiles do not add up to the checkpoint's root");
    // Higher tiles must hold the subtree hashes the leaves imply.
    for t in tiles.iter().filter(|t| t.level.is_some_and(|l| l > 0)) {
        let level = t.level.unwrap_or(0) * 8;
        let served = parse_tile_data(&fetch(&http, &format!("{url}/log/{}", t.path())).await?)
            .ok_or_else(|| anyhow::anyhow!("tile {} is malformed", t.path()))?;
        for (i, h) in served.iter().enumerate() {
            let expected = tree.read_hash(level, t.index * 256 + i as u64).map_err(|e| anyhow::anyhow!("{e}"))?;
            ensure!(*h == expected, "tile {} disagrees with the leaves", t.path());
        }
    }
    check_consistency(state, &tree, &checkpoint)?;
    std::fs::write(state, format!("{size} {}\n", STANDARD.encode(root.0)))
        .with_context(|| format!("writing {}", state.display()))?;
    Ok((size, root))
}

/// The last checkpoint this auditor verified must be a prefix of this one (RFC 9162 §2.1.4).
fn check_consistency(state: &Path, tree: &MemoryTree, checkpoint: &Checkpoint) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read_to_string(state) else { return Ok(()) };
    let (old_size, old_root) = text.trim().split_once(' ').context("state file is malformed")?;
    let old_size: u64 = old_size.parse().context("state file is malformed")?;
    let old_root = Hash(
        STANDARD.decode(old_root).ok().and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()).context("state root")?,
    );
    if old_size > checkpoint.size {
        bail!("the log shrank: it had {old_size} entries, now {}", checkpoint.size);
    }
    if old_size == 0 {
        return Ok(());
    }
    let proof = consistency_proof(tree, old_size, checkpoint.size).map_err(|e| anyhow::anyhow!("{e}"))?;
    verify_consistency(old_size, checkpoint.size, &proof, &old_root, &checkpoint.root).map_err(|_| {
        anyhow::anyhow!("the log is not consistent with the checkpoint of {old_size} entries seen before")
    })?;
    ensure!(tree_hash(tree, old_size).ok() == Some(old_root), "entries before {old_size} were rewritten");
    Ok(())
}

#[derive(serde::Deserialize)]
struct EventFile {
    event: String,
    salt: String,
}

fn verify_receipt(file: &Path, event: &Path, key: &str) -> anyhow::Result<(u64, u64)> {
    let verifier = LogVerifier::new(key).map_err(|e| anyhow::anyhow!("bad key: {e}"))?;
    let proof = ProofFile::parse(&std::fs::read(file).with_context(|| format!("reading {}", file.display()))?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let checkpoint =
        verifier.open(&proof.checkpoint).map_err(|e| anyhow::anyhow!("checkpoint signature or format: {e}"))?;
    let ev: EventFile =
        serde_json::from_slice(&std::fs::read(event).with_context(|| format!("reading {}", event.display()))?)
            .with_context(|| format!("{}: expected JSON with event and salt", event.display()))?;
    let salt = STANDARD.decode(&ev.salt).context("salt is not base64")?;
    let mut h = Sha256::new();
    h.update(ev.event.as_bytes());
    h.update(&salt);
    let entry: [u8; 32] = h.finalize().into();
    verify_inclusion(&leaf_hash(&entry), proof.index, checkpoint.size, &proof.proof, &checkpoint.root)
        .map_err(|_| anyhow::anyhow!("the event is not at entry {} of the signed checkpoint", proof.index))?;
    Ok((proof.index, checkpoint.size))
}
