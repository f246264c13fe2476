package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Booted Upstart: a bookworm tree with the real Upstart 1.13.2 as PID 1
// under systemd-nspawn, Debian 12's sysv-rc for the runlevel scripts
// (../shared/upstart/README.md has what was measured).

// upstartTreePackages give /etc/init.d/rc, rcS and sendsigs.
var upstartTreePackages = []string{"insserv", "startpar", "sysv-rc", "initscripts"}

// upstartTree returns the cached bookworm tree that boots with Upstart.
func upstartTree(t *testing.T) string {
	t.Helper()
	built := requireUpstart(t)
	base := baseImage(t, "bookworm")
	baseMu.Lock()
	defer baseMu.Unlock()
	dir := filepath.Join(cacheDir, "i21-bookworm-upstart")
	stamp := dir + ".ok"
	want := upstartVersion + " " + strings.Join(upstartTreePackages, ",")
	if got, err := os.ReadFile(stamp); err == nil && string(got) == want {
		return dir
	}
	_ = os.RemoveAll(dir)
	if out, err := exec.Command("cp", "-a", base, dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	start := time.Now()
	aptInstall(t, dir, upstartTreePackages)
	if out, err := exec.Command("sh", filepath.Join(repo, "e2e", "testdata", "upstart-tree.sh"), dir, built).CombinedOutput(); err != nil {
		t.Fatalf("upstart-tree.sh: %v\n%s", err, out)
	}
	if err := os.WriteFile(stamp, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("made the Upstart tree: %v", time.Since(start).Round(time.Second))
	return dir
}

// bootUpstart boots root with Upstart as PID 1 and waits for runlevel 2.
// --private-network is required: Upstart's socket is abstract, in the
// network namespace, and the host's initctl would otherwise reach it.
func bootUpstart(t *testing.T, root string) *machine {
	t.Helper()
	bootSeq.Lock()
	bootSeq.n++
	name := fmt.Sprintf("i21-upstart-%d", bootSeq.n)
	bootSeq.Unlock()
	m := startMachine(t, root, name, []string{"--private-network", "--kill-signal=SIGKILL"}, upstartOff)
	start := time.Now()
	m.waitUp("reach runlevel 2", 100*time.Millisecond, func() bool {
		out, _ := m.runQuiet("runlevel")
		if !strings.HasSuffix(strings.TrimSpace(out), " 2") {
			return false
		}
		// rc 2 runs after the runlevel event: wait for its end.
		out, _ = m.runQuiet("initctl status rc")
		return strings.Contains(out, "stop/waiting")
	})
	t.Logf("%s: Upstart at runlevel 2 in %v", name, time.Since(start).Round(100*time.Millisecond))
	return m
}

// upstartOff powers the machine off through Upstart; nspawn's SIGKILL of
// its init is the last resort.
func upstartOff(m *machine) {
	select {
	case <-m.done:
		return
	default:
	}
	_, _ = m.runQuiet("telinit 0")
	select {
	case <-m.done:
	case <-time.After(60 * time.Second):
		_ = m.nspawn.Process.Signal(syscall.SIGTERM)
		<-m.done
	}
}

// shutdown runs telinit LEVEL and returns how long until nspawn ended.
func (m *machine) shutdown(level string) time.Duration {
	m.t.Helper()
	start := time.Now()
	m.must("telinit " + level)
	select {
	case <-m.done:
	case <-time.After(90 * time.Second):
		m.fail("telinit %s: the machine is still up after 90s", level)
	}
	return time.Since(start)
}

// packerBuildIn runs packer build inside the machine's network namespace,
// where its sshd listens (the machine has a private network).
func packerBuildIn(t *testing.T, m *machine, template string, vars map[string]string) (string, bool) {
	t.Helper()
	packer := filepath.Join(repo, "bin", "packer")
	if _, err := os.Stat(packer); err != nil {
		t.Fatalf("%s is missing: run make e2e (it builds Packer and installs the plugin first)", packer)
	}
	args := []string{"-t", fmt.Sprint(m.pid1), "-n", packer, "build", "-color=false"}
	for _, k := range sortedKeys(vars) {
		args = append(args, "-var", k+"="+vars[k])
	}
	args = append(args, filepath.Join("testdata", template))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", args...)
	cmd.Env = append(os.Environ(), "PACKER_PLUGIN_PATH="+filepath.Join(repo, "bin", "plugins"), "CHECKPOINT_DISABLE=1")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("$ nsenter %s  (%v)\n%s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond), indent(string(out)))
	return string(out), err == nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
