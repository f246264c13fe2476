//go:build linux

package tree

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// mkChain makes n nested directories "a" below base (relative to dir), a
// level at a time through os.Root (the path is far past PATH_MAX), with
// the file "bottom" at the end, and returns the chain's image path.
func mkChain(t *testing.T, dir, base string, n int) string {
	t.Helper()
	if err := os.MkdirAll(dir+"/"+base, 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenRoot(dir + "/" + base)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := r.Mkdir("a", 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := r.OpenRoot("a")
		_ = r.Close()
		if err != nil {
			t.Fatal(err)
		}
		r = next
	}
	defer func() { _ = r.Close() }()
	if err := r.WriteFile("bottom", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return "/" + base + strings.Repeat("/a", n)
}

// chainWhole reports whether the chain below base still goes n deep to
// its "bottom" file.
func chainWhole(t *testing.T, dir, base string, n int) bool {
	t.Helper()
	r, err := os.OpenRoot(dir + "/" + base)
	if err != nil {
		return false
	}
	for i := 0; i < n; i++ {
		next, err := r.OpenRoot("a")
		_ = r.Close()
		if err != nil {
			return false
		}
		r = next
	}
	defer func() { _ = r.Close() }()
	_, err = r.Stat("bottom")
	return err == nil
}

// lowFiles lowers the soft limit on open descriptors for the rest of the
// test: well under the 20,000 a walk holding each level open would need.
func lowFiles(t *testing.T, n uint64) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = min(n, old.Cur)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// checkTooDeep holds err to the refusal a person can act on: ErrTooDeep,
// short, naming where the chain is and what to do.
func checkTooDeep(t *testing.T, err error, where string) {
	t.Helper()
	if !errors.Is(err, ErrTooDeep) {
		t.Fatalf("got %v, want ErrTooDeep", err)
	}
	msg := err.Error()
	if len(msg) > 400 || !strings.Contains(msg, where) || !strings.Contains(msg, "remove or flatten") {
		t.Fatalf("the refusal (%d bytes) should be short, name %s and the fix: %.600s", len(msg), where, msg)
	}
}

// The 10,000-deep directory chain inside root_dir: the walk held
// every level open (EMFILE) and named the 20,000-byte path in its error.
// It is refused at MaxDepth, within 256 descriptors, and left as it was.
func TestFromDirDeepChain(t *testing.T) {
	dir := t.TempDir()
	mkChain(t, dir, "etc/systemd/system", 10000)
	lowFiles(t, 256)
	_, err := FromDir(dir, depthWatches, 0)
	checkTooDeep(t, err, "/etc/systemd/system/a/a/a")
	if !chainWhole(t, dir, "etc/systemd/system", 10000) {
		t.Fatal("the snapshot changed the chain")
	}
}

// The bound is exactly MaxDepth, the same for both sources: a path of
// MaxDepth components is read, one more is refused.
func TestDepthBoundBothSources(t *testing.T) {
	base := "etc/systemd/system"
	for _, n := range []int{MaxDepth - 4, MaxDepth - 3} { // the chain, then "bottom" below it
		dir := t.TempDir()
		deepest := mkChain(t, dir, base, n) + "/bottom"
		fromDir, derr := FromDir(dir, depthWatches, 0)
		fromTar, terr := snapshotBySh(t, dir)
		if depth(deepest) > MaxDepth {
			checkTooDeep(t, derr, "/"+base+"/a")
			checkTooDeep(t, terr, "/"+base+"/a")
			continue
		}
		if derr != nil || terr != nil {
			t.Fatalf("%d deep: FromDir: %v; snapshot.sh and FromTar: %v", depth(deepest), derr, terr)
		}
		for name, tr := range map[string]*Tree{"FromDir": fromDir, "FromTar": fromTar} {
			if e, ok := tr.Lstat(deepest); !ok || string(e.Data) != "x" {
				t.Errorf("%s: %s (%d deep) not read: %+v", name, deepest, depth(deepest), e)
			}
		}
	}
}

// snapshot.sh (the remote transport's snapshot, run here by sh and the
// host's GNU tar on a directory) over the chain: the stream stops a level
// below MaxDepth (unbounded, tar sent 113 MB of names for it), and FromTar
// refuses it as FromDir does.
func TestSnapshotScriptDeepChain(t *testing.T) {
	dir := t.TempDir()
	mkChain(t, dir, "etc/systemd/system", 10000)
	out := snapshotStream(t, dir)
	if out.Len() > 1<<20 {
		t.Errorf("the snapshot stream for a planted chain is %d bytes: tar went below MaxDepth", out.Len())
	}
	_, err := FromTar(out, 0)
	checkTooDeep(t, err, "/etc/systemd/system/a/a/a")
	if !chainWhole(t, dir, "etc/systemd/system", 10000) {
		t.Fatal("the snapshot changed the chain")
	}
}

// snapshotBySh runs snapshot.sh against dir and reads its stream.
func snapshotBySh(t *testing.T, dir string) (*Tree, error) {
	t.Helper()
	return FromTar(snapshotStream(t, dir), 0)
}

// snapshotStream is what snapshot.sh writes for the image at dir.
func snapshotStream(t *testing.T, dir string) *bytes.Buffer {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command("sh", "-c", SnapshotScript(depthWatches))
	cmd.Env = append(os.Environ(), "INITCOMPAT_ROOT="+dir)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("snapshot.sh in %s: %v", path.Base(dir), err)
	}
	return &out
}

// A tar without GNU's exclusion options (busybox's, stood in for here by a
// wrapper that refuses them, since no busybox is installed) still gives a
// snapshot; the planted chain is refused by FromTar all the same.
func TestSnapshotScriptWithoutGNUTar(t *testing.T) {
	real, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("no tar on this machine")
	}
	bin := t.TempDir()
	wrapper := "#!/bin/sh\nfor a; do case $a in --anchored|--no-wildcards-match-slash|--exclude=*) echo \"tar: unrecognized option '$a'\" >&2; exit 1 ;; esac; done\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(path.Join(bin, "tar"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	dir := t.TempDir()
	mkChain(t, dir, "usr/lib/systemd/system", 200)
	if err := os.WriteFile(path.Join(dir, "usr/lib/systemd/system/x.service"), []byte("[Service]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := snapshotStream(t, dir)
	if out.Len() < 200*512 {
		t.Errorf("the stream is %d bytes: the wrapper's refusal was not seen, or tar pruned anyway", out.Len())
	}
	_, err = FromTar(out, 0)
	checkTooDeep(t, err, "/usr/lib/systemd/system/a/a/a")
}

// depthWatches are what these tests snapshot: a unit directory with
// content, and paths stat'ed only, as the real lists have (package
// inspect's and the planner's).
var depthWatches = []Watch{
	{Path: "etc/systemd/system", Content: true},
	{Path: "usr/lib/systemd/system", Content: true},
	{Path: "etc/init.d", Content: true},
	{Path: "usr/local/bin", Pattern: "*.sh", Content: true},
	{Path: "etc"}, {Path: "usr/bin"}, {Path: "sbin/init"},
}

// An image holding none of the content paths still gives a snapshot (the
// stat list alone): GNU tar refused the -C that no name followed, and the
// build failed with tar's message.
func TestSnapshotScriptWithoutContentPaths(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(path.Join(dir, "usr/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	tr, err := FromTar(snapshotStream(t, dir), 0)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := tr.Lstat("/usr/bin"); !ok || e.Kind != Dir {
		t.Fatalf("/usr/bin, a stat path of the image, is not in the snapshot: %+v", e)
	}
}

// A stat-only pattern watch (systemd's private library, named by its
// version) records each match's kind from both sources, never its
// content: the library is megabytes.
func TestStatPatternBothSources(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "usr/lib64/systemd")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, size := range map[string]int{"libsystemd-shared-252.so": 3 << 20, "libsystemd-core-252.so": 10, "libsystemd-shared-x.txt": 10} {
		if err := os.WriteFile(filepath.Join(lib, name), make([]byte, size), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("libsystemd-shared-252.so", filepath.Join(lib, "libsystemd-shared-253.so")); err != nil {
		t.Fatal(err)
	}
	ws := []Watch{{Path: "usr/lib64/systemd", Pattern: "libsystemd-shared-*.so"}, {Path: "usr/lib/systemd", Pattern: "libsystemd-shared-*.so"}}
	byDir, err := FromDir(dir, ws, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command("sh", "-c", SnapshotScript(ws))
	cmd.Env = append(os.Environ(), "INITCOMPAT_ROOT="+dir)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if out.Len() > 1<<20 {
		t.Errorf("the snapshot stream is %d bytes: the library's content was read", out.Len())
	}
	byTar, err := FromTar(&out, 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, tr := range map[string]*Tree{"FromDir": byDir, "FromTar": byTar} {
		var got []string
		for _, p := range tr.Paths() {
			e, _ := tr.Lstat(p)
			if e.Kind == File || e.Kind == Symlink {
				got = append(got, fmt.Sprintf("%s %s %o %v %q %d", p, e.Kind, e.Mode, e.Omitted, e.Target, len(e.Data)))
			}
		}
		want := []string{
			"/usr/lib64/systemd/libsystemd-shared-252.so file 755 true \"\" 0",
			"/usr/lib64/systemd/libsystemd-shared-253.so symlink 0 false \"libsystemd-shared-252.so\" 0",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
}
