//go:build linux

package provisioner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
)

// A journal planted in the image (issue 23's attacks): recovery over both
// transports (os.Root, and the real sh through shellcomm) reads it the
// same way, refuses what an apply never writes before it acts, and the
// image is left byte for byte as it was; what an apply does write, it
// still rolls back.
func TestPlantedJournalsRefusedAlike(t *testing.T) {
	for _, c := range plantedJournals() {
		t.Run(c.name, func(t *testing.T) {
			for name := range transports("") {
				dir := helloImage(t)
				c.plant(t, dir)
				before := fingerprint(t, dir)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				_, _, err := transports(dir)[name].Snapshot(ctx, watches, true)
				cancel()
				if c.refused == "" {
					if err != nil {
						t.Fatalf("%s: a journal an apply writes was refused: %v", name, err)
					}
					if got := fingerprint(t, dir); got != c.after(t) {
						t.Fatalf("%s: recovered image:\n%s\nwant:\n%s", name, got, c.after(t))
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), "refusing the journal") || !strings.Contains(err.Error(), c.refused) {
					t.Fatalf("%s: want a refusal naming %q, got %v", name, c.refused, err)
				}
				if got := fingerprint(t, dir); got != before {
					t.Fatalf("%s: the refused recovery changed the image:\n%s\nwas:\n%s", name, got, before)
				}
			}
		})
	}
}

type plantedJournal struct {
	name    string
	plant   func(t *testing.T, dir string)
	refused string                    // in the refusal; "" when recovery must act
	after   func(t *testing.T) string // the image recovered, when it acts
}

func write(t *testing.T, dir, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, dir, p, target string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, p)); err != nil {
		t.Fatal(err)
	}
}

func fileProof(content string) string {
	h := sha256.Sum256([]byte(content))
	return protocol.FileProof(hex.EncodeToString(h[:]))
}

// journal plants a journal of these lines after the header.
func journal(lines ...string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		write(t, dir, protocol.JournalPath, "initcompat-journal 2\n"+strings.Join(lines, "\n")+"\n")
	}
}

func both(fs ...func(t *testing.T, dir string)) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		for _, f := range fs {
			f(t, dir)
		}
	}
}

func plantedJournals() []plantedJournal {
	const passwd = "root:x:0:0:root:/root:/bin/sh\n"
	const script = "#!/bin/sh\n# written by initcompat\n"
	const wants = "/etc/systemd/system/multi-user.target.wants"
	pristine := func(plant func(t *testing.T, dir string)) func(t *testing.T) string {
		return func(t *testing.T) string {
			dir := helloImage(t)
			if plant != nil {
				plant(t, dir)
			}
			return fingerprint(t, dir)
		}
	}
	return []plantedJournal{
		{name: "commit and new /etc/passwd", refused: "/etc/passwd", plant: both(
			func(t *testing.T, dir string) { write(t, dir, "/etc/passwd", passwd) },
			journal("state commit", "stagedir /etc/.initcompat-stage", "new "+fileProof(passwd)+" /etc/passwd"))},
		{name: "done and stagedir /etc", refused: "/etc", plant: journal("state done", "stagedir /etc", "new "+fileProof(script)+" /etc/x")},
		{name: "asidedir /usr", refused: "/usr", plant: journal("state begin", "asidedir /usr", "aside /usr/bin")},
		{name: "two state lines", refused: "state lines", plant: both(
			func(t *testing.T, dir string) { write(t, dir, "/etc/init.d/late", script) },
			journal("state commit", "state done", "stagedir /etc/init.d/.initcompat-stage", "new "+fileProof(script)+" /etc/init.d/late"))},
		{name: "a path without a leading slash", refused: "etc/init.d/x", plant: journal("state begin", "stagedir /etc/init.d/.initcompat-stage", "new "+fileProof(script)+" etc/init.d/x")},
		{name: "an admin's link not what the apply made", refused: wants + "/ssh.service", plant: both(
			func(t *testing.T, dir string) { link(t, dir, wants+"/ssh.service", "/lib/systemd/system/ssh.service") },
			journal("state commit", "stagedir "+wants+"/.initcompat-stage", "new "+protocol.LinkProof("/etc/init.d/other")+" "+wants+"/ssh.service"))},
		{name: "a manifest that is not one", refused: "/etc/passwd", plant: both(
			func(t *testing.T, dir string) { write(t, dir, "/etc/passwd", passwd) },
			journal("state commit", "manifest /etc/passwd", "stagedir /etc/.initcompat-stage", "new "+fileProof(passwd)+" /etc/passwd"))},
		{name: "a set-aside copy over a path still there", refused: "/etc/init.d/hello", plant: both(
			func(t *testing.T, dir string) {
				write(t, dir, "/etc/init.d/hello", script+"# the admin's\n")
				write(t, dir, "/etc/init.d/.initcompat-old/hello", script)
			},
			journal("state begin", "asidedir /etc/init.d/.initcompat-old", "aside /etc/init.d/hello"))},
		{name: "a stage directory through a link", refused: "/etc/rc0.d", plant: both(
			func(t *testing.T, dir string) {
				write(t, dir, "/usr/lib/.initcompat-stage/K01x", "the image's own\n")
				link(t, dir, "/etc/rc0.d", "../usr/lib")
			},
			journal("state done", "stagedir /etc/rc0.d/.initcompat-stage", "new "+protocol.LinkProof("../init.d/x")+" /etc/rc0.d/K01x"))},
		{name: "a journal linked to /dev/zero", refused: "link", plant: func(t *testing.T, dir string) {
			link(t, dir, "/dev", "/dev")
			link(t, dir, protocol.JournalPath, "../../dev/zero")
		}},
		{name: "a FIFO journal", refused: "regular file", plant: func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, protocol.JournalPath), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a journal past its bound", refused: "larger than", plant: func(t *testing.T, dir string) {
			journal("state begin")(t, dir)
			if err := os.Truncate(filepath.Join(dir, protocol.JournalPath), protocol.MaxJournalSize+1); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "an apply's begin journal rolls back", plant: both(
			func(t *testing.T, dir string) { write(t, dir, "/etc/init.d/.initcompat-stage/x", script) },
			journal("state begin", "stagedir /etc/init.d/.initcompat-stage", "new "+fileProof(script)+" /etc/init.d/x")),
			after: pristine(nil)},
		{name: "an apply's commit journal rolls back what it wrote", plant: both(
			func(t *testing.T, dir string) { write(t, dir, "/etc/init.d/x", script) },
			journal("state commit", "stagedir /etc/init.d/.initcompat-stage", "new "+fileProof(script)+" /etc/init.d/x")),
			after: pristine(nil)},
		{name: "a commit journal over a file edited since", refused: "/etc/init.d/x", plant: both(
			func(t *testing.T, dir string) { write(t, dir, "/etc/init.d/x", script+"# edited\n") },
			journal("state commit", "stagedir /etc/init.d/.initcompat-stage", "new "+fileProof(script)+" /etc/init.d/x"))},
	}
}

// A bind mount inside root_dir (amazon-chroot mounts the host's /dev,
// /proc and /sys there): a planted journal whose stage directory is, or
// holds, the mount is refused on both transports, and the host's file
// behind it survives. A bind mount of the same file system keeps st_dev,
// so the check compares mounts, not only devices.
func TestJournalNeverCrossesAMount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for mount --bind")
	}
	for _, at := range []string{"/etc/systemd/system/evil.d/.initcompat-stage", "/etc/init.d/.initcompat-stage/deep"} {
		for name := range transports("") {
			dir := helloImage(t)
			host := t.TempDir()
			victim := filepath.Join(host, "host-file")
			if err := os.WriteFile(victim, []byte("the Packer host's\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			mnt := filepath.Join(dir, at)
			if err := os.MkdirAll(mnt, 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("mount", "--bind", host, mnt).CombinedOutput(); err != nil {
				if os.Getenv("INITCOMPAT_E2E") != "" {
					t.Fatalf("mount --bind: %v: %s", err, out)
				}
				t.Skipf("mount --bind is not allowed here: %v: %s", err, out)
			}
			t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
			stage := at
			if filepath.Base(at) == "deep" {
				stage = filepath.Dir(at)
			}
			p := filepath.Join(filepath.Dir(stage), "x.conf")
			journal("state done", "stagedir "+stage, "new "+fileProof("x")+" "+p)(t, dir)
			_, _, err := transports(dir)[name].Snapshot(context.Background(), watches, true)
			if err == nil || !strings.Contains(err.Error(), "mount") {
				t.Fatalf("%s, a mount at %s: want a refusal naming the mount, got %v", name, at, err)
			}
			t.Logf("%s, a mount at %s: %v", name, at, err)
			if _, err := os.Stat(victim); err != nil {
				t.Fatalf("%s, a mount at %s: the host's file is gone: %v", name, at, err)
			}
		}
	}
}

// A verify baseline left by a build cancelled or failed before its journal
// began never blocks a later one ("file exists; nothing was changed" was
// every later verified root_dir build).
func TestLeftoverBaselineNeverBlocks(t *testing.T) {
	truth, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) to stand in for systemd-analyze")
	}
	dir := helloImage(t)
	write(t, dir, protocol.BaselinePath, "left by a cancelled build\n")
	l := &local{dir: dir, analyzer: truth} // a stand-in: what it says does not matter here
	pl := planFor(t, l)
	if err := l.Apply(context.Background(), pl, protocol.Options{Hold: true}); err != nil {
		t.Fatalf("apply over a leftover baseline: %v", err)
	}
	if _, err := l.Verify(context.Background(), pl, nil); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if left := leftovers(t, dir); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// A 10,000-deep chain of directories in a stage directory (planted):
// recovery neither runs out of descriptors (EMFILE) nor says 40 KB of
// path; it refuses the tree, short, and the chain is left.
func TestDeepChainInAStageDirectory(t *testing.T) {
	dir := helloImage(t)
	stage := "/etc/init.d/.initcompat-stage"
	journal("state done", "stagedir "+stage, "new "+fileProof("x")+" /etc/init.d/x")(t, dir)
	r, err := os.OpenRoot(filepath.Join(dir, stage[1:]+"/.."))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Mkdir(".initcompat-stage", 0o700); err != nil {
		t.Fatal(err)
	}
	cur, err := r.OpenRoot(".initcompat-stage")
	_ = r.Close()
	for i := 0; err == nil && i < 10000; i++ {
		if err = cur.Mkdir("d", 0o700); err == nil {
			var next *os.Root
			next, err = cur.OpenRoot("d")
			_ = cur.Close()
			cur = next
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = cur.Close()
	_, err = (&local{dir: dir}).Recover(context.Background())
	if err == nil || !strings.Contains(err.Error(), "deep") || len(err.Error()) > 1024 {
		t.Fatalf("want a short refusal of the deep tree, got %d bytes: %.300v", len(fmt.Sprint(err)), err)
	}
	if strings.Contains(err.Error(), "too many open files") {
		t.Fatalf("EMFILE: %v", err)
	}
}
