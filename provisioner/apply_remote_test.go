//go:build linux

package provisioner

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
)

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
	pl := planFor(t, &local{dir: dir})
	script, _ := applyScript(pl)
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
		if strings.Contains(out, protocol.CompletedToken) {
			t.Fatalf("cut at byte %d of %d: the script reports completion:\n%s", at, len(script), out)
		}
		if after := fingerprint(t, dir); after != before {
			t.Fatalf("cut at byte %d of %d changed the image:\n%s", at, len(script), out)
		}
	}
	t.Logf("%d cut points over %d lines, %d bytes", len(cuts), len(lines), len(script))
	// Through the transport: a connection that delivers half the script.
	err := (&remote{comm: &cutComm{shellComm: shellComm{Root: dir}, keep: len(script) / 2}, command: shell}).Apply(context.Background(), pl, protocol.Options{})
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

// faultAt are the steps of the plan's apply at which the shell runner
// stops exactly as the os.Root runner does (protocol.Boundaries), and the
// index of the step that journals "done".
func faultAt(t *testing.T, pl *plan.Plan) ([]int, int) {
	t.Helper()
	at, err := protocol.Boundaries(pl, protocol.Options{})
	if err != nil {
		t.Fatal(err)
	}
	steps, err := protocol.Steps(pl, protocol.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		if s.Op == protocol.StepJournal && s.State == protocol.JournalDone {
			return at, i
		}
	}
	t.Fatal("no done journal")
	return nil, 0
}

// faultScript is the real apply script of plan, broken before step at.
func faultScript(t *testing.T, pl *plan.Plan, at int, kind protocol.FaultKind) string {
	t.Helper()
	var b strings.Builder
	if err := protocol.WriteScript(&b, pl, protocol.Options{Fault: &protocol.Fault{At: at, Kind: kind}}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The real apply script, failing before each step that changes the image
// (a full disk, a read-only file system), rolls back to the image before.
func TestRemoteApplyFailureLeavesImageWhole(t *testing.T) {
	dir := olderImage(t)
	pl := planFor(t, &local{dir: dir})
	if !strings.Contains(pl.Text(), "remove ") || !strings.Contains(pl.Text(), "update ") {
		t.Fatalf("the plan should update and remove, to exercise every phase:\n%s", pl.Text())
	}
	// A failure can only roll back until the journal says "done"; after
	// that the image is complete and only tidying is left.
	at, done := faultAt(t, pl)
	points := 0
	for _, i := range at {
		if i >= done {
			break
		}
		points++
		dir := olderImage(t)
		before := fingerprint(t, dir)
		out, err := runScript(dir, faultScript(t, pl, i, protocol.FaultFail))
		if err == nil || !strings.Contains(out, "initcompat: injected fault at step") || !strings.Contains(out, "nothing was changed") {
			t.Fatalf("failure at step %d: err %v, output:\n%s", i, err, out)
		}
		if after := fingerprint(t, dir); after != before {
			t.Fatalf("failure at step %d changed the image:\n%s\n---\n%s", i, before, after)
		}
	}
	if points < 6 {
		t.Fatalf("only %d injection points", points)
	}
	// A path that appeared after the snapshot stops it before any write.
	dir = helloImage(t)
	pl = planFor(t, &local{dir: dir})
	if err := os.WriteFile(filepath.Join(dir, "etc/rc3.d/S01hello"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, dir)
	err := (&remote{comm: &shellComm{Root: dir}, command: shell}).Apply(context.Background(), pl, protocol.Options{})
	if err == nil || !strings.Contains(err.Error(), "/etc/rc3.d/S01hello changed since the snapshot (it exists now)") {
		t.Fatalf("got %v", err)
	}
	if after := fingerprint(t, dir); after != before {
		t.Fatal("the image changed after a refused apply")
	}
}

// The remote shell killed before each step that changes the image:
// SIGKILL leaves the journal (and the lock, which the next run takes over
// from the dead process), and the next build's snapshot recovers it;
// SIGHUP (sshd's signal when the connection drops) and SIGTERM roll back at
// once. Either way a plain rebuild converges to the clean image.
func TestRemoteApplyKilledRecovers(t *testing.T) {
	clean := cleanResult(t, olderImage)
	pl := planFor(t, &local{dir: olderImage(t)})
	at, _ := faultAt(t, pl)
	sigs := []protocol.FaultKind{protocol.FaultKill, protocol.FaultHangup, protocol.FaultTerm}
	if testing.Short() {
		sigs = sigs[:1] // make check: the kill; make test: the three
	}
	for _, sig := range sigs {
		for _, i := range at {
			dir := olderImage(t)
			before := fingerprint(t, dir)
			out, _ := runScript(dir, faultScript(t, pl, i, sig))
			if strings.Contains(out, protocol.CompletedToken) {
				t.Fatalf("SIG%s at step %d: reported complete", sig, i)
			}
			got := fingerprint(t, dir)
			if sig != protocol.FaultKill && got != before && got != clean {
				t.Fatalf("SIG%s at step %d: not rolled back:\n%s\n%s", sig, i, out, got)
			}
			r := &remote{comm: &shellComm{Root: dir}, command: shell}
			if _, what, err := r.Snapshot(context.Background(), watches, true); err != nil {
				t.Fatalf("SIG%s at step %d: recovery: %v", sig, i, err)
			} else if got := withoutLock(fingerprint(t, dir)); got != before && got != clean {
				t.Fatalf("SIG%s at step %d, recovered (%s): neither before nor complete:\n%s", sig, i, what, got)
			}
			rebuild(t, r, dir, clean, fmt.Sprintf("SIG%s at step %d", sig, i))
		}
	}
}

// The remote apply killed in its commit: the plugin, still connected,
// rolls it back at once, so the failed build leaves the image as it was.
func TestRemoteApplyKilledIsUndoneAtOnce(t *testing.T) {
	dir := olderImage(t)
	pl := planFor(t, &local{dir: dir})
	at, done := faultAt(t, pl)
	steps, err := protocol.Steps(pl, protocol.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The boundary after the journal says commit: the staged files are
	// renamed in one command from there (a kill with part of them done
	// is in the protocol's conformance table).
	kill := -1
	for _, i := range at {
		if i > 0 && i < done && steps[i-1].Op == protocol.StepJournal && steps[i-1].State == protocol.JournalCommit {
			kill = i
			break
		}
	}
	if kill < 0 {
		t.Fatalf("no boundary inside the commit: %v", at)
	}
	before := fingerprint(t, dir)
	err = (&remote{comm: &shellComm{Root: dir}, command: shell}).Apply(context.Background(), pl, protocol.Options{Fault: &protocol.Fault{At: kill, Kind: protocol.FaultKill}})
	if err == nil || !strings.Contains(err.Error(), "then initcompat rolled back an apply interrupted in its commit phase") {
		t.Fatalf("got %v", err)
	}
	if fingerprint(t, dir) != before {
		t.Fatal("the killed apply was not undone")
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
	pl := planFor(t, r)
	script, err := applyScript(pl)
	if err != nil {
		t.Fatal(err)
	}
	plain := *pl
	plain.Gzip = ""
	uncompressed, _ := applyScript(&plain)
	if !strings.Contains(script, "\nunpack 1 '/usr/bin/gzip' ") || len(script) >= len(uncompressed) {
		t.Fatalf("the payload is not compressed: %d bytes, %d without gzip", len(script), len(uncompressed))
	}
	t.Logf("apply script: %d bytes with gzip, %d without", len(script), len(uncompressed))
	if err := r.Apply(context.Background(), pl, protocol.Options{}); err != nil {
		t.Fatal(err)
	}
	if got, want := fingerprint(t, dir), cleanResult(t, withGzip); got != want {
		t.Fatalf("the compressed apply differs from the local one:\n%s\n---\n%s", got, want)
	}
}

// withoutLock is a fingerprint without the lock a killed shell leaves
// (its holder gone, the next run takes it over).
func withoutLock(fp string) string {
	var keep []string
	for _, l := range strings.Split(fp, "\n") {
		if !strings.HasPrefix(l, strings.TrimPrefix(protocol.LockPath, "/")) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
