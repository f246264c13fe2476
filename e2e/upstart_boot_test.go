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
	policy := filepath.Join(dir, "usr/sbin/policy-rc.d")
	if err := os.WriteFile(policy, []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command("systemd-nspawn", "-q", "-D", dir, "--register=no", "--keep-unit", "--pipe",
		"-E", "DEBIAN_FRONTEND=noninteractive", "sh", "-c",
		"apt-get update -qq && apt-get install -y -qq --no-install-recommends "+strings.Join(upstartTreePackages, " ")+" && apt-get clean")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("installing %v: %v\n%s", upstartTreePackages, err, tail(out, 3000))
	}
	_ = os.Remove(policy)
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
	m := &machine{t: t, root: root, name: name, console: filepath.Join(t.TempDir(), "console.log"), done: make(chan struct{})}
	args := []string{"-D", root, "--boot", "--machine", name, "--register=no", "--keep-unit", "--console=passive",
		"--private-network", "--kill-signal=SIGKILL"}
	m.nspawn = exec.Command("script", "-qfec", "systemd-nspawn "+shellJoin(args), m.console)
	m.nspawn.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	devnull, _ := os.Open(os.DevNull)
	m.nspawn.Stdin = devnull
	start := time.Now()
	if err := m.nspawn.Start(); err != nil {
		t.Fatalf("starting nspawn: %v", err)
	}
	go func() { _ = m.nspawn.Wait(); close(m.done) }()
	t.Cleanup(func() { upstartOff(m) })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-m.done:
			t.Fatalf("nspawn exited during boot; console:\n%s", m.consoleText())
		default:
		}
		if m.pid1 == 0 {
			m.pid1 = containerInit(m.nspawn.Process.Pid)
		}
		if m.pid1 != 0 {
			if out, _ := m.runQuiet("runlevel"); strings.HasSuffix(strings.TrimSpace(out), " 2") {
				// rc 2 runs after the runlevel event: wait for its end.
				if out, _ := m.runQuiet("initctl status rc"); strings.Contains(out, "stop/waiting") {
					t.Logf("%s: Upstart at runlevel 2 in %v", name, time.Since(start).Round(100*time.Millisecond))
					return m
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not reach runlevel 2 in 60s; console:\n%s", name, m.consoleText())
	return nil
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
