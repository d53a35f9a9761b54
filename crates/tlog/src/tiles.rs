//! C2SP tlog-tiles: the tree published as static files. A tile at level `L`, index `N` holds
//! up to 256 consecutive hashes of Merkle level `8·L`, starting at node `256·N`; a partial
//! tile of width `W` (1..=255) is served at `<path>.p/<W>` until it fills. Entry bundles at
//! `tile/entries/<N>` hold the leaves' data, each with a big-endian uint16 length prefix.
//! Index `N` is written in three-digit groups, all but the last prefixed with `x`
//! (`1234067` → `x001/x234/067`). These are NOT Go sumdb's `tile/8/…` paths.

use crate::{Error, Hash, HashReader};

/// Levels of the Merkle tree per tile level.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// A tile or entry bundle, as named by a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileRef {
    /// The tile level, or `None` for an entry bundle.
    pub level: Option<u8>,
    /// The tile index within its level.
    pub index: u64,
    /// Its width: 256 for a full tile, 1..=255 for a partial one.
    pub width: u64,
}

fn encode_index(n: u64) -> String {
    let digits = n.to_string();
    let pad = (3 - digits.len() % 3) % 3;
    let padded = format!("{}{digits}", "0".repeat(pad));
    let groups: Vec<&str> = (0..padded.len()).step_by(3).map(|i| &padded[i..i + 3]).collect();
    let last = groups.len() - 1;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| if i < last { format!("x{g}") } else { (*g).to_owned() })
        .collect::<Vec<_>>()
        .join("/")
}

impl TileRef {
    /// The path under the log's prefix, e.g. `tile/0/x001/234.p/17` or `tile/entries/000`.
    pub fn path(&self) -> String {
        let level = self.level.map_or_else(|| "entries".to_owned(), |l| l.to_string());
        let mut path = format!("tile/{level}/{}", encode_index(self.index));
        if self.width < TILE_WIDTH {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }

    /// Parses a path made by [`TileRef::path`]; anything else is refused.
    pub fn parse(path: &str) -> Result<Self, Error> {
        let rest = path.strip_prefix("tile/").ok_or(Error::TilePath)?;
        let (level, rest) = rest.split_once('/').ok_or(Error::TilePath)?;
        let level = match level {
            "entries" => None,
            l if !l.is_empty()
                && l.len() <= 2
                && l.bytes().all(|b| b.is_ascii_digit())
                && (l == "0" || !l.starts_with('0')) =>
            {
                Some(l.parse::<u8>().map_err(|_| Error::TilePath)?)
                    .filter(|l| *l < 64)
                    .ok_or(Error::TilePath)
                    .map(Some)?
            }
            _ => return Err(Error::TilePath),
        };
        let (index_part, width) = match rest.split_once(".p/") {
            Some((i, w)) => {
                let width: u64 = w.parse().map_err(|_| Error::TilePath)?;
                if !(1..TILE_WIDTH).contains(&width) || w.starts_with('0') {
                    return Err(Error::TilePath);
                }
                (i, width)
            }
            None => (rest, TILE_WIDTH),
        };
        let groups: Vec<&str> = index_part.split('/').collect();
        let last = groups.len() - 1;
        let mut digits = String::new();
        for (i, g) in groups.iter().enumerate() {
            let g = if i < last { g.strip_prefix('x').ok_or(Error::TilePath)? } else { g };
            if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::TilePath);
            }
            digits.push_str(g);
        }
        let index: u64 = digits.parse().map_err(|_| Error::TilePath)?;
        // The tile's leaves (or hashes) must be addressable: index * 256 + width fits in u64.
        index.checked_mul(TILE_WIDTH).and_then(|start| start.checked_add(width)).ok_or(Error::TilePath)?;
        let tile = Self { level, index, width };
        if tile.path() == path { Ok(tile) } else { Err(Error::TilePath) }
    }
}

/// Every tile and entry bundle of a tree of `size` leaves, full ones first within a level.
pub fn tiles_for(size: u64) -> Vec<TileRef> {
    let mut out = Vec::new();
    let bundles = size / TILE_WIDTH;
    out.extend((0..bundles).map(|index| TileRef { level: None, index, width: TILE_WIDTH }));
    if !size.is_multiple_of(TILE_WIDTH) {
        out.push(TileRef { level: None, index: bundles, width: size % TILE_WIDTH });
    }
    let mut level = 0u8;
    loop {
        let nodes = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
        if nodes == 0 {
            break;
        }
        let full = nodes / TILE_WIDTH;
        out.extend((0..full).map(|index| TileRef { level: Some(level), index, width: TILE_WIDTH }));
        if !nodes.is_multiple_of(TILE_WIDTH) {
            out.push(TileRef { level: Some(level), index: full, width: nodes % TILE_WIDTH });
        }
        level += 1;
    }
    out
}

/// The contents of hash tile `level`, `index`, `width`: the hashes concatenated.
pub fn tile_data(r: &impl HashReader, level: u8, index: u64, width: u64) -> Result<Vec<u8>, Error> {
    let merkle_level = level * TILE_HEIGHT;
    let mut out = Vec::with_capacity(32 * width as usize);
    for i in 0..width {
        out.extend_from_slice(&r.read_hash(merkle_level, index * TILE_WIDTH + i)?.0);
    }
    Ok(out)
}

/// Splits hash tile contents back into hashes; `None` unless a whole number of hashes.
pub fn parse_tile_data(data: &[u8]) -> Option<Vec<Hash>> {
    if !data.len().is_multiple_of(32) {
        return None;
    }
    data.chunks_exact(32).map(|c| <[u8; 32]>::try_from(c).ok().map(Hash)).collect()
}

/// An entry bundle: each entry preceded by its length as a big-endian uint16.
pub fn encode_bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len()).map_err(|_| Error::OutOfRange)?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// The entries of a bundle; `None` if it is truncated.
pub fn decode_bundle(mut data: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (len, rest) = data.split_at_checked(2)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let (entry, rest) = rest.split_at_checked(len)?;
        out.push(entry.to_vec());
        data = rest;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryTree, leaf_hash};

    #[test]
    fn paths_follow_c2sp_tlog_tiles() {
        let t = |level, index, width| TileRef { level, index, width }.path();
        assert_eq!(t(Some(0), 0, 256), "tile/0/000");
        assert_eq!(t(Some(1), 1_234_067, 256), "tile/1/x001/x234/067");
        assert_eq!(t(Some(2), 5, 17), "tile/2/005.p/17");
        assert_eq!(t(None, 1000, 256), "tile/entries/x001/000");
        assert_eq!(t(None, 0, 3), "tile/entries/000.p/3");
    }

    #[test]
    fn paths_parse_back_and_bad_ones_are_refused() {
        for p in ["tile/0/000", "tile/1/x001/x234/067", "tile/2/005.p/17", "tile/entries/x001/000.p/255"] {
            assert_eq!(TileRef::parse(p).map(|t| t.path()).as_deref(), Ok(p));
        }
        for bad in [
            "tile/0/0",
            "tile/0/x000",
            "tile/0/001/002",
            "tile/00/000",
            "tile/64/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/017",
            "tile/8/000/x",
            "tiles/0/000",
            "tile/data/000",
            "tile/0/x000/001",
        ] {
            assert!(TileRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tile_indexes_whose_leaves_overflow_u64_are_refused() {
        // 2^56 tiles of 256 leaves start at 2^64: past the last addressable leaf.
        let overflowing = TileRef { level: Some(0), index: 1 << 56, width: TILE_WIDTH }.path();
        assert!(TileRef::parse(&overflowing).is_err(), "{overflowing}");
        let last = TileRef { level: Some(0), index: (1 << 56) - 1, width: TILE_WIDTH - 1 };
        assert_eq!(TileRef::parse(&last.path()).ok(), Some(last));
        assert!(TileRef::parse("tile/0/x018/x446/x744/x073/x709/x551/615").is_err(), "u64::MAX");
        assert!(TileRef::parse("tile/0/x999/x999/x999/x999/x999/x999/x999/999").is_err(), "beyond u64");
    }

    #[test]
    fn tiles_cover_the_tree_and_their_hashes_rebuild_the_head() {
        let mut tree = MemoryTree::new();
        for i in 0..70_000u64 {
            tree.push(leaf_hash(&i.to_be_bytes()));
        }
        let tiles = tiles_for(70_000);
        // 70,000 leaves: 273 full bundles and one of 112; level 1 holds 273 hashes (a full tile
        // and one of 17); level 2 holds one hash; level 3 none.
        let widths = |level| tiles.iter().filter(|t| t.level == level).map(|t| t.width).collect::<Vec<_>>();
        assert_eq!(widths(None).len(), 274);
        assert_eq!(widths(None).last(), Some(&112));
        assert_eq!(widths(Some(1)), vec![256, 17]);
        assert_eq!(widths(Some(2)), vec![1]);
        assert!(widths(Some(3)).is_empty());
        // Rebuild level 0 from its tiles alone and recompute the head.
        let mut rebuilt = MemoryTree::new();
        for t in tiles.iter().filter(|t| t.level == Some(0)) {
            for h in parse_tile_data(&tile_data(&tree, 0, t.index, t.width).unwrap()).unwrap() {
                rebuilt.push(h);
            }
        }
        assert_eq!(rebuilt.root(), tree.root());
    }

    #[test]
    fn bundles_round_trip_and_truncation_is_detected() {
        let entries: [&[u8]; 3] = [b"", b"abc", &[7u8; 300]];
        let data = encode_bundle(entries).unwrap();
        assert_eq!(decode_bundle(&data).unwrap(), entries.iter().map(|e| e.to_vec()).collect::<Vec<_>>());
        assert!(decode_bundle(&data[..data.len() - 1]).is_none());
        assert!(encode_bundle([&[0u8; 70_000][..]]).is_err());
    }
}
