//! A partner's report as handed in: the JSON and CSV readers and the domain's validation of
//! what they read never panic on any body; every refusal is an error value.
#![no_main]

use clearline_api_types::reports::{report_from_csv, report_from_json};
use clearline_domain::report::{Cadence, validate_submission};
use libfuzzer_sys::fuzz_target;

/// Fortnights from 2026-11-01 (day 20758), due three days after each ends.
const CADENCE: Cadence = Cadence { first_day: 20_758, cadence_days: 14, due_after_days: 3 };

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else { return };
    let draft = if kind % 2 == 0 {
        report_from_json(body)
    } else {
        report_from_csv(body, "2026-11-01".to_owned(), "2026-11-14".to_owned())
    };
    if let Ok(draft) = draft {
        let _ = validate_submission(&draft, &CADENCE);
    }
});
