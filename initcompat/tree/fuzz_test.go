package tree

import (
	"bytes"
	"strings"
	"testing"
)

// A snapshot stream, however damaged, gives an error or a tree of clean
// paths; never a panic.
func FuzzFromTar(f *testing.F) {
	f.Add([]byte{})
	f.Add(tarOfBytes(".initcompat-stat", "l\tsbin\tusr/sbin\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := FromTar(bytes.NewReader(data), 1<<16)
		if err != nil {
			return
		}
		for _, p := range tr.Paths() {
			if !IsClean(p) || strings.Contains(p, "/../") {
				t.Fatalf("unclean path %q", p)
			}
			_, _ = tr.Resolve(p)
		}
	})
}
