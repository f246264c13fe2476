//go:build linux

package provisioner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
)

// Two builds of one image at once, forced to interleave: the second waits
// for the first's lock, then finds the image changed since its snapshot
// and stops without writing. No manifest entry is lost, and a rebuild
// succeeds.
func TestConcurrentAppliesLoseNothing(t *testing.T) {
	dir := helloImage(t)
	planA := planFor(t, &local{dir: dir})
	polB := pol
	polB.Services = []string{"hello"}
	snap, _, err := (&local{dir: dir}).Snapshot(context.Background(), watches, true)
	if err != nil {
		t.Fatal(err)
	}
	planB := initcompat.BuildPlan(snap, polB)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	a := &local{dir: dir, step: func(op, p string) error {
		if op == string(protocol.StepRename) {
			once.Do(func() { close(entered); <-release })
		}
		return nil
	}}
	errA := make(chan error, 1)
	go func() { errA <- a.Apply(context.Background(), planA, protocol.Options{}) }()
	select { // A is in the middle of its commit, holding the lock
	case <-entered:
	case err := <-errA:
		t.Fatalf("A ended before its commit: %v", err)
	}
	errB := make(chan error, 1)
	go func() {
		errB <- (&remote{comm: &shellComm{Root: dir}, command: shell}).Apply(context.Background(), planB, protocol.Options{})
	}()
	select {
	case err := <-errB:
		t.Fatalf("B did not wait for A's lock: %v", err)
	case <-time.After(1500 * time.Millisecond):
	}
	close(release)
	if err := <-errA; err != nil {
		t.Fatal(err)
	}
	if err := <-errB; err == nil || !strings.Contains(err.Error(), "changed since the snapshot") {
		t.Fatalf("B: %v, want it refused", err)
	}
	// The image, manifest included, is exactly what A alone makes.
	if got, clean := fingerprint(t, dir), cleanResult(t, helloImage); got != clean {
		t.Fatalf("after the concurrent builds the image differs from A's alone:\n%s\n--- A alone\n%s", got, clean)
	}
	if again := planFor(t, &local{dir: dir}); !again.Empty() {
		t.Fatalf("after the concurrent builds a rebuild plans:\n%s", again.Text())
	}
}

// A lock left by a process that is gone is taken over; one held by a live
// process is waited for.
func TestStaleLockTakenOver(t *testing.T) {
	dir := helloImage(t)
	lock := filepath.Join(dir, strings.TrimPrefix(protocol.LockPath, "/"))
	if err := os.MkdirAll(lock, 0o700); err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lock, "pid"), fmt.Appendf(nil, "%d\n", dead.Process.Pid), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tr := range transports(dir) {
		if err := tr.Apply(context.Background(), planFor(t, tr), protocol.Options{}); err != nil && !strings.Contains(err.Error(), "changed since") {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Fatalf("left behind: %v", l)
	}
}

// A path that changed after the snapshot stops the local apply before any write.
func TestLocalApplyPreconditionChanged(t *testing.T) {
	dir := helloImage(t)
	l := &local{dir: dir}
	pl := planFor(t, l)
	if err := os.WriteFile(filepath.Join(dir, "etc/init.d/hello"), []byte("#!/bin/sh\n# someone else's\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, dir)
	err := l.Apply(context.Background(), pl, protocol.Options{})
	if err == nil || !strings.Contains(err.Error(), "/etc/init.d/hello changed since the snapshot") {
		t.Fatalf("got %v", err)
	}
	if after := fingerprint(t, dir); after != before {
		t.Fatal("the image changed")
	}
}

// A symlinked directory that points out of root_dir is never written
// through: not when the snapshot sees it, and not when it appears between
// snapshot and apply; the error names the link.
func TestLocalApplyStaysInRoot(t *testing.T) {
	dir := helloImage(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "etc/rc4.d")); err != nil {
		t.Fatal(err)
	}
	l := &local{dir: dir}
	pl := planFor(t, l)
	if !strings.Contains(pl.Text(), "/etc/rc4.d: is a symlink to "+outside) {
		t.Errorf("plan does not warn about the escaping rc4.d:\n%s", pl.Text())
	}
	// Between snapshot and apply, rc2.d becomes a link out of the image.
	if err := os.Remove(filepath.Join(dir, "etc/rc2.d")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "etc/rc2.d")); err != nil {
		t.Fatal(err)
	}
	for name, tr := range transports(dir) {
		err := tr.Apply(context.Background(), pl, protocol.Options{})
		if err == nil || !strings.Contains(err.Error(), "/etc/rc2.d is a symlink (to "+outside+")") {
			t.Fatalf("%s: got %v, want the swapped directory named", name, err)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("the apply wrote outside root_dir: %v", entries)
	}
	// Even without the check, os.Root refuses the way out.
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = root.Close() }()
	if err := root.Symlink("../init.d/hello", "etc/rc2.d/S01hello"); err == nil {
		t.Fatal("os.Root followed a symlink out of the image")
	}
}

// A build killed in its commit leaves its journal: plan and check refuse
// to plan over the half-written image and say what to do; the next apply
// says in one line what it recovered, then builds as usual.
func TestInterruptedApplyThenBuilds(t *testing.T) {
	dir := helloImage(t)
	pl := planFor(t, &local{dir: dir})
	renames := 0
	killed := &local{dir: dir, step: func(op, _ string) error {
		if op == string(protocol.StepRename) {
			if renames++; renames == 3 {
				return errKilled
			}
		}
		return nil
	}}
	if err := killed.Apply(context.Background(), pl, protocol.Options{}); !errors.Is(err, errKilled) {
		t.Fatal(err)
	}
	half, killedDir := fingerprint(t, dir), dir
	build := func(mode string) (string, error) {
		p := new(Provisioner)
		if err := p.Prepare(map[string]interface{}{"root_dir": dir, "mode": mode}); err != nil {
			t.Fatal(err)
		}
		ui := newRecordUI(t)
		err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"})
		return ui.String(), err
	}
	for _, mode := range []string{"plan", "check"} {
		out, err := build(mode)
		// The UI says it, once; the build's error (which Packer prints
		// twice) does not repeat it.
		if err == nil || strings.Count(out, "an apply was interrupted here (journal state commit)") != 1 ||
			strings.Contains(err.Error(), "an apply was interrupted here") {
			t.Fatalf("mode %s over a journal: %v\n%s", mode, err, out)
		}
		if fingerprint(t, dir) != half {
			t.Fatalf("mode %s changed the image", mode)
		}
	}
	out, err := build("apply")
	if err != nil || !strings.Contains(out, "recovered the image first: rolled back an apply interrupted in its commit phase") {
		t.Fatalf("apply after the interruption: %v\n%s", err, out)
	}
	fresh := helloImage(t)
	dir = fresh
	if _, err := build("apply"); err != nil {
		t.Fatal(err)
	}
	clean := fingerprint(t, fresh)
	if got := fingerprint(t, killedDir); got != clean {
		t.Fatalf("not the image a clean build makes:\n%s\n--- clean\n%s", got, clean)
	}
}
