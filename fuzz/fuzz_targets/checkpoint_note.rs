//! The C2SP checkpoint and signed-note parsers: arbitrary bytes never panic; a checkpoint that
//! parses prints back to the same text, and signed by a log it opens to the same checkpoint.
#![no_main]

use std::sync::LazyLock;

use clearline_tlog::Checkpoint;
use clearline_tlog::note::{LogSigner, LogVerifier};
use libfuzzer_sys::fuzz_target;

static LOG: LazyLock<(LogSigner, LogVerifier)> = LazyLock::new(|| {
    let (signer, _) = LogSigner::generate("fuzz.example/log").expect("a fresh key");
    let verifier = LogVerifier::new(signer.verifier_key()).expect("its own key");
    (signer, verifier)
});

fuzz_target!(|data: &[u8]| {
    let (signer, verifier) = &*LOG;
    // Any bytes as a signed note: refused or opened, never a panic.
    let _ = verifier.open(data);
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(checkpoint) = Checkpoint::parse(text) else { return };
    assert_eq!(Checkpoint::parse(&checkpoint.to_text()).ok(), Some(checkpoint.clone()));
    if checkpoint.origin == signer.origin() {
        let note = signer.sign(&checkpoint).expect("a parsed checkpoint signs");
        assert_eq!(verifier.open(&note).ok(), Some(checkpoint));
    }
});
