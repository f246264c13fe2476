package e2e

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A socket-activated pair (NAME.socket beside NAME.service, the service's
// [Install] only Also=NAME.socket: the shape of beanstalkd, pgbouncer,
// node_exporter and rest-server upstream) on booted bookworm (systemd 252),
// before and after initcompat's LSB redirect, decided by the real tools:
// the redirect script itself, service, invoke-rc.d, update-rc.d across
// reboots, and cfn-init 1.x's sequence. The behaviour measured here is the
// table in docs/provisioners/initcompat.mdx (LSB redirect, socket-activated
// services).
//
// The pair is hand-written (echoq, a perl-base daemon on 127.0.0.1:7777, so
// the test does not hang on a package). beanstalkd, the one of the four
// Debian packages with a .socket, is installed beside it: Debian ships it
// an init script of its own (so do pgbouncer and prometheus-node-exporter),
// so the redirect leaves it alone, which the plan shows.
func TestSocketPairRedirect(t *testing.T) {
	requireBoot(t)
	img := copyImage(t, derivedImage(t, "bookworm", "beanstalkd"))
	installSocketPair(t, img)
	raw := copyImage(t, img)
	// Each machine gets its own loopback: the port is the test's alone
	// while other tests boot images on this host.
	const privNet = "--private-network"

	// Negative control: the image without initcompat.
	m := boot(t, raw, privNet)
	p := pair{m: m}
	p.state("boot, raw image", true, false)
	m.expect(1, "test -e /etc/init.d/echoq")
	p.status(3, -1)
	out := m.expect(1, "update-rc.d echoq disable")
	contains(t, out, "cannot find a LSB script for echoq", "update-rc.d on the raw image")
	p.answers()
	p.state("raw: first connection", true, true)
	p.status(0, -1)
	// service(8) under systemd never runs /etc/init.d for start, stop and
	// status: it runs systemctl on NAME.service. Its loop meant to stop and
	// start the sockets that trigger it too reads systemctl list-unit-files
	// with a sed that expects one column after the name; systemd 252 prints
	// two (STATE PRESET), so it finds no socket and the socket stays up.
	out = m.must("systemctl list-unit-files --full --type=socket | sed -ne 's/\\.socket\\s*[a-z]*\\s*$/.socket/p'")
	if strings.Contains(out, "echoq.socket") {
		t.Errorf("service(8)'s socket loop finds echoq.socket on bookworm: %q", out)
	}
	out = m.must("service echoq stop")
	contains(t, out, "it can still be activated by", "service stop on the raw image")
	p.state("raw: service stop", true, false)
	p.answers() // the socket left up starts the service again
	p.state("raw: a connection after service stop", true, true)
	// And start starts the service alone: with its socket stopped, echoq
	// (which does not Require= it) runs without one and fails.
	m.must("systemctl stop echoq.socket echoq.service")
	m.must("service echoq start")
	p.state("raw: service start, socket stopped", false, false)
	p.noSocket()
	m.must("systemctl reset-failed echoq.service")
	m.poweroff()

	before := sha256.Sum256(readFile(t, filepath.Join(img, "etc/init.d/beanstalkd")))
	out, ok := packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": img, "services": `["echoq", "beanstalkd"]`})
	if !ok {
		t.Fatal("packer build failed")
	}
	contains(t, out, "echoq: lsb-redirect: write /etc/init.d/echoq (1 file, 7 links)", "plan")
	contains(t, out, "[lsb-redirect beanstalkd] /etc/init.d/beanstalkd: already has an LSB init script; left as it is", "plan for beanstalkd")
	if sha256.Sum256(readFile(t, filepath.Join(img, "etc/init.d/beanstalkd"))) != before {
		t.Fatal("the build changed Debian's /etc/init.d/beanstalkd")
	}
	contains(t, string(readFile(t, filepath.Join(img, "etc/init.d/echoq"))), "sockets='echoq.socket'", "the redirect")
	for _, rl := range []string{"2", "3", "4", "5"} {
		if _, err := os.Lstat(filepath.Join(img, "etc/rc"+rl+".d/S01echoq")); err != nil {
			t.Fatalf("the indirect service, on through its enabled socket, has no S link: %v", err)
		}
	}
	noChanges(t, map[string]string{"root_dir": img, "services": `["echoq", "beanstalkd"]`})

	m = boot(t, img, privNet)
	p = pair{m: m}
	p.state("boot, provisioned", true, false)
	p.enabled("echoq.service", "indirect")
	p.status(3, 3) // waiting on its socket is not running (LSB 3)
	p.answers()
	p.state("first connection", true, true)
	p.status(0, 0)

	// The redirect script: stop takes the socket down first, so no
	// connection starts the service again; start brings both back.
	m.must("/etc/init.d/echoq stop")
	p.state("/etc/init.d/echoq stop", false, false)
	p.refused()
	p.state("a connection after /etc/init.d/echoq stop", false, false)
	p.status(3, 3)
	m.must("/etc/init.d/echoq start")
	p.state("/etc/init.d/echoq start", true, true)
	p.status(0, 0)
	p.answers()

	// restart of the stopped pair starts it as start does (restart, LSB:
	// start it if it is not running). It ran systemctl restart on the
	// service alone once, which exited 0 and left the socket down and the
	// service failed for want of it.
	m.must("/etc/init.d/echoq stop")
	m.must("/etc/init.d/echoq restart")
	p.state("/etc/init.d/echoq restart, both stopped", true, true)
	p.answers()
	// try-restart of the stopped pair starts nothing.
	m.must("/etc/init.d/echoq stop")
	m.must("/etc/init.d/echoq try-restart")
	p.state("/etc/init.d/echoq try-restart, both stopped", false, false)
	m.must("/etc/init.d/echoq start")

	// Six starts in ten seconds would hit the service's start limit
	// (StartLimitBurst=5), which fails its socket too: reset the count.
	m.must("systemctl reset-failed echoq.service echoq.socket")

	// service(8) and invoke-rc.d run systemctl on the service alone, as on
	// the raw image: the redirect is not theirs to run.
	m.must("service echoq stop")
	p.state("service stop", true, false)
	p.answers()
	p.state("a connection after service stop", true, true)
	m.must("invoke-rc.d echoq stop")
	p.state("invoke-rc.d stop", true, false)
	p.answers()
	p.state("a connection after invoke-rc.d stop", true, true)

	// update-rc.d disable: update-rc.d runs systemctl disable echoq, which
	// follows Also= to the socket; after a reboot nothing of the pair runs.
	m.must("update-rc.d echoq disable")
	m.must("ls /etc/rc2.d | grep -x K01echoq")
	p.enabled("echoq.socket", "disabled")
	p.enabled("echoq.service", "indirect")
	p.state("update-rc.d disable, before reboot", true, true)
	m = m.reboot()
	p = pair{m: m}
	p.state("boot after update-rc.d disable", false, false)
	p.refused()
	p.status(3, 3)
	m.must("update-rc.d echoq enable")
	m.must("ls /etc/rc2.d | grep -x S01echoq")
	p.enabled("echoq.socket", "enabled")
	p.state("update-rc.d enable, before reboot", false, false)
	m = m.reboot()
	p = pair{m: m}
	p.state("boot after update-rc.d enable", true, false)
	p.answers()
	p.state("a connection after update-rc.d enable and reboot", true, true)

	// cfn-init 1.x, sysvinit: echoq: {enabled: false, ensureRunning: false}
	// on the running pair: update-rc.d disable, then service stop, which
	// leaves the socket listening until the next boot.
	cfnInitService(m, "echoq", false, false)
	p.enabled("echoq.socket", "disabled")
	p.state("cfn-init enabled false, ensureRunning false", true, false)
	p.answers()
	m = m.reboot()
	p = pair{m: m}
	p.state("boot after cfn-init enabled false", false, false)
	// {enabled: true, ensureRunning: true} on the disabled pair after that
	// boot: update-rc.d enable (the socket enabled, not started), status 3,
	// service start: the service alone, without its socket.
	cfnInitService(m, "echoq", true, true)
	p.enabled("echoq.socket", "enabled")
	p.state("cfn-init enabled true, ensureRunning true, after a disabled boot", false, false)
	p.noSocket()
	m = m.reboot()
	p = pair{m: m}
	p.state("boot after cfn-init enabled true", true, false)
	// {true, true} on an enabled pair waiting on its socket: status 3,
	// service start starts the service.
	cfnInitService(m, "echoq", true, true)
	p.state("cfn-init enabled true, ensureRunning true, socket listening", true, true)
}

// pair probes echoq, the hand-written socket-activated pair, in a machine.
type pair struct{ m *machine }

// echoq.socket listens on 127.0.0.1:7777: 0100007F:1E61 in /proc/net/tcp,
// state 0A (LISTEN). Read there, the check starts nothing.
const echoqListen = "grep -q ' 0100007F:1E61 00000000:0000 0A ' /proc/net/tcp"

// state checks whether the socket listens and the service is active,
// polling for 5 s: a daemon started without its socket takes a moment to
// fail.
func (p pair) state(when string, listening, active bool) {
	p.m.t.Helper()
	probe := echoqListen + "; l=$?; systemctl is-active --quiet echoq.service; echo $l $?"
	want := map[bool]string{true: "0", false: "1"}[listening] + " " + map[bool]string{true: "0", false: "3"}[active]
	var got string
	for i := 0; i < 25; i++ {
		out, _ := p.m.runQuiet(probe)
		if got = strings.TrimSpace(out); got == want {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.m.t.Logf("[%s] %s: listening, is-active: %s", p.m.name, when, got)
	if got != want {
		p.m.t.Errorf("%s: listening (0 yes) and is-active echoq.service: %s, want %s", when, got, want)
	}
}

// noSocket wants echoq's complaint, in the journal of this boot, that it
// was started without a socket.
func (p pair) noSocket() {
	p.m.t.Helper()
	if out, _ := p.m.run("journalctl -b -u echoq.service --no-pager | grep -c 'no listening socket from systemd'"); strings.TrimSpace(out) == "0" {
		p.m.t.Errorf("echoq.service did not fail for want of its socket")
	}
}

// answers connects and wants the daemon's greeting.
func (p pair) answers() {
	p.m.t.Helper()
	out, code := p.m.run("timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7777 && head -c 64 <&3'")
	if code != 0 || !strings.HasPrefix(out, "echoq ") {
		p.m.t.Errorf("connecting to 7777: exit %d, %q", code, out)
	}
}

// refused connects and wants the connection refused.
func (p pair) refused() {
	p.m.t.Helper()
	if out, code := p.m.run("timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7777 && head -c 64 <&3'"); code == 0 {
		p.m.t.Errorf("a connection to 7777 was answered: %q", out)
	}
}

// status checks the exit codes of service echoq status and of the
// redirect's status (script -1: the image has none).
func (p pair) status(service, script int) {
	p.m.t.Helper()
	_, s := p.m.run("service echoq status")
	r := -1 // no script
	if script != -1 {
		_, r = p.m.run("/etc/init.d/echoq status")
	}
	if s != service || r != script {
		p.m.t.Errorf("status: service echoq status exited %d (want %d), /etc/init.d/echoq status %d (want %d)", s, service, r, script)
	}
}

// enabled checks systemctl is-enabled of a unit.
func (p pair) enabled(unit, want string) {
	p.m.t.Helper()
	out, _ := p.m.run("systemctl is-enabled " + unit)
	if strings.TrimSpace(out) != want {
		p.m.t.Errorf("systemctl is-enabled %s: %q, want %q", unit, out, want)
	}
}

// echoqDaemon takes the listening socket systemd passes (Accept=no,
// sd_listen_fds(3): fd 3, LISTEN_PID its own) and answers each connection
// with its PID. perl-base is in every Debian image.
const echoqDaemon = `#!/usr/bin/perl
use strict;
use warnings;
die "echoq: no listening socket from systemd\n" unless ($ENV{LISTEN_FDS} // 0) >= 1 && ($ENV{LISTEN_PID} // 0) == $$;
open(my $l, '+<&=', 3) or die "echoq: fd 3: $!\n";
while (accept(my $c, $l)) { print $c "echoq $$\n"; close $c; }
die "echoq: accept: $!\n";
`

// installSocketPair writes echoq.socket and echoq.service into
// /etc/systemd/system, the socket enabled as systemctl enable echoq does
// it (the service's [Install] is Also= alone: is-enabled says indirect).
// The service neither Requires= nor Wants= its socket, as beanstalkd's
// does not: started alone, it gets no socket.
func installSocketPair(t *testing.T, root string) {
	t.Helper()
	writeFiles(t, root, 0o755, map[string]string{"usr/local/bin/echoq": echoqDaemon})
	writeFiles(t, root, 0o644, map[string]string{
		"etc/systemd/system/echoq.socket": "[Unit]\nDescription=echoq socket\n\n[Socket]\nListenStream=127.0.0.1:7777\n\n[Install]\nWantedBy=sockets.target\n",
		"etc/systemd/system/echoq.service": "[Unit]\nDescription=echoq, socket-activated\n\n" +
			"[Service]\nExecStart=/usr/local/bin/echoq\n\n[Install]\nAlso=echoq.socket\n",
	})
	wants := filepath.Join(root, "etc/systemd/system/sockets.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/systemd/system/echoq.socket", filepath.Join(wants, "echoq.socket")); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
