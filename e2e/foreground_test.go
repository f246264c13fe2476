package e2e

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The field report's second half: a copy of /etc/init.d/skeleton for a
// daemon that does not fork. systemd-sysv-generator makes it Type=forking;
// the script waits for its daemon, so the unit stays "activating". Without
// initcompat, `systemctl start` does not return and cfn-init's disable+stop
// leaves the daemon; with the foreground drop-in, the boot finishes, the
// daemon runs, and cfn-init stops and starts it, across a reboot. A script
// that detaches and a packaged one are left exactly as they are.
//
// On bookworm the daemon is where the field report had it
// (/opt/daemon_test, outside the watched paths): the build reads it in one
// more command, and decides from it as on bullseye, where it is
// /usr/local/bin/hello.sh. Neither build needs a setting.
func TestSysvForeground(t *testing.T) {
	requireBoot(t)
	for _, suite := range []string{"bookworm", "bullseye"} {
		t.Run(suite, func(t *testing.T) { foregroundStory(t, suite, suite == "bullseye") })
	}
}

const (
	fgName  = "hello-sysvinit"
	fgDrop  = "etc/systemd/system/hello-sysvinit.service.d/initcompat-foreground.conf"
	fgMatch = "pgrep -f '^(/bin/)?bash /[a-z_/]*/hello.sh sysvinit'"
	// fgRuns waits up to 5 s for the daemon: a Type=simple start returns
	// once systemd has forked the script, before the script has run
	// start-stop-daemon.
	fgRuns = "i=0; while [ $i -lt 50 ]; do " + fgMatch + " && exit 0; i=$((i+1)); sleep 0.1; done; exit 1"
)

// foregroundImage is the image as the field report's author left it: the
// daemon, the skeleton copy enabled with update-rc.d defaults (the real
// one, in a chroot), a detaching script, and a packaged one.
func foregroundImage(t *testing.T, suite string, enable, local bool) string {
	t.Helper()
	img := newImage(t, suite)
	writeFiles(t, img, 0o755, map[string]string{"opt/daemon_test/hello.sh": helloDaemon})
	if local {
		writeFiles(t, img, 0o755, map[string]string{"usr/local/bin/hello.sh": helloDaemon})
	}
	for _, n := range []string{"hello-sysvinit", "hello-bg"} {
		data, err := os.ReadFile(filepath.Join("testdata", "foreground", n))
		if err != nil {
			t.Fatal(err)
		}
		if local {
			data = []byte(strings.ReplaceAll(string(data), "DAEMON=/opt/daemon_test/hello.sh", "DAEMON=/usr/local/bin/hello.sh"))
		}
		writeFiles(t, img, 0o755, map[string]string{"etc/init.d/" + n: string(data)})
		if n == "hello-sysvinit" {
			// The packaged one: the same foreground script, owned by dpkg
			// and not enabled.
			pkg := strings.ReplaceAll(string(data), "hello-sysvinit", "hello-pkg")
			writeFiles(t, img, 0o755, map[string]string{"etc/init.d/hello-pkg": pkg})
			writeFiles(t, img, 0o644, map[string]string{"var/lib/dpkg/info/hello-pkg.list": "/etc/init.d/hello-pkg\n"})
		}
	}
	if enable {
		for _, n := range []string{fgName, "hello-bg"} {
			if out, err := exec.Command("chroot", img, "/usr/sbin/update-rc.d", n, "defaults").CombinedOutput(); err != nil {
				t.Fatalf("update-rc.d %s defaults: %v\n%s", n, err, out)
			}
		}
	}
	return img
}

func foregroundStory(t *testing.T, suite string, local bool) {
	// Negative control: no initcompat. The script is enabled in the booted
	// machine (enabled at boot, the boot itself would wait 5 minutes).
	raw := boot(t, foregroundImage(t, suite, false, local))
	raw.must("update-rc.d " + fgName + " defaults")
	raw.expect(124, "timeout 10 systemctl start "+fgName)
	if got, _ := raw.run("systemctl is-active " + fgName); strings.TrimSpace(got) != "activating" {
		raw.fail("without initcompat the unit is %q, want activating", got)
	}
	raw.must(fgRuns)
	cfnInitService(raw, fgName, false, false)
	raw.must(fgMatch) // "No need to modify running state": the daemon runs on
	raw.poweroff()

	// The seed user's build: plan says what it saw and what to set.
	img := foregroundImage(t, suite, true, local)
	before := scriptSums(t, img)
	report := filepath.Join(t.TempDir(), "report.json")
	vars := map[string]string{"root_dir": img, "report_file": report}
	out, ok := packerBuild(t, "local.pkr.hcl", vars)
	if !ok {
		t.Fatal("packer build failed")
	}
	contains(t, out, "sysv-foreground: write /"+fgDrop, "apply")
	// Each change's reason is in the report (the build log has a line per
	// service): the daemon read where the script points, and judged.
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	daemon := "/opt/daemon_test/hello.sh"
	if local {
		daemon = "/usr/local/bin/hello.sh"
	}
	contains(t, string(data), daemon+":", "the report")
	contains(t, string(data), "loops forever in the foreground", "the report")
	noChanges(t, vars)
	if after := scriptSums(t, img); after != before {
		t.Fatalf("init scripts changed:\n%s\n---\n%s", before, after)
	}
	for _, n := range []string{"hello-bg", "hello-pkg"} {
		if _, err := os.Lstat(filepath.Join(img, "etc/systemd/system", n+".service.d")); err == nil {
			t.Fatalf("%s got a drop-in", n)
		}
	}

	m := boot(t, img) // returns only once the boot has finished
	foregroundBooted(m)
	// cfn-init {enabled: false, ensureRunning: false}: no process left.
	cfnInitService(m, fgName, false, false)
	m.expect(1, fgMatch)
	m.expect(3, "service "+fgName+" status")
	// {enabled: true, ensureRunning: true} starts it again, promptly.
	cfnInitService(m, fgName, true, true)
	m.must(fgRuns)
	m.must("systemctl is-active " + fgName)

	// Across a reboot: enabled, it runs; disabled by cfn-init, it does not.
	m = m.reboot()
	foregroundBooted(m)
	cfnInitService(m, fgName, false, false)
	m = m.reboot()
	m.expect(1, fgMatch)
	m.expect(3, "service "+fgName+" status")
	m.must("systemctl is-active hello-bg")
	// The detaching script, left as it was, still obeys cfn-init: its own
	// stop ends its daemon through the pid file it made.
	cfnInitService(m, "hello-bg", false, false)
	m.expect(1, "pgrep -f '^(/bin/)?bash /[a-z_/]*/hello.sh bg'")
}

// foregroundBooted checks the baked image once booted: the daemon runs
// under its unit, status says so, and the detaching script is untouched and
// running as before.
func foregroundBooted(m *machine) {
	m.t.Helper()
	m.must("systemctl is-active " + fgName)
	m.must("service " + fgName + " status")
	m.must(fgRuns)
	if got := m.must("systemctl show -p Type -p KillMode " + fgName); !strings.Contains(got, "Type=simple") || !strings.Contains(got, "KillMode=control-group") {
		m.fail("the drop-in did not apply to the generated unit: %q", got)
	}
	m.must("systemctl is-active hello-bg")
	if got := m.must("systemctl show -p Type hello-bg"); !strings.Contains(got, "Type=forking") {
		m.fail("hello-bg is not the generator's Type=forking unit: %q", got)
	}
	m.expect(3, "systemctl is-active hello-pkg")
}

// cfnInitService is the command sequence of cfn-init 1.x's SysVInitTool
// for one service (cfnInit in lsb_test.go, for a name of the test's own).
func cfnInitService(m *machine, name string, enabled, ensureRunning bool) {
	m.t.Helper()
	m.must("/usr/sbin/update-rc.d " + name + " " + map[bool]string{true: "enable", false: "disable"}[enabled])
	_, status := m.run("service " + name + " status")
	switch running := status == 0; {
	case ensureRunning && !running:
		m.must("timeout 10 service " + name + " start")
	case !ensureRunning && running:
		m.must("timeout 10 service " + name + " stop")
	}
}

// scriptSums hashes the three init scripts: the user's are never edited.
func scriptSums(t *testing.T, img string) string {
	t.Helper()
	var b strings.Builder
	for _, n := range []string{fgName, "hello-bg", "hello-pkg"} {
		data, err := os.ReadFile(filepath.Join(img, "etc/init.d", n))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %x\n", n, sha256.Sum256(data))
	}
	return b.String()
}
