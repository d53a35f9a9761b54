//! The C2SP tlog-tiles path parser: arbitrary text never panics, a path that parses is exactly
//! the one its tile prints, and its leaves are addressable without overflow.
#![no_main]

use clearline_tlog::tiles::{TILE_WIDTH, TileRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for path in [text.to_owned(), format!("tile/{text}")] {
        if let Ok(tile) = TileRef::parse(&path) {
            assert_eq!(tile.path(), path);
            assert!((1..=TILE_WIDTH).contains(&tile.width));
            let end = tile.index.checked_mul(TILE_WIDTH).and_then(|s| s.checked_add(tile.width));
            assert!(end.is_some(), "{path}");
        }
    }
});
