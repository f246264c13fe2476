package e2e

import (
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

// The SysV harness: Debian bookworm with sysvinit-core as PID 1 under
// systemd-nspawn (FACTS.md, "Measured 2026-12-07"). It reuses
// machine_test.go's startMachine, run, must and expect; only the image, the
// readiness and the shutdown differ from a systemd machine.

// sysvPackages go into the cached SysV image (the FACTS.md recipe).
var sysvPackages = []string{"sysvinit-core", "procps", "init-system-helpers", "ifupdown", "iproute2"}

// cacheLock takes an exclusive flock on name.lock in the cache, so that
// concurrent test processes (other engineers' runs) never build the same
// image at once; the stamp is written last, so a killed build is redone.
func cacheLock(t testing.TB, name string) func() {
	t.Helper()
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(cacheDir, name+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }
}

// cached returns cacheDir/name, made by build into a temporary directory
// and renamed into place under the lock, when its stamp does not say want.
func cached(t testing.TB, name, want string, build func(dir string)) string {
	t.Helper()
	unlock := cacheLock(t, name)
	defer unlock()
	dir := filepath.Join(cacheDir, name)
	stamp := dir + ".ok"
	if got, err := os.ReadFile(stamp); err == nil && string(got) == want {
		return dir
	}
	_ = os.Remove(stamp)
	_ = os.RemoveAll(dir)
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	start := time.Now()
	build(tmp)
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stamp, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %v", dir, time.Since(start).Round(time.Second))
	return dir
}

// sysvImage is bookworm with sysvinit-core as PID 1.
func sysvImage(t testing.TB) string {
	t.Helper()
	want := strings.Join(sysvPackages, ",")
	return cached(t, "bookworm-sysvinit", want, func(dir string) {
		out, err := exec.Command("debootstrap", "--variant=minbase", "--include="+want, "bookworm", dir, mirror).CombinedOutput()
		if err != nil {
			t.Fatalf("debootstrap: %v\n%s", err, tail(out, 3000))
		}
	})
}

// sysvDerived is the SysV image with Debian packages installed (no service
// started while installing), cached as bookworm-sysvinit+PKGS.
func sysvDerived(t testing.TB, pkgs ...string) string {
	t.Helper()
	base := sysvImage(t)
	name := "bookworm-sysvinit+" + strings.Join(pkgs, "+")
	return cached(t, name, strings.Join(pkgs, ","), func(dir string) {
		if out, err := exec.Command("cp", "-a", base, dir).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v\n%s", err, out)
		}
		aptInstall(t, dir, pkgs)
	})
}

// sysvCopy copies a cached image for one test and gives it the /etc/hosts
// an installed Debian has (netbase and the installer write it; debootstrap
// does not): caddy's admin endpoint resolves localhost.
func sysvCopy(t testing.TB, src string) string {
	t.Helper()
	img := copyImage(t, src)
	writeFiles(t, img, 0o644, map[string]string{"etc/hosts": "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"})
	return img
}

var sysvSeq struct {
	sync.Mutex
	n int
}

// bootSysv boots root with SysV init as PID 1 and waits until runlevel 2
// is reached and its rc scripts are done.
func bootSysv(t testing.TB, root string) *machine {
	t.Helper()
	sysvSeq.Lock()
	sysvSeq.n++
	name := fmt.Sprintf("%s-sysv%d-%d", envOr("INITCOMPAT_E2E_MACHINE_PREFIX", "icompat"), os.Getpid()%10000, sysvSeq.n)
	sysvSeq.Unlock()
	start := time.Now()
	// nspawn's own halt signal means nothing to SysV init; SIGKILL is
	// nspawn's last resort only (sysvOff shuts down through init first).
	m := startMachine(t, root, name, []string{"--private-network", "--kill-signal=SIGKILL"}, sysvOff)
	m.waitUp("reach runlevel 2", 20*time.Millisecond, func() bool {
		out, _ := m.runQuiet("/sbin/runlevel")
		if strings.TrimSpace(out) != "N 2" {
			return false
		}
		busy, _ := m.runQuiet(rcBusy)
		return strings.TrimSpace(busy) == "0"
	})
	t.Logf("%s: SysV init at runlevel 2 in %v", name, time.Since(start).Round(10*time.Millisecond))
	return m
}

// rcBusy counts the processes of /etc/init.d/rc and startpar still running.
// The patterns are written so that this command's own command line
// matches neither.
const rcBusy = `n=0; for f in /proc/[0-9]*/cmdline; do c=$(tr '\0' ' ' <"$f" 2>/dev/null); case $c in */etc/init.d/rc\ *|startpar*) n=$((n+1));; esac; done; echo $n`

// sysvOff shuts the machine down through SysV init, which ignores nspawn's
// halt signal.
func sysvOff(m *machine) {
	select {
	case <-m.done:
		return
	default:
	}
	_, _ = m.runQuiet("/sbin/shutdown -h now")
	select {
	case <-m.done:
	case <-time.After(60 * time.Second):
		_ = m.nspawn.Process.Signal(syscall.SIGTERM)
		<-m.done
	}
}

// sysvShutdown halts through init and waits until nspawn ended.
func (m *machine) sysvShutdown() {
	m.t.Helper()
	m.must("/sbin/shutdown -h now")
	select {
	case <-m.done:
	case <-time.After(90 * time.Second):
		m.sysvFail("shutdown: the machine is still up after 90s")
	}
}

// sysvReboot halts the machine and boots the same image again.
func (m *machine) sysvReboot() *machine {
	m.t.Helper()
	m.sysvShutdown()
	return bootSysv(m.t, m.root)
}

// provisionSysv runs a real packer build (the pinned Packer, the plugin
// as make dev installed it) over root through root_dir: the init-script
// shim writes the scripts, their links and insserv's boot order. vars are
// local.pkr.hcl's (services = ["caddy"] as `["caddy"]`). It returns
// Packer's output.
func provisionSysv(t testing.TB, root string, vars map[string]string) string {
	t.Helper()
	all := map[string]string{"root_dir": root}
	for k, v := range vars {
		all[k] = v
	}
	out, ok := packerBuild(t, "local.pkr.hcl", all)
	if !ok {
		t.Fatalf("packer build failed")
	}
	return out
}

// waitFor polls cmd inside the machine until it exits 0, for up to d.
func (m *machine) waitFor(what, cmd string, d time.Duration) {
	m.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, code := m.runQuiet(cmd); code == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.sysvFail("%s: %q did not succeed within %v", what, cmd, d)
}

// sysvFail is machine.fail without the journal SysV has not.
func (m *machine) sysvFail(format string, args ...any) {
	m.t.Helper()
	ps, _ := m.runQuiet("ps -ef")
	m.t.Fatalf("%s\n--- ps -ef\n%s\n--- console (tail)\n%s", fmt.Sprintf(format, args...), ps, tail([]byte(m.consoleText()), 4000))
}

// pidOf reads a pid file inside the machine.
func (m *machine) pidOf(pidfile string) int {
	m.t.Helper()
	out, _ := m.runQuiet("cat " + pidfile)
	n, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		m.sysvFail("no pid in %s: %q", pidfile, out)
	}
	return n
}
