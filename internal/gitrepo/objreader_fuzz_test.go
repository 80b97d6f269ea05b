package gitrepo

import (
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// FuzzApplyDelta feeds arbitrary deltas (from a damaged pack) to
// applyDelta: it must never panic, and what it accepts has the length the
// delta announces.
func FuzzApplyDelta(f *testing.F) {
	base := []byte("hello, world\n")
	// Source size 13, target size 18: copy 7 bytes at 0, insert "there\n",
	// copy 5 bytes at 7.
	f.Add(base, []byte("\x0d\x12\x91\x00\x07\x06there\n\x91\x07\x05"))
	f.Add(base, []byte("\x0d\x00"))
	f.Add([]byte{}, []byte("\x00\x03\x03abc"))
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, err := applyDelta(base, delta)
		if err != nil {
			return
		}
		size, shift, rest := 0, 0, delta
		for range 2 { // skip the source size, then read the target size
			size, shift = 0, 0
			for len(rest) > 0 {
				c := rest[0]
				rest = rest[1:]
				size |= int(c&0x7f) << shift
				shift += 7
				if c&0x80 == 0 {
					break
				}
			}
		}
		if len(out) != size {
			t.Errorf("applyDelta returned %d bytes, the delta announces %d", len(out), size)
		}
	})
}

// FuzzFindTreeEntry checks findTreeEntry against go-git's tree decoder:
// on any tree go-git reads, every entry is found with its id and mode.
func FuzzFindTreeEntry(f *testing.F) {
	h := strings.Repeat("\x01", 20)
	f.Add([]byte("100644 a.txt\x00"+h+"40000 dir\x00"+h), "dir")
	f.Add([]byte("120000 link\x00"+h), "link")
	f.Add([]byte("100644 x"), "x")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		got, err := findTreeEntry(data, name)
		obj := &plumbing.MemoryObject{}
		obj.SetType(plumbing.TreeObject)
		obj.Write(data)
		var tree object.Tree
		if tree.Decode(obj) != nil {
			return
		}
		if err != nil {
			t.Fatalf("go-git reads the tree, findTreeEntry fails: %v", err)
		}
		want := treeEntry{}
		for _, e := range tree.Entries {
			if e.Name == name {
				want = treeEntry{hash: e.Hash, mode: uint32(e.Mode)}
				break
			}
		}
		if got != want {
			t.Errorf("findTreeEntry(%q) = %v, go-git finds %v", name, got, want)
		}
	})
}

// FuzzSplitMessage checks that a subject is always one line and that the
// body is a suffix of the message.
func FuzzSplitMessage(f *testing.F) {
	f.Add("  subject\n\n  body\n")
	f.Add("\n \t\nsubject\ncontinued \n\nbody")
	f.Fuzz(func(t *testing.T, msg string) {
		subject, body := splitMessage(msg)
		if strings.Contains(subject, "\n") {
			t.Errorf("subject %q has a newline", subject)
		}
		if !strings.Contains(msg, body) {
			t.Errorf("body %q is not part of the message %q", body, msg)
		}
	})
}
