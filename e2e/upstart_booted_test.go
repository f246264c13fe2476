package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seed003Daemon is the seed 003 daemon (a mongod under respawn, no stop
// on): it logs each start and each TERM it gets, so that a respawn during
// shutdown and a death without TERM (kill -9) show in its log.
const seed003Daemon = `#!/bin/sh
echo "start $$" >>/var/log/seed003.log
trap 'echo "term $$" >>/var/log/seed003.log; exit 0' TERM
while :; do sleep 1 & wait $!; done
`

// upstartJobs are the jobs of the booted tests: seed 000's (its own words:
// stop on, chdir, respawn, no /etc/init.d entry), seed 003's (respawn and
// no stop on), and spare, which the build disables.
func upstartJobs(t *testing.T, root string) {
	t.Helper()
	writeFiles(t, root, 0o755, map[string]string{"opt/daemon_test/hello.sh": helloDaemon, "opt/seed003/daemon.sh": seed003Daemon})
	writeFiles(t, root, 0o644, map[string]string{
		"etc/init/hello-upstart.conf": "description \"hello-upstart\"\n\nstart on runlevel [2345]\nstop on runlevel [016]\n\n" +
			"chdir /opt/daemon_test\nexec ./hello.sh upstart\nrespawn\n",
		"etc/init/mongod.conf": "description \"keeps mongod running between boots\"\nstart on runlevel [2345]\nrespawn\nexec /opt/seed003/daemon.sh\n",
		"etc/init/spare.conf":  "start on runlevel [2345]\nstop on runlevel [016]\nexec /bin/sleep infinity\n",
		// Issue 33: a daemon started on startup is a service like the others.
		"etc/init/logd.conf": "start on startup\nstop on runlevel [016]\nrespawn\nexec /bin/sleep infinity\n",
	})
}

// seed003Log reads the daemon's log after a shutdown: starts and TERMs
// after the "telinit" mark.
func seed003Log(t *testing.T, root string) (starts, terms int, log string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "var/log/seed003.log"))
	if err != nil {
		t.Fatal(err)
	}
	log = string(data)
	_, after, ok := strings.Cut(log, "telinit\n")
	if !ok {
		t.Fatalf("no telinit mark in the daemon's log:\n%s", log)
	}
	for _, l := range strings.Split(after, "\n") {
		switch {
		case strings.HasPrefix(l, "start "):
			starts++
		case strings.HasPrefix(l, "term "):
			terms++
		}
	}
	return starts, terms, log
}

// rebootMeasured marks the daemon's log, runs telinit 6 and returns the
// time until the machine was down, with the daemon's starts and TERMs
// after the mark.
func rebootMeasured(t *testing.T, m *machine) (time.Duration, int, int) {
	t.Helper()
	m.must("echo telinit >>/var/log/seed003.log")
	d := m.shutdown("6")
	starts, terms, log := seed003Log(t, m.root)
	t.Logf("%s: telinit 6 took %v; after it the daemon started %d time(s) and got TERM %d time(s):\n%s--- console (tail)\n%s", m.name, d.Round(100*time.Millisecond), starts, terms, indent(log), tail([]byte(m.consoleText()), 3000))
	return d, starts, terms
}

// Seed 000's 14.04 half, seed 003, disable and verify, and issue 33's
// daemon started on startup (services = ["*"]), with the real
// Upstart as PID 1, through a real packer build over SSH. The image
// without initcompat is the negative control of each: no service command
// for the Upstart-only job, the respawning job killed and respawned
// through runlevel 6, the spare job started at boot.
func TestUpstartBooted(t *testing.T) {
	requireBoot(t)
	base := upstartTree(t)

	raw := copyImage(t, base)
	upstartJobs(t, raw)
	m := bootUpstart(t, raw)
	m.expect(1, "service hello-upstart status")
	m.expect(1, "service logd status")
	m.must("initctl status logd | grep -F start/running")
	m.must("initctl status spare | grep -F start/running")
	m.must("initctl status mongod | grep -F start/running")
	// Debian 12's sendsigs, like Ubuntu's, leaves the processes of
	// Upstart jobs alone ("they have their own stop on"): a job without
	// one gets no TERM at all, sendsigs waits its 10 s for the daemon's
	// children, and the daemon dies by the final SIGKILL.
	rawTime, _, rawTerms := rebootMeasured(t, m)
	if rawTerms != 0 {
		t.Fatalf("negative control: the respawning job without stop on got TERM during runlevel 6 (seed 003 not reproduced)")
	}

	img := copyImage(t, base)
	upstartJobs(t, img)
	key := sshSetup(t, img, "2240")
	m = bootUpstart(t, img)
	m.must("initctl status mongod | grep -F start/running")
	out, ok := packerBuildIn(t, m, "ssh-upstart.pkr.hcl", map[string]string{
		"port": "2240", "key": key, "services": `["*"]`, "disable": `["spare"]`,
	})
	if !ok {
		m.fail("packer build against the booted Upstart failed")
	}
	for _, want := range []string{
		"symlink /etc/init.d/hello-upstart -> /lib/init/upstart-job",
		"symlink /etc/init.d/logd -> /lib/init/upstart-job",
		"write /etc/init/mongod.override",
		"pending Upstart takes the override of mongod",
		"mongod start/running, process",
		"pass    initctl knows the job behind /etc/init.d/hello-upstart",
		"pending until the job's next start",
	} {
		contains(t, out, want, "the build's report")
	}
	m.must("grep -x 'stop on runlevel \\[016\\]' /etc/init/mongod.override")
	m.must("grep -x manual /etc/init/spare.override")
	// The question the old verify asked fails while the job runs: the
	// running Upstart keeps the class it had (what rolled the fix back).
	m.expect(1, "initctl show-config -e mongod | grep -q '^  stop on'")

	// Issue 33: the daemon Upstart started on startup has its link, with
	// services = ["*"]; the boot steps (rc-sysinit, rc: tasks) have none.
	m.must("service logd status | grep -F start/running")
	m.expect(1, "test -e /etc/init.d/rc-sysinit")

	// Seed 000: service and invoke-rc.d drive the job through upstart-job.
	m.must("service hello-upstart status | grep -F start/running")
	m.must("service hello-upstart stop")
	m.must("initctl status hello-upstart | grep -F stop/waiting")
	m.must("service hello-upstart start")
	m.must("/etc/init.d/hello-upstart status | grep -F start/running")
	m.must("invoke-rc.d hello-upstart stop")
	m.must("initctl status hello-upstart | grep -F stop/waiting")
	m.must("invoke-rc.d hello-upstart start")

	// respawn: kill -9 brings the daemon back.
	pid := strings.TrimSpace(m.must("initctl status mongod | sed -n 's/.*process //p'"))
	m.must("kill -9 " + pid)
	m.must("for i in $(seq 50); do p=$(initctl status mongod | sed -n 's/.*process //p'); [ -n \"$p\" ] && [ \"$p\" != " + pid + " ] && exit 0; sleep 0.2; done; exit 1")

	// The next boot has the override's class: Upstart stops the job with
	// TERM at runlevel 6, before rc 6, and nothing is respawned.
	m.shutdown("0")
	m = bootUpstart(t, img)
	m.must("initctl show-config -e mongod | grep -Fx '  stop on runlevel (job:, env: [016])'")
	m.must("initctl status spare | grep -F stop/waiting")
	m.must("initctl status hello-upstart | grep -F start/running")
	// verify's Upstart question against PID 1, with the job running: the
	// override is accepted and pending; the same override with a value
	// Upstart refuses fails, though PID 1 still shows the old class's
	// stop on (the negative control of verify's judge).
	check, err := os.ReadFile(filepath.Join(repo, "initcompat", "verify", "upstart_override.sh"))
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, img, 0o755, map[string]string{"root/verify_upstart.sh": string(check)})
	m.expect(100, "R= sh /root/verify_upstart.sh mongod")
	m.must("cp /etc/init/mongod.override /root/good.override && printf 'nice 40\\n' >>/etc/init/mongod.override && initctl reload-configuration")
	m.must("initctl show-config -e mongod | grep -q '^  stop on'")
	if out := m.expect(1, "R= sh /root/verify_upstart.sh mongod"); !strings.Contains(out, "Illegal nice value") {
		m.fail("verify's Upstart check does not give Upstart's words: %s", out)
	}
	m.must("cp /root/good.override /etc/init/mongod.override && initctl reload-configuration")
	builtTime, builtStarts, builtTerms := rebootMeasured(t, m)
	if builtStarts != 0 || builtTerms == 0 {
		t.Fatalf("with the override: %d start(s) and %d TERM(s) after telinit 6, want 0 and at least 1", builtStarts, builtTerms)
	}
	t.Logf("telinit 6: %v without the override, %v with it", rawTime.Round(100*time.Millisecond), builtTime.Round(100*time.Millisecond))
	if builtTime >= rawTime {
		t.Errorf("the shutdown with the override (%v) is not shorter than without (%v)", builtTime, rawTime)
	}
}
