package tree

import (
	"archive/tar"
	"bytes"
	"sort"
	"strings"
	"testing"
)

// A snapshot stream, however damaged, gives an error or a tree of clean
// paths; never a panic.
func FuzzFromTar(f *testing.F) {
	f.Add([]byte{})
	f.Add(tarOfBytes(".initcompat-stat", "l\tsbin\tusr/sbin\n"))
	f.Add(refsStream())
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFromTar(t, data)
	})
}

// refsStream is a snapshot stream with kept files: one of 64 KiB or less
// (in small.tar), one larger (its head, tail and Go names), and the total
// line wc prints.
func refsStream() []byte {
	return tarOfMembers(map[string]string{
		".initcompat-stat":           "",
		".initcompat-refs/index":     "1\t/usr/sbin/d\topt/d\t1\n2\t/usr/bin/big\tusr/bin/big\t1\n",
		".initcompat-refs/sizes":     "     4 ./opt/d\n 70000 ./usr/bin/big\n 70004 total\n",
		".initcompat-refs/small.tar": string(tarOfBytes("./opt/d", "#!/b")),
		".initcompat-refs/2.h":       "\x7fELF",
		".initcompat-refs/2.t":       "tail",
		".initcompat-refs/2.p":       "syscall.forkExec\n",
		".initcompat-refs/searched":  "",
	})
}

func fuzzFromTar(t *testing.T, data []byte) {
	tr, err := FromTar(bytes.NewReader(data), 1<<16)
	if err != nil {
		return
	}
	for _, r := range tr.Refs() {
		if !IsClean(r.Path) || !IsClean(r.Real) || len(r.Head) > RefHead || len(r.Tail) > RefTail {
			t.Fatalf("ref %+v", r)
		}
	}
	for _, p := range tr.Paths() {
		if !IsClean(p) || strings.Contains(p, "/../") {
			t.Fatalf("unclean path %q", p)
		}
		_, _ = tr.Resolve(p)
	}
}

// The stream's parts make the kept files: sizes from wc, small files
// from their archive, large ones from their parts.
func TestRefsFromStream(t *testing.T) {
	tr, err := FromTar(bytes.NewReader(refsStream()), 0)
	if err != nil {
		t.Fatal(err)
	}
	d, ok1 := tr.Ref("/usr/sbin/d")
	big, ok2 := tr.Ref("/usr/bin/big")
	if !ok1 || !ok2 || len(tr.Refs()) != 2 {
		t.Fatalf("refs: %v", tr.Refs())
	}
	if d.Real != "/opt/d" || string(d.Head) != "#!/b" || !d.Whole() || d.Searched {
		t.Errorf("small: %+v", d)
	}
	if big.Size != 70000 || string(big.Head) != "\x7fELF" || string(big.Tail) != "tail" || !big.Searched || len(big.Markers) != 1 {
		t.Errorf("large: %+v", big)
	}
}

// tarOfMembers writes the members in name order.
func tarOfMembers(members map[string]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		_ = tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o600, Size: int64(len(members[n]))})
		_, _ = tw.Write([]byte(members[n]))
	}
	_ = tw.Close()
	return buf.Bytes()
}
