//! The partner API's request bodies: a send and a recommendation, read from any bytes and
//! turned into domain values, never panic; every refusal is an error value.
#![no_main]

use clearline_api_types::{PartnerSendRequest, RecommendationRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(send) = serde_json::from_slice::<PartnerSendRequest>(data) {
        let _ = send.parse();
    }
    if let Ok(recommend) = serde_json::from_slice::<RecommendationRequest>(data) {
        let _ = recommend.parts();
    }
});
