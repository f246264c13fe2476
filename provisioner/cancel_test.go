//go:build linux

package provisioner

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
)

// manyServices adds n hand-installed enabled services to the hello image,
// so that an apply takes long enough to be cancelled inside.
func manyServices(t *testing.T, n int) string {
	t.Helper()
	dir := helloImage(t)
	for i := 0; i < n; i++ {
		unit := filepath.Join(dir, fmt.Sprintf("etc/systemd/system/svc%03d.service", i))
		if err := os.WriteFile(unit, []byte("[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A build cancelled (timeout, Ctrl-C) while root_dir's apply stages its
// files stops there; the staging is undone and the image is as before.
func TestCancelLocalBeforeCommit(t *testing.T) {
	dir := manyServices(t, 50)
	l := &local{dir: dir}
	pl := planFor(t, l)
	before := fingerprint(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	writes := 0
	l.step = func(op, _ string) error {
		if op == string(protocol.StepWrite) {
			if writes++; writes == 10 {
				cancel() // as Packer does on Ctrl-C, between two steps
			}
		}
		return nil
	}
	err := l.Apply(ctx, pl, protocol.Options{})
	if err == nil || !strings.Contains(err.Error(), "cancelled before the commit") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("err = %v", err)
	}
	if after := fingerprint(t, dir); after != before {
		t.Fatalf("a cancelled apply changed the image:\n%s\n--- before\n%s", after, before)
	}
}

// Cancelled once the commit has begun, the renames run to their end: the
// image is complete, never half-committed.
func TestCancelLocalDuringCommit(t *testing.T) {
	dir := manyServices(t, 50)
	l := &local{dir: dir}
	pl := planFor(t, l)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l.step = func(op, _ string) error {
		if op == string(protocol.StepRename) {
			cancel()
		}
		return nil
	}
	if err := l.Apply(ctx, pl, protocol.Options{}); err != nil {
		t.Fatalf("an apply cancelled in its commit: %v", err)
	}
	if again := planFor(t, &local{dir: dir}); !again.Empty() {
		t.Fatalf("the image is not complete: %d change(s) left", len(again.Changes))
	}
}

// detachedComm runs the command as an SSH server would: cancelling the
// build's context does not kill it. It cancels the build itself once the
// remote shell has read `after` bytes of the script.
type detachedComm struct {
	shellComm
	after  int64
	cancel context.CancelFunc
}

func (c *detachedComm) Start(_ context.Context, rc *packersdk.RemoteCmd) error {
	if rc.Stdin != nil && c.after > 0 {
		rc.Stdin = &cancellingReader{r: rc.Stdin, after: c.after, cancel: c.cancel}
	}
	return c.shellComm.Start(context.Background(), rc)
}

type cancellingReader struct {
	r      io.Reader
	n      atomic.Int64
	after  int64
	cancel context.CancelFunc
}

// Read cancels the build at the mark and then reads on: the rest of the
// script reaches the shell unless the transport closes the stream, which
// it must do when cancelled (given a moment to see the cancellation).
func (c *cancellingReader) Read(p []byte) (int, error) {
	if c.n.Load() == c.after {
		c.cancel()
		time.Sleep(200 * time.Millisecond)
	}
	if c.n.Load() < c.after {
		p = p[:min(int64(len(p)), c.after-c.n.Load())]
	}
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// A remote apply cancelled while its script is on its way: the script is
// cut, sh runs nothing of it, and the image is as before, with no journal.
func TestCancelRemoteWhileStreaming(t *testing.T) {
	dir := manyServices(t, 50)
	pl := planFor(t, &remote{comm: &shellComm{Root: dir}, command: shell})
	script, err := applyScript(pl)
	if err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	comm := &detachedComm{shellComm: shellComm{Root: dir}, after: int64(len(script) / 2), cancel: cancel}
	err = (&remote{comm: comm, command: shell}).Apply(ctx, pl, protocol.Options{})
	if err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("err = %v", err)
	}
	if after := fingerprint(t, dir); after != before {
		t.Fatalf("a cancelled remote apply changed the image:\n%s\n--- before\n%s", after, before)
	}
}

// mode = "check" fails on every attempt while the image lacks a shim:
// max_retries never turns a failed check into a pass.
func TestCheckFailsOnEveryRetry(t *testing.T) {
	dir := helloImage(t)
	for attempt := 1; attempt <= 3; attempt++ {
		p := new(Provisioner)
		if err := p.Prepare(map[string]interface{}{"root_dir": dir, "mode": "check"}); err != nil {
			t.Fatal(err)
		}
		err := p.Provision(context.Background(), newRecordUI(t), nil, map[string]interface{}{"ConnType": "none"})
		if err == nil || !strings.Contains(err.Error(), "lacks") {
			t.Fatalf("attempt %d: err = %v", attempt, err)
		}
	}
}
