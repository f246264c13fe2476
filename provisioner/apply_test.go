//go:build linux

package provisioner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

var pol = plan.Policy{Version: "0.0.0-test"}

var watches = initcompat.Watches(plan.Policy{})

// planFor snapshots as an apply does (recovering first) and plans.
func planFor(t *testing.T, tr transport) *plan.Plan {
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
			pl := planFor(t, tr)
			if pl.Empty() {
				t.Fatal("the hello image should need a redirect")
			}
			if err := tr.Apply(context.Background(), pl, protocol.Options{}); err != nil {
				t.Fatal(err)
			}
			script, err := os.ReadFile(filepath.Join(dir, "etc/init.d/hello"))
			if err != nil || !plan.IsOurs(script) {
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
			if _, err := plan.ParseManifest(m); err != nil {
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
	if err := l.Apply(context.Background(), planFor(t, l), protocol.Options{}); err != nil {
		t.Fatal(err)
	}
	return fingerprint(t, dir)
}

// rebuild is a plain second build: recover, plan, apply. It must succeed
// and leave exactly the clean result, with nothing more to do.
func rebuild(t *testing.T, tr transport, dir, clean, what string) {
	t.Helper()
	pl := planFor(t, tr)
	if err := tr.Apply(context.Background(), pl, protocol.Options{}); err != nil {
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
func countSteps(t *testing.T, image func(*testing.T) string) (*plan.Plan, int) {
	t.Helper()
	dir := image(t)
	pl := planFor(t, &local{dir: dir})
	n := 0
	if err := (&local{dir: dir, step: func(string, string) error { n++; return nil }}).Apply(context.Background(), pl, protocol.Options{}); err != nil {
		t.Fatal(err)
	}
	if n < len(pl.Changes) {
		t.Fatalf("only %d steps for %d changes", n, len(pl.Changes))
	}
	return pl, n
}

// A failure at any step of the local apply leaves the image as it was, and
// nothing behind.
func TestLocalApplyFailureLeavesImageWhole(t *testing.T) {
	for _, image := range []func(*testing.T) string{helloImage, olderImage} {
		pl, steps := countSteps(t, image)
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
			err := l.Apply(context.Background(), pl, protocol.Options{})
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
		pl, steps := countSteps(t, image)
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
			if err := l.Apply(context.Background(), pl, protocol.Options{}); !errors.Is(err, errKilled) && (n != steps || err != nil) {
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
	old := initcompat.BuildPlan(snap, plan.Policy{Version: "0.0.0-old"})
	if err := l.Apply(context.Background(), old, protocol.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "etc/systemd/system/multi-user.target.wants/hello.service")); err != nil {
		t.Fatal(err)
	}
	return dir
}
