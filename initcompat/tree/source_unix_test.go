//go:build unix

package tree

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/internal/parallel"
)

// FromDir reads what getdents lists: files with their mode and content
// (or their size alone past the cap), links with their target, directories
// with their mode; a fifo is left out without blocking on it, and a large
// directory (read by several goroutines) is recorded whole and in order.
func TestFromDirReadsEachKind(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "etc/init.d"), 0o755))
	must(os.Mkdir(filepath.Join(dir, "etc/private"), 0o700))
	must(os.WriteFile(filepath.Join(dir, "etc/init.d/small"), []byte("#!/bin/sh\n"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "etc/init.d/big"), bytes.Repeat([]byte("x"), 2048), 0o644))
	must(os.WriteFile(filepath.Join(dir, "etc/init.d/empty"), nil, 0o600))
	must(os.Symlink("../init.d/small", filepath.Join(dir, "etc/init.d/link")))
	// Longer than the first buffer readlinkat is given (256), and exactly it.
	long, fits := strings.Repeat("../x/", 100)+"small", strings.Repeat("y", 256)
	must(os.Symlink(long, filepath.Join(dir, "etc/init.d/long")))
	must(os.Symlink(fits, filepath.Join(dir, "etc/init.d/fits")))
	must(syscall.Mkfifo(filepath.Join(dir, "etc/init.d/fifo"), 0o644))
	const many = 3 * parallel.MinPerWorker
	must(os.Mkdir(filepath.Join(dir, "etc/rc2.d"), 0o755))
	for i := 0; i < many; i++ {
		must(os.Symlink(fmt.Sprintf("../init.d/s%04d", i), filepath.Join(dir, fmt.Sprintf("etc/rc2.d/S01s%04d", i))))
	}
	tr, err := FromDir(dir, []Watch{{Path: "etc", Content: true}}, 1024)
	must(err)
	if e, _ := tr.Lstat("/etc/init.d/small"); e == nil || string(e.Data) != "#!/bin/sh\n" || e.Mode != 0o755 {
		t.Errorf("small: %+v", e)
	}
	if e, _ := tr.Lstat("/etc/init.d/big"); e == nil || !e.TooLarge || e.Data != nil || e.Size != 2048 {
		t.Errorf("big: %+v", e)
	}
	if e, _ := tr.Lstat("/etc/init.d/empty"); e == nil || e.Kind != File || len(e.Data) != 0 || e.Omitted || e.Mode != 0o600 {
		t.Errorf("empty: %+v", e)
	}
	if e, _ := tr.Lstat("/etc/init.d/link"); e == nil || e.Kind != Symlink || e.Target != "../init.d/small" {
		t.Errorf("link: %+v", e)
	}
	if e, _ := tr.Lstat("/etc/init.d/long"); e == nil || e.Target != long {
		t.Errorf("long link: %+v", e)
	}
	if e, _ := tr.Lstat("/etc/init.d/fits"); e == nil || e.Target != fits {
		t.Errorf("256-byte link: %+v", e)
	}
	if e, ok := tr.Lstat("/etc/init.d/fifo"); ok {
		t.Errorf("fifo recorded: %+v", e)
	}
	if e, _ := tr.Lstat("/etc/private"); e == nil || e.Kind != Dir || e.Mode != 0o700 {
		t.Errorf("private: %+v", e)
	}
	links := tr.ReadDir("/etc/rc2.d")
	if len(links) != many {
		t.Fatalf("rc2.d: %d entries, want %d", len(links), many)
	}
	for i, e := range links {
		if want := fmt.Sprintf("../init.d/s%04d", i); e.Target != want {
			t.Fatalf("rc2.d entry %d: %s -> %s, want %s", i, e.Path, e.Target, want)
		}
	}
}

// Directories read at once by several processors give the tree one read
// gives: every file, link and directory of a wide and deep tree, once.
func TestFromDirManyDirectories(t *testing.T) {
	dir := t.TempDir()
	want := map[string]string{}
	for i := 0; i < 40; i++ {
		d := fmt.Sprintf("etc/d%02d", i)
		for depth := 0; depth < i%4; depth++ {
			d += fmt.Sprintf("/sub%d", depth)
		}
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 30; j++ {
			f := fmt.Sprintf("%s/f%02d", d, j)
			if err := os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644); err != nil {
				t.Fatal(err)
			}
			want["/"+f] = f
			l := fmt.Sprintf("%s/l%02d", d, j)
			if err := os.Symlink(f, filepath.Join(dir, l)); err != nil {
				t.Fatal(err)
			}
			want["/"+l] = "-> " + f
		}
	}
	tr, err := FromDir(dir, []Watch{{Path: "etc", Content: true}}, 1024)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, p := range tr.Paths() {
		e, _ := tr.Lstat(p)
		switch e.Kind {
		case File:
			got++
			if want[p] != string(e.Data) {
				t.Errorf("%s: %q, want %q", p, e.Data, want[p])
			}
		case Symlink:
			got++
			if want[p] != "-> "+e.Target {
				t.Errorf("%s -> %s, want %s", p, e.Target, want[p])
			}
		}
	}
	if got != len(want) {
		t.Fatalf("%d files and links, want %d", got, len(want))
	}
}
