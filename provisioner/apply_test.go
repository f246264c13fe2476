package provisioner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

var pol = initcompat.Policy{Version: "0.0.0-test"}

func planFor(t *testing.T, tr transport) *initcompat.Plan {
	t.Helper()
	snap, err := tr.Snapshot(context.Background(), tree.WithContent(tree.DefaultWatches, "/var/lib/initcompat"))
	if err != nil {
		t.Fatal(err)
	}
	return initcompat.BuildPlan(snap, pol)
}

// Both transports, on the same image, see the same tree: the remote one
// through the real snapshot script and tar, the local one through os.Root.
func TestSnapshotSourcesAgree(t *testing.T) {
	dir := helloImage(t)
	// Something the local walk must record without following.
	if err := os.Symlink("/etc/shadow", filepath.Join(dir, "etc/init.d/escape")); err != nil {
		t.Fatal(err)
	}
	ws := tree.WithContent(tree.DefaultWatches, "/var/lib/initcompat")
	fromDir, err := (&local{dir: dir}).Snapshot(context.Background(), ws)
	if err != nil {
		t.Fatal(err)
	}
	fromTar, err := (&remote{comm: &shellComm{root: dir}, command: shell}).Snapshot(context.Background(), ws)
	if err != nil {
		t.Fatal(err)
	}
	if fromDir.Len() < 10 {
		t.Fatalf("local snapshot holds %d entries; the fixture has more", fromDir.Len())
	}
	if !reflect.DeepEqual(fromDir.Paths(), fromTar.Paths()) {
		t.Fatalf("paths differ:\nlocal:  %v\nremote: %v", fromDir.Paths(), fromTar.Paths())
	}
	for _, p := range fromDir.Paths() {
		a, _ := fromDir.Lstat(p)
		b, _ := fromTar.Lstat(p)
		if a.Kind != b.Kind || a.Target != b.Target || !bytes.Equal(a.Data, b.Data) || a.Omitted != b.Omitted {
			t.Errorf("%s: local %+v, remote %+v", p, *a, *b)
		}
	}
	if e, ok := fromDir.Lstat("/etc/init.d/escape"); !ok || e.Kind != tree.Symlink || e.Data != nil {
		t.Errorf("the escaping symlink should be recorded as a link and not read: %+v", e)
	}
	// /lib is a symlink: what is below it is captured under /usr/lib only.
	if _, ok := fromDir.Lstat("/lib/systemd/systemd"); ok {
		t.Error("a path below the /lib symlink was captured twice")
	}
}

func transports(dir string) map[string]transport {
	return map[string]transport{
		"local":  &local{dir: dir},
		"remote": &remote{comm: &shellComm{root: dir}, command: shell},
	}
}

func TestApplyThenNothingToDo(t *testing.T) {
	for name := range transports("") {
		t.Run(name, func(t *testing.T) {
			dir := helloImage(t)
			tr := transports(dir)[name]
			plan := planFor(t, tr)
			if plan.Empty() {
				t.Fatal("the hello image should need a redirect")
			}
			if err := tr.Apply(context.Background(), plan); err != nil {
				t.Fatal(err)
			}
			script, err := os.ReadFile(filepath.Join(dir, "etc/init.d/hello"))
			if err != nil || !initcompat.IsOurs(script) {
				t.Fatalf("/etc/init.d/hello missing or unmarked: %v", err)
			}
			if fi, _ := os.Stat(filepath.Join(dir, "etc/init.d/hello")); fi.Mode().Perm() != 0o755 {
				t.Errorf("script mode %v, want 0755", fi.Mode().Perm())
			}
			for _, l := range []string{"etc/rc2.d/S01hello", "etc/rc5.d/S01hello", "etc/rc0.d/K01hello", "etc/rc6.d/K01hello"} {
				if target, err := os.Readlink(filepath.Join(dir, l)); err != nil || target != "../init.d/hello" {
					t.Errorf("%s -> %q (%v), want ../init.d/hello", l, target, err)
				}
			}
			m, err := os.ReadFile(filepath.Join(dir, "var/lib/initcompat/manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := initcompat.ParseManifest(m); err != nil {
				t.Fatal(err)
			}
			if again := planFor(t, tr); !again.Empty() {
				t.Errorf("second run plans changes:\n%s", again.Text())
			}
			leftovers, _ := filepath.Glob(filepath.Join(dir, "*/*/.initcompat-*"))
			if len(leftovers) > 0 {
				t.Errorf("staged files left behind: %v", leftovers)
			}
		})
	}
}

// A failure at any step of the local apply leaves the image as it was.
func TestLocalApplyFailureLeavesImageWhole(t *testing.T) {
	dir := helloImage(t)
	plan := planFor(t, &local{dir: dir})
	before := fingerprint(t, dir)
	steps := 0
	counter := &local{dir: dir, step: func(string, string) error { steps++; return nil }}
	if err := counter.Apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	if steps < len(plan.Changes) {
		t.Fatalf("only %d steps for %d changes", steps, len(plan.Changes))
	}
	for n := 1; n <= steps; n++ {
		dir := helloImage(t)
		i := 0
		boom := errors.New("injected failure")
		l := &local{dir: dir, step: func(op, p string) error {
			i++
			if i == n {
				return boom
			}
			return nil
		}}
		err := l.Apply(context.Background(), plan)
		if !errors.Is(err, boom) {
			t.Fatalf("step %d: got %v, want the injected failure", n, err)
		}
		if after := fingerprint(t, dir); after != before {
			t.Fatalf("step %d of %d: the image changed after a failed apply:\nbefore:\n%s\nafter:\n%s", n, steps, before, after)
		}
	}
}

// The real apply script leaves the image as it was when it fails anywhere
// in its stage or commit phase: a failure is injected after each command
// that changes the image, in turn, including after the last commit.
func TestRemoteApplyFailureLeavesImageWhole(t *testing.T) {
	dir := olderImage(t)
	plan := planFor(t, &remote{comm: &shellComm{root: dir}, command: shell})
	if !strings.Contains(plan.Text(), "remove ") || !strings.Contains(plan.Text(), "update ") {
		t.Fatalf("the plan should update and remove, to exercise every phase:\n%s", plan.Text())
	}
	script, err := initcompat.ApplyScript(plan)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(script, "\n")
	stage := -1
	var points []int
	for i, l := range lines {
		if l == "# 2. stage" {
			stage = i
		}
		if l == initcompat.TidyMarker {
			break
		}
		if stage >= 0 && (strings.HasPrefix(l, "mkdir ") || strings.HasPrefix(l, "mv ") || l == "INITCOMPAT_PAYLOAD" || strings.HasPrefix(l, "rmdir ")) {
			points = append(points, i)
		}
	}
	if len(points) < 4 {
		t.Fatalf("only %d injection points in:\n%s", len(points), script)
	}
	for _, at := range points {
		dir := olderImage(t)
		before := fingerprint(t, dir)
		broken := append(append(append([]string(nil), lines[:at+1]...), "fail injected"), lines[at+1:]...)
		cmd := exec.Command("sh", "-s")
		cmd.Env = append(os.Environ(), "INITCOMPAT_ROOT="+dir)
		cmd.Stdin = strings.NewReader(strings.Join(broken, "\n"))
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "initcompat: injected") || !strings.Contains(string(out), "nothing was changed") {
			t.Fatalf("failure after line %d (%q): err %v, output:\n%s", at, lines[at], err, out)
		}
		if after := fingerprint(t, dir); after != before {
			t.Fatalf("failure after line %d (%q) changed the image:\n%s\n---\n%s", at, lines[at], before, after)
		}
	}
	// And a path that appeared after the snapshot stops it before any write.
	dir = helloImage(t)
	plan = planFor(t, &local{dir: dir})
	if err := os.WriteFile(filepath.Join(dir, "etc/rc3.d/S01hello"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, dir)
	err = (&remote{comm: &shellComm{root: dir}, command: shell}).Apply(context.Background(), plan)
	if err == nil || !strings.Contains(err.Error(), "/etc/rc3.d/S01hello changed since the snapshot (it exists now)") {
		t.Fatalf("got %v", err)
	}
	if after := fingerprint(t, dir); after != before {
		t.Fatal("the image changed after a refused apply")
	}
}

// A path that changed after the snapshot stops the local apply before any write.
func TestLocalApplyPreconditionChanged(t *testing.T) {
	dir := helloImage(t)
	l := &local{dir: dir}
	plan := planFor(t, l)
	if err := os.WriteFile(filepath.Join(dir, "etc/init.d/hello"), []byte("#!/bin/sh\n# someone else's\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, dir)
	err := l.Apply(context.Background(), plan)
	if err == nil || !strings.Contains(err.Error(), "/etc/init.d/hello changed since the snapshot") {
		t.Fatalf("got %v", err)
	}
	if after := fingerprint(t, dir); after != before {
		t.Fatal("the image changed")
	}
}

// A symlinked directory that points out of root_dir is never written
// through: not when the snapshot sees it, and not when it appears between
// snapshot and apply.
func TestLocalApplyStaysInRoot(t *testing.T) {
	dir := helloImage(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "etc/rc4.d")); err != nil {
		t.Fatal(err)
	}
	l := &local{dir: dir}
	plan := planFor(t, l)
	if !strings.Contains(plan.Text(), "/etc/rc4.d: is a symlink to "+outside) {
		t.Errorf("plan does not warn about the escaping rc4.d:\n%s", plan.Text())
	}
	// Between snapshot and apply, rc2.d becomes a link out of the image.
	if err := os.Remove(filepath.Join(dir, "etc/rc2.d")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "etc/rc2.d")); err != nil {
		t.Fatal(err)
	}
	err := l.Apply(context.Background(), plan)
	if err == nil || !strings.Contains(err.Error(), "/etc/rc2.d changed since the snapshot") {
		t.Fatalf("got %v, want the swapped directory refused", err)
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

// olderImage is the hello image as an older initcompat left it, with the
// unit disabled since: the plan updates the script and swaps links.
func olderImage(t *testing.T) string {
	t.Helper()
	dir := helloImage(t)
	l := &local{dir: dir}
	snap, err := l.Snapshot(context.Background(), tree.WithContent(tree.DefaultWatches, "/var/lib/initcompat"))
	if err != nil {
		t.Fatal(err)
	}
	old := initcompat.BuildPlan(snap, initcompat.Policy{Version: "0.0.0-old"})
	if err := l.Apply(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "etc/systemd/system/multi-user.target.wants/hello.service")); err != nil {
		t.Fatal(err)
	}
	return dir
}
