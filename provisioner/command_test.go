//go:build linux

package provisioner

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
)

// hangingAnalyzer puts on PATH a stand-in systemd-analyze that starts a
// child of its own and then never ends (a wedged D-Bus call, a generator
// that blocks): it records both pids in dir.
func hangingAnalyzer(t *testing.T) (pids string) {
	t.Helper()
	bin := t.TempDir()
	pids = filepath.Join(t.TempDir(), "pids")
	fake := "#!/bin/sh\n# Stand-in for a systemd-analyze that hangs.\nsleep 600 &\necho $$ $! >" + pids + ".tmp && mv " + pids + ".tmp " + pids + "\nwhile :; do sleep 1; done\n"
	if err := os.WriteFile(filepath.Join(bin, "systemd-analyze"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return pids
}

// gone says whether every pid in the file has ended (a zombie has).
func gone(t *testing.T, pids string) bool {
	t.Helper()
	data, err := os.ReadFile(pids)
	if err != nil {
		t.Fatalf("the stand-in never ran: %v", err)
	}
	for _, f := range strings.Fields(string(data)) {
		pid, _ := strconv.Atoi(f)
		stat, err := os.ReadFile("/proc/" + f + "/stat")
		if err == nil && !strings.Contains(string(stat), ") Z ") && alive(pid) {
			return false
		}
	}
	return true
}

func waitGone(t *testing.T, pids string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if gone(t, pids) {
			return
		}
	}
	data, _ := os.ReadFile(pids)
	t.Fatalf("the stand-in systemd-analyze or its child outlived the build (pids %s)", strings.TrimSpace(string(data)))
}

// A root_dir build whose offline systemd-analyze hangs fails within the
// command's timeout, changes nothing, and leaves no process behind.
func TestHangingAnalyzerTimesOut(t *testing.T) {
	pids := hangingAnalyzer(t)
	defer func(d time.Duration) { analyzeTimeout = d }(analyzeTimeout)
	analyzeTimeout = time.Second
	dir := helloImage(t)
	before := fingerprint(t, dir)
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := p.Provision(context.Background(), newRecordUI(t), nil, map[string]interface{}{"ConnType": "none"})
	if err == nil || !strings.Contains(err.Error(), "did not finish in 1s") {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the build took %v past a 1s timeout", took)
	}
	if fingerprint(t, dir) != before {
		t.Fatal("the image changed")
	}
	waitGone(t, pids)
}

// Cancelling the build (Ctrl-C, Packer's timeout) stops a hanging
// systemd-analyze at once, with its child.
func TestHangingAnalyzerCancelledWithTheBuild(t *testing.T) {
	pids := hangingAnalyzer(t)
	dir := helloImage(t)
	before := fingerprint(t, dir)
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			if _, err := os.Stat(pids); err == nil {
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	start := time.Now()
	err := p.Provision(ctx, newRecordUI(t), nil, map[string]interface{}{"ConnType": "none"})
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("a cancelled build took %v", took)
	}
	if fingerprint(t, dir) != before {
		t.Fatal("the image changed")
	}
	waitGone(t, pids)
}

// A command that prints without end costs a bounded buffer, and the end
// of its output (where scripts say how they ended) is kept.
func TestCapBufferKeepsHeadAndTail(t *testing.T) {
	c := &capBuffer{head: 10, tail: 8}
	for i := 0; i < 1000; i++ {
		_, _ = c.Write([]byte("0123456789"))
	}
	_, _ = c.Write([]byte("THE-END\n"))
	s := c.String()
	if !strings.HasPrefix(s, "0123456789\n[initcompat: 9990 bytes of output left out]\n") || !strings.HasSuffix(s, "THE-END\n") || c.Len() != 18 {
		t.Fatalf("%q (%d kept)", s, c.Len())
	}
	small := &capBuffer{head: 10, tail: 8}
	_, _ = small.Write([]byte("short"))
	if small.String() != "short" {
		t.Fatalf("%q", small.String())
	}
}

// An image whose shell prints without end (512 MiB on stdout and stderr)
// costs the plugin a bounded buffer, and the errors still quote the end.
func TestRemoteOutputIsCapped(t *testing.T) {
	if testing.Short() {
		t.Skip("prints 512 MiB")
	}
	cmd := `sh -c 'head -c 268435456 /dev/zero | tr "\0" x; head -c 268435456 /dev/zero | tr "\0" y >&2; echo THE-END >&2; exit 3'`
	r := &remote{comm: &shellComm{Root: t.TempDir()}, command: cmd}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := r.Apply(context.Background(), &plan.Plan{}, protocol.Options{})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "THE-END") || !strings.Contains(err.Error(), "bytes of output left out") {
		t.Fatalf("err = %.300v", err)
	}
	if len(err.Error()) > 4*outputCap {
		t.Errorf("the error is %d bytes", len(err.Error()))
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("512 MiB of output allocated %d MiB", grew>>20)
	}
}
