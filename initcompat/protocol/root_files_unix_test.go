//go:build linux

package protocol

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The os.Root runner holds a bounded number of directories open: a plan
// of 400 services (800 directories with their stage directories) applies
// under an open-file limit of 200. Holding every directory open, 10,000
// drop-in directories failed the apply, and its undo, with EMFILE.
func TestRootRunnerWithinTheOpenFileLimit(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"etc/init.d", "etc/rc2.d", "etc/rc0.d", "etc/systemd/system", "var/lib/initcompat"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = min(200, old.Cur)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) }()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = root.Close() }()
	if err := Apply(context.Background(), root, manyServices(400), Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "etc/systemd/system/svc399.service.d/initcompat.conf")); err != nil {
		t.Fatal(err)
	}
}
