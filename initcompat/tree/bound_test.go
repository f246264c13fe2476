package tree

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entriesImage writes n empty unit files into each of dirs (image paths
// without the leading slash) and returns the image and the tar stream
// snapshot.sh would send of it.
func entriesImage(t *testing.T, n int, dirs ...string) (string, func() io.Reader) {
	t.Helper()
	root := t.TempDir()
	members := []*tar.Header{{Name: StatFile, Typeflag: tar.TypeReg, Mode: 0o600}}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
		members = append(members, &tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755})
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("%s/u%07d.service", d, i)
			if err := os.WriteFile(filepath.Join(root, name), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			members = append(members, &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644})
		}
	}
	return root, func() io.Reader { return tarOf(t, members...) }
}

var unitWatches = []Watch{
	{Path: "etc/systemd/system", Content: true},
	{Path: "usr/lib/systemd/system", Content: true},
	{Path: "run/systemd/system", Content: true},
}

// snapshotBoth reads the image from the directory and from the stream.
func snapshotBoth(root string, stream func() io.Reader) map[string]error {
	_, dirErr := FromDir(root, unitWatches, 0)
	_, tarErr := FromTar(stream(), 0)
	return map[string]error{"FromDir": dirErr, "FromTar": tarErr}
}

// Issue 34 item 6: a million empty unit files cost the plugin 1.8 GiB,
// with the number of paths uncapped. A directory past MaxDirEntries
// fails both sources, naming it and the fix (here with the bounds
// lowered: 50 a directory, 120 in all).
func TestSnapshotBoundsADirectory(t *testing.T) {
	defer func(d, p int) { maxDirEntries, maxPaths = d, p }(maxDirEntries, maxPaths)
	maxDirEntries, maxPaths = 50, 120
	for _, c := range []struct {
		n    int
		dirs []string
		want string // "" for none
	}{
		{50, []string{"etc/systemd/system"}, ""},
		{51, []string{"etc/systemd/system"}, "image /etc/systemd/system holds more than 50 entries"},
		// Each directory is a path too: 3 + 3*39 = 120.
		{39, []string{"etc/systemd/system", "usr/lib/systemd/system", "run/systemd/system"}, ""},
		{40, []string{"etc/systemd/system", "usr/lib/systemd/system", "run/systemd/system"}, "paths in all there"},
	} {
		root, stream := entriesImage(t, c.n, c.dirs...)
		for name, err := range snapshotBoth(root, stream) {
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%d in %v: %s: %v", c.n, c.dirs, name, err)
			case c.want != "" && (!errors.Is(err, ErrTooMany) || !strings.Contains(fmt.Sprint(err), c.want) || !strings.Contains(fmt.Sprint(err), "remove what was planted")):
				t.Errorf("%d in %v: %s: %v, want %q", c.n, c.dirs, name, err, c.want)
			}
		}
	}
}

// The bound itself, unlowered: one entry past MaxDirEntries empty unit
// files in /etc/systemd/system fails both sources.
func TestSnapshotBoundsADirectoryForReal(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200,001 files")
	}
	root, stream := entriesImage(t, MaxDirEntries+1, "etc/systemd/system")
	for name, err := range snapshotBoth(root, stream) {
		if !errors.Is(err, ErrTooMany) || !strings.Contains(err.Error(), "image /etc/systemd/system holds more than 200000 entries") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A directory of any size costs a batch past the bound, not its listing.
func TestListLimitedStops(t *testing.T) {
	calls := 0
	endless := func(n int) ([]string, error) {
		calls++
		return make([]string, n), nil
	}
	if _, err := listLimited(endless, 10_000); !errors.Is(err, errTooLong) {
		t.Fatalf("err = %v", err)
	}
	if calls != 3 {
		t.Errorf("%d batches read for a bound of 10,000", calls)
	}
	short := []string{"a", "b"}
	got, err := listLimited(func(int) ([]string, error) {
		out := short
		short = nil
		if out == nil {
			return nil, io.EOF
		}
		return out, nil
	}, 2)
	if err != nil || len(got) != 2 {
		t.Errorf("listLimited = %v, %v", got, err)
	}
}
