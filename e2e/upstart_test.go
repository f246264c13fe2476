package e2e

import (
	"strings"
	"testing"
	"time"
)

// The story's Upstart job dropped into a systemd image: systemd ignores
// /etc/init, so the daemon never starts. initcompat turns the job into a
// unit that starts at boot in its chdir, respawns, stops cleanly, and can
// be disabled with update-rc.d.
func TestUpstartJobBecomesUnit(t *testing.T) {
	requireBoot(t)
	img := newImage(t, suites[0])
	writeFiles(t, img, 0o755, map[string]string{"opt/daemon_test/hello.sh": helloDaemon})
	writeFiles(t, img, 0o644, map[string]string{"etc/init/hello-upstart.conf": "description \"hello-upstart\"\n\n" +
		"start on runlevel [2345]\nstop on runlevel [016]\n\nchdir /opt/daemon_test\nexec ./hello.sh upstart\nrespawn\n\n" +
		"pre-start script\n    # a script block becomes its own file\n    touch /opt/daemon_test/pre-start.ran\nend script\n"})

	// Negative control: the job alone does nothing under systemd.
	raw := copyImage(t, img)
	m := boot(t, raw)
	m.expect(4, "systemctl status --no-pager hello-upstart")
	m.expect(1, "test -e /opt/daemon_test/upstart.log")
	m.poweroff()

	out, ok := packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": img})
	if !ok {
		t.Fatal("packer build failed")
	}
	contains(t, out, "hello-upstart: upstart-to-systemd: write ", "the build log") // the unit itself is read in the booted image below
	noChanges(t, map[string]string{"root_dir": img})
	m = boot(t, img)
	m.must("cat /etc/systemd/system/hello-upstart.service")
	m.must("systemctl is-active hello-upstart")
	if cwd := m.must(`readlink /proc/$(systemctl show -p MainPID --value hello-upstart)/cwd`); strings.TrimSpace(cwd) != "/opt/daemon_test" {
		m.fail("the daemon runs in %q, want /opt/daemon_test (chdir)", cwd)
	}
	m.must("sleep 2; test -s /opt/daemon_test/upstart.log")
	m.must("test -e /opt/daemon_test/pre-start.ran")

	// respawn: kill -9 of the main process brings a new one.
	pid := strings.TrimSpace(m.must("systemctl show -p MainPID --value hello-upstart"))
	m.must("kill -9 " + pid)
	deadline := time.Now().Add(10 * time.Second)
	for {
		now := strings.TrimSpace(m.must("systemctl show -p MainPID --value hello-upstart"))
		if now != "0" && now != pid {
			break
		}
		if time.Now().After(deadline) {
			m.fail("no new main process 10s after kill -9 of %s", pid)
		}
		time.Sleep(200 * time.Millisecond)
	}
	m.must("systemctl is-active hello-upstart")

	// A clean stop at poweroff, seen from the next boot's journal.
	m = m.reboot()
	prev := m.must("journalctl -b -1 -u hello-upstart --no-pager -o cat")
	i := strings.LastIndex(prev, "Stopping hello-upstart")
	if i < 0 || !strings.Contains(prev[i:], "Deactivated successfully") || strings.Contains(prev[i:], "SIGKILL") || strings.Contains(prev[i:], "timed out") {
		m.fail("hello-upstart did not stop cleanly at poweroff:\n%s", prev)
	}

	// SysV tools work on it through the redirect.
	m.must("update-rc.d hello-upstart disable")
	m = m.reboot()
	m.expect(3, "systemctl is-active hello-upstart")
	if got := m.must("systemctl is-enabled hello-upstart || true"); strings.TrimSpace(got) != "disabled" {
		m.fail("is-enabled after update-rc.d disable: %q", got)
	}
}
