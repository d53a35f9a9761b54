//! Verifying proofs against tree heads, exactly as RFC 9162 §2.1.3.2 (inclusion) and
//! §2.1.4.2 (consistency) describe. Anything that does not verify is [`Error::BadProof`].

use crate::{Error, Hash, node_hash};

/// Checks that `leaf` is leaf number `index` of the tree of `size` leaves whose head is `root`.
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> Result<(), Error> {
    if index >= size {
        return Err(Error::BadProof);
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(Error::BadProof);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s == 0 && r == *root { Ok(()) } else { Err(Error::BadProof) }
}

/// Checks that the tree of `old` leaves with head `old_root` is a prefix of the tree of `new`
/// leaves with head `new_root`.
pub fn verify_consistency(old: u64, new: u64, proof: &[Hash], old_root: &Hash, new_root: &Hash) -> Result<(), Error> {
    if old > new {
        return Err(Error::BadProof);
    }
    if old == new {
        return if proof.is_empty() && old_root == new_root { Ok(()) } else { Err(Error::BadProof) };
    }
    if old == 0 {
        // Every tree extends the empty tree; there is nothing to prove.
        return if proof.is_empty() { Ok(()) } else { Err(Error::BadProof) };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else { return Err(Error::BadProof) };
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(Error::BadProof);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if fr == *old_root && sr == *new_root && s == 0 { Ok(()) } else { Err(Error::BadProof) }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::{MemoryTree, consistency_proof, inclusion_proof, leaf_hash, tree_hash};

    /// Certificate Transparency's reference inputs and the heads of their first 1..=8 leaves.
    const CT_LEAVES: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    const CT_ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn hexes(list: &[&str]) -> Vec<Hash> {
        list.iter().map(|h| Hash::from_hex(h).unwrap()).collect()
    }

    fn ct_tree(n: usize) -> MemoryTree {
        let mut t = MemoryTree::new();
        for leaf in &CT_LEAVES[..n] {
            t.push(leaf_hash(leaf));
        }
        t
    }

    #[test]
    fn heads_match_the_reference_vectors() {
        assert_eq!(MemoryTree::new().root(), Hash::empty());
        for n in 1..=8 {
            assert_eq!(ct_tree(n).root().to_hex(), CT_ROOTS[n - 1], "size {n}");
        }
    }

    #[test]
    fn proofs_match_the_reference_vectors() {
        let t = ct_tree(8);
        let expected = hexes(&[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]);
        assert_eq!(inclusion_proof(&t, 0, 8).unwrap(), expected);
        assert_eq!(consistency_proof(&t, 1, 8).unwrap(), expected);
        assert_eq!(
            consistency_proof(&t, 6, 8).unwrap(),
            hexes(&[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ])
        );
        assert_eq!(
            consistency_proof(&t, 2, 5).unwrap(),
            hexes(&[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ])
        );
        assert!(consistency_proof(&t, 1, 1).unwrap().is_empty());
    }

    fn tree(n: u64) -> MemoryTree {
        let mut t = MemoryTree::new();
        for i in 0..n {
            t.push(leaf_hash(&i.to_be_bytes()));
        }
        t
    }

    fn flip(proof: &[Hash], bit: usize) -> Vec<Hash> {
        let mut p = proof.to_vec();
        p[bit / 256].0[(bit % 256) / 8] ^= 1 << (bit % 8);
        p
    }

    /// Every proof of every tree up to 70 leaves verifies, and flipping any single bit of it,
    /// or giving the wrong index or size, makes it fail.
    #[test]
    fn every_small_proof_verifies_and_every_bit_flip_fails() {
        let t = tree(70);
        for size in 1..=70u64 {
            let head = tree_hash(&t, size).unwrap();
            for index in 0..size {
                let leaf = leaf_hash(&index.to_be_bytes());
                let proof = inclusion_proof(&t, index, size).unwrap();
                assert_eq!(verify_inclusion(&leaf, index, size, &proof, &head), Ok(()));
                for bit in (0..proof.len() * 256).step_by(37) {
                    assert!(verify_inclusion(&leaf, index, size, &flip(&proof, bit), &head).is_err());
                }
                if size > 1 {
                    assert!(verify_inclusion(&leaf, (index + 1) % size, size, &proof, &head).is_err());
                }
            }
            for old in 1..=size {
                let old_head = tree_hash(&t, old).unwrap();
                let proof = consistency_proof(&t, old, size).unwrap();
                assert_eq!(verify_consistency(old, size, &proof, &old_head, &head), Ok(()), "{old}->{size}");
                for bit in (0..proof.len() * 256).step_by(41) {
                    assert!(verify_consistency(old, size, &flip(&proof, bit), &old_head, &head).is_err());
                }
                if old < size {
                    let wrong = tree_hash(&t, old - 1).unwrap_or_else(|_| Hash::empty());
                    assert!(verify_consistency(old, size, &proof, &wrong, &head).is_err());
                }
            }
        }
    }

    /// Random sizes and positions in bigger trees: every proof verifies, every single-bit
    /// tamper (of the proof, the leaf or the head) fails.
    #[test]
    fn random_proofs_in_large_trees_verify_and_tampering_fails() {
        let t = tree(5_000);
        let mut rng = rand::rngs::StdRng::seed_from_u64(9162);
        for _ in 0..300 {
            let size = rng.gen_range(1..=5_000u64);
            let index = rng.gen_range(0..size);
            let old = rng.gen_range(1..=size);
            let head = tree_hash(&t, size).unwrap();
            let leaf = leaf_hash(&index.to_be_bytes());
            let proof = inclusion_proof(&t, index, size).unwrap();
            assert_eq!(verify_inclusion(&leaf, index, size, &proof, &head), Ok(()));
            let bit = rng.gen_range(0..256);
            if !proof.is_empty() {
                let at = rng.gen_range(0..proof.len() * 256);
                assert!(verify_inclusion(&leaf, index, size, &flip(&proof, at), &head).is_err());
            }
            assert!(verify_inclusion(&flip(&[leaf], bit)[0], index, size, &proof, &head).is_err());
            assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&[head], bit)[0]).is_err());
            let old_head = tree_hash(&t, old).unwrap();
            let cproof = consistency_proof(&t, old, size).unwrap();
            assert_eq!(verify_consistency(old, size, &cproof, &old_head, &head), Ok(()));
            if !cproof.is_empty() {
                let at = rng.gen_range(0..cproof.len() * 256);
                assert!(verify_consistency(old, size, &flip(&cproof, at), &old_head, &head).is_err());
            }
            assert!(verify_consistency(old, size, &cproof, &old_head, &flip(&[head], bit)[0]).is_err());
        }
    }

    #[test]
    fn out_of_range_requests_are_refused() {
        let t = tree(4);
        assert_eq!(inclusion_proof(&t, 4, 4), Err(Error::OutOfRange));
        assert_eq!(consistency_proof(&t, 0, 4), Err(Error::OutOfRange));
        assert_eq!(consistency_proof(&t, 5, 4), Err(Error::OutOfRange));
        assert!(matches!(tree_hash(&t, 5), Err(Error::MissingHash { .. })));
        assert!(verify_inclusion(&Hash::empty(), 0, 0, &[], &Hash::empty()).is_err());
    }
}
