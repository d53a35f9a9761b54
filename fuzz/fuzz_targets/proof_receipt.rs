//! The `c2sp.org/tlog-proof@v1` receipt parser: arbitrary bytes never panic, and a receipt that
//! parses prints back to text that parses to the same receipt.
#![no_main]

use clearline_tlog::ProofFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(proof) = ProofFile::parse(data) {
        assert_eq!(ProofFile::parse(&proof.to_text()).ok(), Some(proof));
    }
});
