// Command tlogcheck checks Clearline's transparency log with Go's reference implementation
// (golang.org/x/mod/sumdb/note and sumdb/tlog), which Clearline's code did not write.
//
// Usage:
//
//	tlogcheck tree VKEY DIR                 checkpoint and tiles mirrored under DIR (C2SP paths)
//	tlogcheck consistency VKEY OLD_NOTE DIR  the tree in DIR extends the one in OLD_NOTE
//	tlogcheck receipt VKEY PROOF ENTRY_HEX   a c2sp.org/tlog-proof@v1 file proves ENTRY
//
// It exits non-zero with a message on any failure.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogcheck: "+format+"\n", args...)
	os.Exit(1)
}

// openCheckpoint verifies a signed checkpoint note and parses its body (C2SP tlog-checkpoint).
func openCheckpoint(vkey string, msg []byte) tlog.Tree {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("bad verifier key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] != v.Name() {
		fail("checkpoint body: origin must be %q", v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("checkpoint root hash")
	}
	var h tlog.Hash
	copy(h[:], root)
	return tlog.Tree{N: size, Hash: h}
}

// dirTiles reads hash tiles from a mirror laid out with C2SP tlog-tiles paths.
type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		// Go's sumdb paths carry the tile height ("tile/8/L/N"); C2SP's do not ("tile/L/N").
		p := strings.Replace(t.Path(), "tile/8/", "tile/", 1)
		data, err := os.ReadFile(filepath.Join(d.dir, p))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func readFile(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	return data
}

func checkTree(vkey, dir string) {
	tree := openCheckpoint(vkey, readFile(filepath.Join(dir, "checkpoint")))
	hr := tlog.TileHashReader(tree, dirTiles{dir})
	th, err := tlog.TreeHash(tree.N, hr)
	if err != nil || th != tree.Hash {
		fail("tiles do not match the checkpoint: %v", err)
	}
	for _, i := range []int64{0, tree.N / 2, tree.N - 1} {
		leaf, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err != nil {
			fail("leaf %d: %v", i, err)
		}
		p, err := tlog.ProveRecord(tree.N, i, hr)
		if err != nil {
			fail("proof of %d: %v", i, err)
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, i, leaf[0]); err != nil {
			fail("inclusion of %d: %v", i, err)
		}
	}
	fmt.Printf("tree ok: %d entries\n", tree.N)
}

func checkConsistency(vkey, oldNote, dir string) {
	old := openCheckpoint(vkey, readFile(oldNote))
	tree := openCheckpoint(vkey, readFile(filepath.Join(dir, "checkpoint")))
	hr := tlog.TileHashReader(tree, dirTiles{dir})
	p, err := tlog.ProveTree(tree.N, old.N, hr)
	if err != nil {
		fail("consistency proof: %v", err)
	}
	if err := tlog.CheckTree(p, tree.N, tree.Hash, old.N, old.Hash); err != nil {
		fail("not consistent: %v", err)
	}
	fmt.Printf("consistency ok: %d -> %d\n", old.N, tree.N)
}

func checkReceipt(vkey, proofFile, entryHex string) {
	data := readFile(proofFile)
	sep := bytes.Index(data, []byte("\n\n"))
	if sep < 0 {
		fail("proof: no checkpoint")
	}
	lines := strings.Split(string(data[:sep]), "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		fail("proof: not a c2sp.org/tlog-proof@v1 file")
	}
	lines = lines[1:]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		fail("proof: no index")
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "index "), 10, 64)
	if err != nil {
		fail("proof: bad index")
	}
	var proof tlog.RecordProof
	for _, l := range lines[1:] {
		h, err := tlog.ParseHash(l)
		if err != nil {
			fail("proof: bad hash")
		}
		proof = append(proof, h)
	}
	tree := openCheckpoint(vkey, data[sep+2:])
	entry, err := hex.DecodeString(entryHex)
	if err != nil {
		fail("entry: %v", err)
	}
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(entry)); err != nil {
		fail("inclusion: %v", err)
	}
	fmt.Printf("receipt ok: entry %d of %d\n", index, tree.N)
}

func main() {
	a := os.Args[1:]
	switch {
	case len(a) == 3 && a[0] == "tree":
		checkTree(a[1], a[2])
	case len(a) == 4 && a[0] == "consistency":
		checkConsistency(a[1], a[2], a[3])
	case len(a) == 4 && a[0] == "receipt":
		checkReceipt(a[1], a[2], a[3])
	default:
		fail("usage: tlogcheck tree VKEY DIR | consistency VKEY OLD_NOTE DIR | receipt VKEY PROOF ENTRY_HEX")
	}
}
