package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The real-boot harness: Debian root file systems made by debootstrap,
// booted with systemd as PID 1 under systemd-nspawn, commands run inside
// with nsenter. Nothing here is a stand-in: update-rc.d, service,
// invoke-rc.d and systemctl are Debian's own, on a booted system.

var (
	cacheDir = envOr("INITCOMPAT_E2E_CACHE", "/var/cache/initcompat-e2e")
	suites   = strings.Fields(envOr("INITCOMPAT_E2E_SUITES", "bookworm"))
	mirror   = envOr("INITCOMPAT_E2E_MIRROR", "http://deb.debian.org/debian")
)

// basePackages go into every cached image: what the tests run and what the
// SSH build path needs.
var basePackages = []string{"systemd", "systemd-sysv", "dbus", "init-system-helpers", "openssh-server", "sudo", "procps"}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// requireBoot skips (or, under INITCOMPAT_E2E=1 or PACKER_ACC=1, fails) when this machine
// cannot boot images.
func requireBoot(t testing.TB) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, tool := range []string{"debootstrap", "systemd-nspawn", "nsenter", "script"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "booted-image tests need " + strings.Join(missing, ", ") + " (apt-get install debootstrap systemd-container; run as root)"
	// PACKER_ACC=1 is the gate Packer plugins use for their acceptance
	// tests (make testacc); INITCOMPAT_E2E=1 is make e2e's.
	if os.Getenv("INITCOMPAT_E2E") == "1" || os.Getenv("PACKER_ACC") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

var baseMu sync.Mutex

// baseImage returns the cached root file system of suite, debootstrapping
// it on first use.
func baseImage(t testing.TB, suite string) string {
	t.Helper()
	return debootstrapped(t, suite, suite)
}

// splitUsrImage is suite without merged /usr: /bin and /usr/bin apart, as
// images made before merged /usr are.
func splitUsrImage(t *testing.T, suite string) string {
	t.Helper()
	return debootstrapped(t, suite+"-split-usr", suite, "--no-merged-usr")
}

// debootstrapScript is the script debootstrap runs for a suite it has none
// for: bookworm's debootstrap knows no forky, and sid's script makes it
// (FACTS.md, "Measured 2026-12-07").
func debootstrapScript(suite string) string {
	if _, err := os.Stat(filepath.Join("/usr/share/debootstrap/scripts", suite)); err == nil {
		return ""
	}
	return "/usr/share/debootstrap/scripts/sid"
}

// lockCache takes an exclusive flock(2) on cacheDir/NAME.lock: the cache is
// shared by every test process on the machine (several engineers' runs at
// once), and baseMu serializes only this process's tests. The lock is let
// go when unlock is called or the process dies.
func lockCache(t testing.TB, name string) (unlock func()) {
	t.Helper()
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(cacheDir, name+".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		t.Fatalf("flock %s: %v", f.Name(), err)
	}
	if d := time.Since(start); d > time.Second {
		t.Logf("waited %v for %s (another process was making it)", d.Round(time.Second), f.Name())
	}
	return func() { _ = f.Close() } // closing the last descriptor releases the lock
}

func debootstrapped(t testing.TB, name, suite string, flags ...string) string {
	t.Helper()
	baseMu.Lock()
	defer baseMu.Unlock()
	defer lockCache(t, name)()
	dir := filepath.Join(cacheDir, name)
	stamp := filepath.Join(cacheDir, name+".ok")
	want := strings.Join(basePackages, ",")
	if got, err := os.ReadFile(stamp); err == nil && string(got) == want {
		return dir
	}
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	args := append(append([]string{"--variant=minbase", "--include=" + want}, flags...), suite, dir, mirror)
	if script := debootstrapScript(suite); script != "" {
		args = append(args, script)
	}
	cmd := exec.Command("debootstrap", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("debootstrap %s: %v\n%s", suite, err, tail(out, 3000))
	}
	// Boots faster and quieter in a container without these.
	for _, unit := range []string{"systemd-timesyncd.service", "apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_reap.service"} {
		_ = os.Remove(filepath.Join(dir, "etc/systemd/system/multi-user.target.wants", unit))
		_ = os.Remove(filepath.Join(dir, "etc/systemd/system/timers.target.wants", unit))
		_ = os.Remove(filepath.Join(dir, "etc/systemd/system/sysinit.target.wants", unit))
	}
	if err := os.WriteFile(stamp, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("debootstrap %s: %v", suite, time.Since(start).Round(time.Second))
	return dir
}

// newImage copies the base image of suite into a fresh directory.
func newImage(t testing.TB, suite string) string {
	t.Helper()
	base := baseImage(t, suite)
	dir := filepath.Join(t.TempDir(), "root")
	if out, err := exec.Command("cp", "-a", base, dir).CombinedOutput(); err != nil {
		t.Fatalf("copying the base image: %v\n%s", err, out)
	}
	return dir
}

// machine is a booted image.
type machine struct {
	t       testing.TB
	root    string
	name    string
	nspawn  *exec.Cmd
	pid1    int
	console string
	done    chan struct{}
	extra   []string // nspawn options, kept for reboots
}

var bootSeq struct {
	sync.Mutex
	n int
}

// boot starts the image with systemd as PID 1 and waits until it is up.
func boot(t testing.TB, root string, extra ...string) *machine {
	t.Helper()
	name := machineName()
	m := startMachine(t, root, name, extra, (*machine).poweroff)
	m.waitUp("finish booting", 200*time.Millisecond, func() bool {
		out, _ := m.runQuiet("systemctl is-system-running")
		state := strings.TrimSpace(out)
		if state == "degraded" {
			failed, _ := m.runQuiet("systemctl --failed --no-legend")
			t.Logf("%s booted degraded: %s", name, strings.TrimSpace(failed))
		}
		return state == "running" || state == "degraded"
	})
	return m
}

// machineName is a machine name no other boot of this machine uses.
func machineName() string {
	bootSeq.Lock()
	defer bootSeq.Unlock()
	bootSeq.n++
	return fmt.Sprintf("%s%d-%d", envOr("INITCOMPAT_E2E_MACHINE_PREFIX", "icompat"), os.Getpid()%10000, bootSeq.n)
}

// startMachine starts systemd-nspawn --boot on root, whatever its init;
// off stops the machine at the test's end.
func startMachine(t testing.TB, root, name string, extra []string, off func(*machine)) *machine {
	t.Helper()
	m := &machine{t: t, root: root, name: name, console: filepath.Join(t.TempDir(), "console.log"), done: make(chan struct{}), extra: extra}
	args := append([]string{"-D", root, "--boot", "--machine", name, "--register=no", "--keep-unit", "--console=passive"}, extra...)
	line := "systemd-nspawn " + shellJoin(args)
	// script gives nspawn a terminal, so the console (and the messages of
	// PID 1, such as ordering cycles) is recorded.
	m.nspawn = exec.Command("script", "-qfec", line, m.console)
	m.nspawn.Env = nspawnEnv(root)
	m.nspawn.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	devnull, _ := os.Open(os.DevNull)
	m.nspawn.Stdin = devnull
	if err := m.nspawn.Start(); err != nil {
		t.Fatalf("starting nspawn: %v", err)
	}
	go func() { _ = m.nspawn.Wait(); close(m.done) }()
	t.Cleanup(func() { off(m) })
	return m
}

// waitUp finds the container's PID 1 and polls ready until it says the
// machine is up, for 60 s; what names the wait in the failure.
func (m *machine) waitUp(what string, every time.Duration, ready func() bool) {
	m.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-m.done:
			m.t.Fatalf("nspawn exited during boot; console:\n%s", m.consoleText())
		default:
		}
		if m.pid1 == 0 {
			m.pid1 = containerInit(m.nspawn.Process.Pid)
		}
		if m.pid1 != 0 && ready() {
			return
		}
		time.Sleep(every)
	}
	m.t.Fatalf("%s did not %s in 60s; console:\n%s", m.name, what, m.consoleText())
}

// containerInit finds the container's PID 1: a descendant of the nspawn
// process in another PID namespace.
func containerInit(top int) int {
	self, _ := os.Readlink("/proc/self/ns/pid")
	queue := []int{top}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", p)); err == nil && ns != self {
			return p
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p, p))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(data)) {
			if c, err := strconv.Atoi(f); err == nil {
				queue = append(queue, c)
			}
		}
	}
	return 0
}

// run runs a shell command inside the machine and logs it with its output,
// so that the test log shows the real commands and what they said.
func (m *machine) run(cmd string) (string, int) {
	m.t.Helper()
	out, code := m.runQuiet(cmd)
	m.t.Logf("[%s]# %s\n%s(exit %d)", m.name, cmd, indent(out), code)
	return out, code
}

func (m *machine) runQuiet(cmd string) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "nsenter", "-t", strconv.Itoa(m.pid1), "-a", "/bin/sh", "-c", cmd)
	c.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "SYSTEMD_PAGER=", "TERM=dumb"}
	var buf bytes.Buffer
	c.Stdout, c.Stderr = &buf, &buf
	err := c.Run()
	code := 0
	if err != nil {
		code = -1
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		}
	}
	return buf.String(), code
}

// must runs cmd and fails the test unless it exits 0.
func (m *machine) must(cmd string) string {
	m.t.Helper()
	out, code := m.run(cmd)
	if code != 0 {
		m.fail("%q exited %d", cmd, code)
	}
	return out
}

// expect runs cmd and fails unless it exits with code.
func (m *machine) expect(code int, cmd string) string {
	m.t.Helper()
	out, got := m.run(cmd)
	if got != code {
		m.fail("%q exited %d, want %d", cmd, got, code)
	}
	return out
}

// fail reports with the journal and the console, then stops the test.
func (m *machine) fail(format string, args ...any) {
	m.t.Helper()
	journal, _ := m.runQuiet("journalctl -b --no-pager | tail -n 80")
	m.t.Fatalf("%s\n--- journalctl -b (tail)\n%s\n--- console (tail)\n%s", fmt.Sprintf(format, args...), journal, tail([]byte(m.consoleText()), 4000))
}

func (m *machine) consoleText() string {
	b, _ := os.ReadFile(m.console)
	return string(b)
}

// poweroff shuts the machine down cleanly; it never SIGKILLs nspawn, whose
// systemd would linger.
func (m *machine) poweroff() {
	select {
	case <-m.done:
		return
	default:
	}
	_, _ = m.runQuiet("systemctl poweroff --no-block")
	select {
	case <-m.done:
	case <-time.After(60 * time.Second):
		_ = m.nspawn.Process.Signal(syscall.SIGTERM)
		<-m.done
	}
}

// reboot powers the machine off and boots the same image again, as a new
// instance launched from the image would start.
func (m *machine) reboot() *machine {
	m.t.Helper()
	m.poweroff()
	return boot(m.t, m.root, m.extra...)
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// derivedImage returns a cached copy of the suite's base image with extra
// packages installed (no service started while installing), made once.
func derivedImage(t *testing.T, suite string, pkgs ...string) string {
	t.Helper()
	return derivedImageAs(t, suite+"+"+strings.Join(pkgs, "+"), suite, pkgs...)
}

// derivedImageAs is derivedImage cached under name.
// aptInstall installs Debian packages into the tree at dir, with apt run
// inside it under systemd-nspawn and no service started (policy-rc.d).
func aptInstall(t testing.TB, dir string, pkgs []string) {
	t.Helper()
	policy := filepath.Join(dir, "usr/sbin/policy-rc.d")
	if err := os.WriteFile(policy, []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("systemd-nspawn", "-q", "-D", dir, "--register=no", "--keep-unit", "--pipe",
		"-E", "DEBIAN_FRONTEND=noninteractive", "sh", "-c",
		"apt-get update -qq && apt-get install -y -qq --no-install-recommends "+strings.Join(pkgs, " ")+" && apt-get clean")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("installing %v: %v\n%s", pkgs, err, tail(out, 3000))
	}
	_ = os.Remove(policy)
}

func derivedImageAs(t *testing.T, name, suite string, pkgs ...string) string {
	t.Helper()
	base := baseImage(t, suite)
	baseMu.Lock()
	defer baseMu.Unlock()
	defer lockCache(t, name)()
	dir := filepath.Join(cacheDir, name)
	stamp := dir + ".ok"
	if _, err := os.Stat(stamp); err == nil {
		return dir
	}
	_ = os.RemoveAll(dir)
	if out, err := exec.Command("cp", "-a", base, dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	start := time.Now()
	aptInstall(t, dir, pkgs)
	if err := os.WriteFile(stamp, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("installed %v into %s: %v", pkgs, suite, time.Since(start).Round(time.Second))
	return dir
}

// copyFrom copies a cached image into a fresh directory.
func copyFrom(t *testing.T, src string) string { t.Helper(); return copyImage(t, src) }

// nspawnEnv is nspawn's environment for booting root. systemd 256 and later
// refuse the hybrid cgroup hierarchy this host's nspawn 252 gives them by
// default ("Detected unsupported legacy cgroup hierarchy, refusing
// execution"); SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 gives them the unified one
// (FACTS.md, "Measured 2026-12-07"). TERM=dumb, which nspawn hands to
// the container's PID 1: systemd 262 (not 257) otherwise asks the console
// for its size with two ANSI queries (CSI 18 t, then DSR) and waits out
// each one's timeout, since the console here is script's pty and nothing
// answers: 0.67 s of every forky boot before its first unit (userspace to
// generators 680 ms with the test's TERM=xterm, 12 ms with TERM=dumb;
// systemd/systemd#43735, #43802). Older images boot as before.
func nspawnEnv(root string) []string {
	env := os.Environ()
	if v := imageSystemd(root); v >= 256 {
		env = append(env, "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1", "TERM=dumb")
	}
	return env
}

// imageSystemd is the version of the image's systemd, from the name of its
// private shared library (libsystemd-shared-NNN.so, or NNN.N-N on Debian
// since 256), 0 when none is found. initcompat/systemd.ReadVersion reads
// the same from a snapshot; this copy serves the harness, which is its own
// module.
func imageSystemd(root string) int {
	best := 0
	// The directories systemd-nspawn itself looks in (nspawn-util.c).
	for _, dir := range []string{"usr/lib/*-linux-*/systemd", "usr/lib/systemd", "lib/systemd", "usr/lib64/systemd"} {
		matches, _ := filepath.Glob(filepath.Join(root, dir, "libsystemd-shared-*.so"))
		for _, m := range matches {
			v := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "libsystemd-shared-"), ".so")
			end := 0
			for end < len(v) && v[end] >= '0' && v[end] <= '9' {
				end++
			}
			if n, err := strconv.Atoi(v[:end]); err == nil && n > best {
				best = n
			}
		}
	}
	return best
}
