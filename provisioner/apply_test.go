package provisioner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

var pol = initcompat.Policy{Version: "0.0.0-test"}

var watches = tree.WithContent(tree.DefaultWatches, "/var/lib/initcompat")

// planFor snapshots as an apply does (recovering first) and plans.
func planFor(t *testing.T, tr transport) *initcompat.Plan {
	t.Helper()
	snap, _, err := tr.Snapshot(context.Background(), watches, true)
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
	fromDir, _, err := (&local{dir: dir}).Snapshot(context.Background(), watches, false)
	if err != nil {
		t.Fatal(err)
	}
	fromTar, _, err := (&remote{comm: &shellComm{Root: dir}, command: shell}).Snapshot(context.Background(), watches, false)
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
		"remote": &remote{comm: &shellComm{Root: dir}, command: shell},
	}
}

// leftovers lists what an apply must never leave: journal, lock, stage and
// aside directories.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, pattern := range []string{"var/lib/.initcompat-*", "*/.initcompat-*", "*/*/.initcompat-*", "*/*/*/.initcompat-*", "*/*/*/*/.initcompat-*"} {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		out = append(out, m...)
	}
	return out
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
			if l := leftovers(t, dir); len(l) > 0 {
				t.Errorf("left behind: %v", l)
			}
		})
	}
}

// cleanResult is the image a whole, uninterrupted apply makes.
func cleanResult(t *testing.T, image func(*testing.T) string) string {
	t.Helper()
	dir := image(t)
	l := &local{dir: dir}
	if err := l.Apply(context.Background(), planFor(t, l)); err != nil {
		t.Fatal(err)
	}
	return fingerprint(t, dir)
}

// rebuild is a plain second build: recover, plan, apply. It must succeed
// and leave exactly the clean result, with nothing more to do.
func rebuild(t *testing.T, tr transport, dir, clean, what string) {
	t.Helper()
	plan := planFor(t, tr)
	if err := tr.Apply(context.Background(), plan); err != nil {
		t.Fatalf("%s: the rebuild failed: %v", what, err)
	}
	if got := fingerprint(t, dir); got != clean {
		t.Fatalf("%s: the rebuild did not converge to the clean image:\n%s\n--- clean\n%s", what, got, clean)
	}
	if again := planFor(t, tr); !again.Empty() {
		t.Fatalf("%s: a third run plans changes:\n%s", what, again.Text())
	}
}

// countSteps runs the local apply once, counting the steps that change the
// image.
func countSteps(t *testing.T, image func(*testing.T) string) (*initcompat.Plan, int) {
	t.Helper()
	dir := image(t)
	plan := planFor(t, &local{dir: dir})
	n := 0
	if err := (&local{dir: dir, step: func(string, string) error { n++; return nil }}).Apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	if n < len(plan.Changes) {
		t.Fatalf("only %d steps for %d changes", n, len(plan.Changes))
	}
	return plan, n
}

// A failure at any step of the local apply leaves the image as it was, and
// nothing behind.
func TestLocalApplyFailureLeavesImageWhole(t *testing.T) {
	for _, image := range []func(*testing.T) string{helloImage, olderImage} {
		plan, steps := countSteps(t, image)
		for n := 1; n <= steps; n++ {
			dir := image(t)
			before := fingerprint(t, dir)
			boom := errors.New("injected failure")
			i := 0
			l := &local{dir: dir, step: func(op, p string) error {
				if i++; i == n {
					return boom
				}
				return nil
			}}
			err := l.Apply(context.Background(), plan)
			if n == steps && err == nil {
				continue // the last step is the tidy after "done": the image is complete
			}
			if !errors.Is(err, boom) {
				t.Fatalf("step %d: got %v, want the injected failure", n, err)
			}
			if after := fingerprint(t, dir); after != before {
				t.Fatalf("step %d of %d: the image changed after a failed apply:\nbefore:\n%s\nafter:\n%s", n, steps, before, after)
			}
		}
	}
}

// The plugin killed at any step (no undo runs): the next build recovers
// first, leaving exactly the image before or the complete one, and then
// converges to the clean result.
func TestLocalApplyKilledRecovers(t *testing.T) {
	for _, image := range []func(*testing.T) string{helloImage, olderImage} {
		clean := cleanResult(t, image)
		plan, steps := countSteps(t, image)
		for n := 1; n <= steps; n++ {
			dir := image(t)
			before := fingerprint(t, dir)
			i := 0
			l := &local{dir: dir, step: func(string, string) error {
				if i++; i == n {
					return errKilled
				}
				return nil
			}}
			// Killed while tidying after "done", the apply has succeeded.
			if err := l.Apply(context.Background(), plan); !errors.Is(err, errKilled) && (n != steps || err != nil) {
				t.Fatalf("step %d: %v", n, err)
			}
			what, err := (&local{dir: dir}).Recover(context.Background())
			if err != nil {
				t.Fatalf("step %d: recovery: %v", n, err)
			}
			if got := fingerprint(t, dir); got != before && got != clean {
				t.Fatalf("killed at step %d, recovered (%s): neither the image before nor the complete one:\n%s", n, what, got)
			}
			rebuild(t, &local{dir: dir}, dir, clean, fmt.Sprintf("killed at step %d", n))
		}
	}
}

// applyLines splits the real apply script of a plan into lines.
func applyLines(t *testing.T, plan *initcompat.Plan) []string {
	t.Helper()
	script, err := applyScript(plan)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(script, "\n")
}

func runScript(dir, script string) (string, error) {
	cmd := exec.Command("sh", "-s")
	cmd.Env = append(os.Environ(), "INITCOMPAT_ROOT="+dir)
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The apply script's input cut at every line boundary, and at 60 byte
// offsets (a dropped connection): the shell runs nothing, the image is
// byte-identical, and the transport does not call the apply done.
func TestRemoteApplyCutShortChangesNothing(t *testing.T) {
	dir := olderImage(t)
	plan := planFor(t, &local{dir: dir})
	script, _ := applyScript(plan)
	lines := strings.Split(script, "\n")
	var cuts []int
	off := 0
	for _, l := range lines {
		cuts = append(cuts, off)
		off += len(l) + 1
	}
	for k := 1; k < 60; k++ {
		cuts = append(cuts, len(script)*k/60)
	}
	before := fingerprint(t, dir)
	for _, at := range cuts {
		if at >= len(script)-1 {
			continue
		}
		out, _ := runScript(dir, script[:at])
		if strings.Contains(out, initcompat.CompletedToken) {
			t.Fatalf("cut at byte %d of %d: the script reports completion:\n%s", at, len(script), out)
		}
		if after := fingerprint(t, dir); after != before {
			t.Fatalf("cut at byte %d of %d changed the image:\n%s", at, len(script), out)
		}
	}
	t.Logf("%d cut points over %d lines, %d bytes", len(cuts), len(lines), len(script))
	// Through the transport: a connection that delivers half the script.
	err := (&remote{comm: &cutComm{shellComm: shellComm{Root: dir}, keep: len(script) / 2}, command: shell}).Apply(context.Background(), plan)
	if err == nil || !strings.Contains(err.Error(), "did not run to its end") {
		t.Fatalf("a half-delivered apply: %v", err)
	}
	if fingerprint(t, dir) != before {
		t.Fatal("a half-delivered apply changed the image")
	}
	rebuild(t, &remote{comm: &shellComm{Root: dir}, command: shell}, dir, cleanResult(t, olderImage), "after a cut")
}

// cutComm delivers only the first keep bytes of standard input.
type cutComm struct {
	shellComm
	keep int
}

func (c *cutComm) Start(ctx context.Context, rc *packersdk.RemoteCmd) error {
	if rc.Stdin != nil {
		rc.Stdin = io.LimitReader(rc.Stdin, int64(c.keep))
	}
	return c.shellComm.Start(ctx, rc)
}

// mutating are the lines of the apply script that change the image.
func mutating(lines []string) []int {
	var out []int
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "mkdir -m") || strings.HasPrefix(t, "mv -f") || strings.HasPrefix(t, "journal ") ||
			strings.HasPrefix(t, "base64 -d") {
			out = append(out, i)
		}
	}
	return out
}

// The real apply script, failing after each command that changes the image
// (a full disk, a read-only file system), rolls back to the image before.
func TestRemoteApplyFailureLeavesImageWhole(t *testing.T) {
	dir := olderImage(t)
	plan := planFor(t, &local{dir: dir})
	if !strings.Contains(plan.Text(), "remove ") || !strings.Contains(plan.Text(), "update ") {
		t.Fatalf("the plan should update and remove, to exercise every phase:\n%s", plan.Text())
	}
	lines := applyLines(t, plan)
	// A failure can only roll back until the journal says "done"; after
	// that the image is complete and only tidying is left.
	var points []int
	for _, at := range mutating(lines) {
		if strings.Contains(strings.Join(lines[:at+1], "\n"), "\njournal done") {
			break
		}
		points = append(points, at)
	}
	if len(points) < 6 {
		t.Fatalf("only %d injection points", len(points))
	}
	for _, at := range points {
		dir := olderImage(t)
		before := fingerprint(t, dir)
		broken := append(append(append([]string(nil), lines[:at+1]...), "fail injected"), lines[at+1:]...)
		out, err := runScript(dir, strings.Join(broken, "\n"))
		if err == nil || !strings.Contains(out, "initcompat: injected") || !strings.Contains(out, "nothing was changed") {
			t.Fatalf("failure after line %d (%q): err %v, output:\n%s", at, lines[at], err, out)
		}
		if after := fingerprint(t, dir); after != before {
			t.Fatalf("failure after line %d (%q) changed the image:\n%s\n---\n%s", at, lines[at], before, after)
		}
	}
	// A path that appeared after the snapshot stops it before any write.
	dir = helloImage(t)
	plan = planFor(t, &local{dir: dir})
	if err := os.WriteFile(filepath.Join(dir, "etc/rc3.d/S01hello"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, dir)
	err := (&remote{comm: &shellComm{Root: dir}, command: shell}).Apply(context.Background(), plan)
	if err == nil || !strings.Contains(err.Error(), "/etc/rc3.d/S01hello changed since the snapshot (it exists now)") {
		t.Fatalf("got %v", err)
	}
	if after := fingerprint(t, dir); after != before {
		t.Fatal("the image changed after a refused apply")
	}
}

// The remote shell killed after each command that changes the image:
// SIGKILL leaves the journal, and the next build's snapshot recovers it;
// SIGHUP (sshd's signal when the connection drops) and SIGTERM roll back at
// once. Either way a plain rebuild converges to the clean image.
func TestRemoteApplyKilledRecovers(t *testing.T) {
	clean := cleanResult(t, olderImage)
	plan := planFor(t, &local{dir: olderImage(t)})
	lines := applyLines(t, plan)
	for _, sig := range []string{"KILL", "HUP", "TERM"} {
		for _, at := range mutating(lines) {
			dir := olderImage(t)
			before := fingerprint(t, dir)
			broken := append(append(append([]string(nil), lines[:at+1]...), "kill -"+sig+" $$"), lines[at+1:]...)
			out, _ := runScript(dir, strings.Join(broken, "\n"))
			if strings.Contains(out, initcompat.CompletedToken) {
				t.Fatalf("SIG%s after line %d: reported complete", sig, at)
			}
			got := fingerprint(t, dir)
			if sig != "KILL" && got != before && got != clean {
				t.Fatalf("SIG%s after line %d (%q): not rolled back:\n%s\n%s", sig, at, lines[at], out, got)
			}
			r := &remote{comm: &shellComm{Root: dir}, command: shell}
			if _, what, err := r.Snapshot(context.Background(), watches, true); err != nil {
				t.Fatalf("SIG%s after line %d: recovery: %v", sig, at, err)
			} else if got := fingerprint(t, dir); got != before && got != clean {
				t.Fatalf("SIG%s after line %d, recovered (%s): neither before nor complete:\n%s", sig, at, what, got)
			}
			rebuild(t, r, dir, clean, fmt.Sprintf("SIG%s after line %d", sig, at))
		}
	}
}

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
		if op == string(initcompat.StepRename) {
			once.Do(func() { close(entered); <-release })
		}
		return nil
	}}
	errA := make(chan error, 1)
	go func() { errA <- a.Apply(context.Background(), planA) }()
	select { // A is in the middle of its commit, holding the lock
	case <-entered:
	case err := <-errA:
		t.Fatalf("A ended before its commit: %v", err)
	}
	errB := make(chan error, 1)
	go func() {
		errB <- (&remote{comm: &shellComm{Root: dir}, command: shell}).Apply(context.Background(), planB)
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
	lock := filepath.Join(dir, strings.TrimPrefix(initcompat.LockPath, "/"))
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
		if err := tr.Apply(context.Background(), planFor(t, tr)); err != nil && !strings.Contains(err.Error(), "changed since") {
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
// snapshot and apply; the error names the link.
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
	for name, tr := range transports(dir) {
		err := tr.Apply(context.Background(), plan)
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

// olderImage is the hello image as an older initcompat left it, with the
// unit disabled since: the plan updates the script and swaps links.
func olderImage(t *testing.T) string {
	t.Helper()
	dir := helloImage(t)
	l := &local{dir: dir}
	snap, _, err := l.Snapshot(context.Background(), watches, false)
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

// A build killed in its commit leaves its journal: plan and check refuse
// to plan over the half-written image and say what to do; the next apply
// says in one line what it recovered, then builds as usual.
func TestInterruptedApplyThenBuilds(t *testing.T) {
	dir := helloImage(t)
	plan := planFor(t, &local{dir: dir})
	renames := 0
	killed := &local{dir: dir, step: func(op, _ string) error {
		if op == string(initcompat.StepRename) {
			if renames++; renames == 3 {
				return errKilled
			}
		}
		return nil
	}}
	if err := killed.Apply(context.Background(), plan); !errors.Is(err, errKilled) {
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

// killComm runs the apply script with a SIGKILL of its own shell inserted
// after the line at, as if the process died there; other commands run as
// they are.
type killComm struct {
	shellComm
	at int
}

func (c *killComm) Start(ctx context.Context, rc *packersdk.RemoteCmd) error {
	data, err := io.ReadAll(rc.Stdin)
	if err != nil {
		return err
	}
	if lines := strings.Split(string(data), "\n"); strings.Contains(string(data), "initcompat_apply") && c.at < len(lines) {
		lines = append(append(append([]string(nil), lines[:c.at+1]...), "kill -KILL $$"), lines[c.at+1:]...)
		data = []byte(strings.Join(lines, "\n"))
	}
	rc.Stdin = bytes.NewReader(data)
	return c.shellComm.Start(ctx, rc)
}

// The remote apply killed in its commit: the plugin, still connected,
// rolls it back at once, so the failed build leaves the image as it was.
func TestRemoteApplyKilledIsUndoneAtOnce(t *testing.T) {
	dir := olderImage(t)
	plan := planFor(t, &local{dir: dir})
	lines := applyLines(t, plan)
	at := -1
	for i, l := range lines {
		if l == "journal commit" {
			at = i + 1 // the journal says commit, and one rename is done
			break
		}
	}
	before := fingerprint(t, dir)
	err := (&remote{comm: &killComm{shellComm: shellComm{Root: dir}, at: at}, command: shell}).Apply(context.Background(), plan)
	if err == nil || !strings.Contains(err.Error(), "then initcompat rolled back an apply interrupted in its commit phase") {
		t.Fatalf("got %v", err)
	}
	if fingerprint(t, dir) != before {
		t.Fatal("the killed apply was not undone")
	}
}

// Apply (with a disable), then remove: the image is byte for byte as
// before, on both transports; the links the disable removed come back.
func TestApplyThenRemoveGivesTheImageBack(t *testing.T) {
	for name := range transports("") {
		dir := helloImage(t)
		before := fingerprint(t, dir)
		tr := transports(dir)[name]
		snap, _, err := tr.Snapshot(context.Background(), watches, true)
		if err != nil {
			t.Fatal(err)
		}
		withDisable := pol
		withDisable.Disable = []string{"hello"}
		if err := tr.Apply(context.Background(), initcompat.BuildPlan(snap, withDisable)); err != nil {
			t.Fatalf("%s: apply: %v", name, err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "etc/systemd/system/multi-user.target.wants/hello.service")); err == nil {
			t.Fatalf("%s: the disable did not remove the wants link", name)
		}
		snap, _, err = tr.Snapshot(context.Background(), watches, true)
		if err != nil {
			t.Fatal(err)
		}
		rm := initcompat.BuildRemovePlan(snap, pol)
		if len(rm.Errors()) > 0 || rm.Empty() {
			t.Fatalf("%s: remove plan:\n%s", name, rm.Text())
		}
		if err := tr.Apply(context.Background(), rm); err != nil {
			t.Fatalf("%s: remove: %v\n%s", name, err, rm.Text())
		}
		if after := fingerprint(t, dir); after != before {
			t.Fatalf("%s: apply then remove did not give the image back:\n%s\n--- before\n%s\n--- plan\n%s", name, after, before, rm.Text())
		}
		// And a second remove has nothing to do.
		snap, _, _ = tr.Snapshot(context.Background(), watches, true)
		if again := initcompat.BuildRemovePlan(snap, pol); !again.Empty() {
			t.Fatalf("%s: a second remove plans:\n%s", name, again.Text())
		}
	}
}

// A file initcompat wrote and a person edited is kept by remove, and so is
// its directory; the rest goes.
func TestRemoveKeepsEdits(t *testing.T) {
	dir := helloImage(t)
	l := &local{dir: dir}
	if err := l.Apply(context.Background(), planFor(t, l)); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "etc/init.d/hello")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n# mine now\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	snap, _, _ := l.Snapshot(context.Background(), watches, true)
	rm := initcompat.BuildRemovePlan(snap, pol)
	if !strings.Contains(rm.Text(), "/etc/init.d/hello: edited since initcompat wrote it") {
		t.Fatalf("no conflict for the edited script:\n%s", rm.Text())
	}
	if err := l.Apply(context.Background(), rm); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(script); err != nil || string(data) != "#!/bin/sh\n# mine now\n" {
		t.Fatalf("the edited script was not kept: %q %v", data, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "etc/rc2.d/S01hello")); err == nil {
		t.Fatal("the rc links were not removed")
	}
}

// A remove killed at any step is recovered like an apply: the image is the
// provisioned one or the pristine one, and a plain second remove gives the
// pristine one.
func TestRemoveKilledRecovers(t *testing.T) {
	provisioned := func(t *testing.T) string {
		dir := helloImage(t)
		l := &local{dir: dir}
		if err := l.Apply(context.Background(), planFor(t, l)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	pristine := fingerprint(t, helloImage(t))
	removePlan := func(dir string) *initcompat.Plan {
		snap, _, err := (&local{dir: dir}).Snapshot(context.Background(), watches, true)
		if err != nil {
			t.Fatal(err)
		}
		return initcompat.BuildRemovePlan(snap, pol)
	}
	dir := provisioned(t)
	full := fingerprint(t, dir)
	n := 0
	if err := (&local{dir: dir, step: func(string, string) error { n++; return nil }}).Apply(context.Background(), removePlan(dir)); err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= n; k++ {
		dir := provisioned(t)
		i := 0
		l := &local{dir: dir, step: func(string, string) error {
			if i++; i == k {
				return errKilled
			}
			return nil
		}}
		if err := l.Apply(context.Background(), removePlan(dir)); !errors.Is(err, errKilled) && (k != n || err != nil) {
			t.Fatalf("step %d: %v", k, err)
		}
		if _, err := (&local{dir: dir}).Recover(context.Background()); err != nil {
			t.Fatalf("step %d: recovery: %v", k, err)
		}
		if got := fingerprint(t, dir); got != full && got != pristine {
			t.Fatalf("remove killed at step %d: neither provisioned nor pristine:\n%s", k, got)
		}
		if err := (&local{dir: dir}).Apply(context.Background(), removePlan(dir)); err != nil {
			t.Fatalf("step %d: the second remove: %v", k, err)
		}
		if got := fingerprint(t, dir); got != pristine {
			t.Fatalf("step %d: not pristine after the second remove:\n%s", k, got)
		}
	}
}

// With gzip in the image the payload travels compressed, and the remote
// apply gives the same image as the local one.
func TestCompressedPayload(t *testing.T) {
	withGzip := func(t *testing.T) string {
		dir := helloImage(t)
		if err := os.WriteFile(filepath.Join(dir, "usr/bin/gzip"), nil, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	dir := withGzip(t)
	r := &remote{comm: &shellComm{Root: dir}, command: shell}
	plan := planFor(t, r)
	script, err := applyScript(plan)
	if err != nil {
		t.Fatal(err)
	}
	plain := *plan
	plain.Gzip = ""
	uncompressed, _ := applyScript(&plain)
	if !strings.Contains(script, "| '/usr/bin/gzip' -dc") || len(script) >= len(uncompressed) {
		t.Fatalf("the payload is not compressed: %d bytes, %d without gzip", len(script), len(uncompressed))
	}
	t.Logf("apply script: %d bytes with gzip, %d without", len(script), len(uncompressed))
	if err := r.Apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	if got, want := fingerprint(t, dir), cleanResult(t, withGzip); got != want {
		t.Fatalf("the compressed apply differs from the local one:\n%s\n---\n%s", got, want)
	}
}
