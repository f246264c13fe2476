package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The hand-installed unit (issue 31): Type=simple, User=,
// Environment= with quoted assignments, EnvironmentFile=, RuntimeDirectory=,
// ExecReload=, Restart=always, LimitNOFILE=. LogsDirectory= keeps the
// daemon's log across a shutdown, so TERM at shutdown can be read after it.
const sysvHelloUnit = `[Unit]
Description=The field report's hello daemon
After=network-online.target remote-fs.target

[Service]
Type=simple
User=hello
Group=hello
Environment="GREETING=hello world" 'QUOTE=it'"'"'s $(id)'
EnvironmentFile=-/etc/default/hello
WorkingDirectory=/opt/daemon_test
RuntimeDirectory=hello
LogsDirectory=hello
ExecStart=/opt/daemon_test/hello.sh --greeting "${GREETING}" $HELLO_OPTS
ExecReload=/bin/kill -HUP $MAINPID
Restart=always
LimitNOFILE=4096

[Install]
WantedBy=multi-user.target
`

// sysvHelloDaemon logs each start (who, where, limits, arguments,
// environment), each HUP and TERM, and marks itself ready in its runtime
// directory.
const sysvHelloDaemon = `#!/bin/sh
log=/var/log/hello/hello.log
{
	echo "start $$ uid=$(id -un) cwd=$(pwd) nofile=$(ulimit -n):$(ulimit -Hn) rundir=$(stat -c %U /run/hello) args=$*"
	env | sort | sed 's/^/env /'
} >>"$log"
trap 'echo "hup $$" >>"$log"' HUP
trap 'echo "term $$" >>"$log"; exit 0' TERM
# Ready: the kernel's uptime at this moment, for the boot timings.
cat /proc/uptime >/run/hello/ready
while :; do sleep 1 & wait $!; done
`

// setupHello installs the unit, its daemon, its user and its environment
// file, enabled as systemctl enable would (a wants link SysV never reads).
func setupHello(t testing.TB, root string) {
	t.Helper()
	if out, err := exec.Command("chroot", root, "useradd", "--system", "--user-group", "--home-dir", "/var/lib/hello",
		"--shell", "/usr/sbin/nologin", "hello").CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v\n%s", err, out)
	}
	writeFiles(t, root, 0o755, map[string]string{"opt/daemon_test/hello.sh": sysvHelloDaemon})
	writeFiles(t, root, 0o644, map[string]string{
		"etc/systemd/system/hello.service": sysvHelloUnit,
		// systemd.exec(5)'s quoting: the double quotes group, $ is no
		// expansion, the comment line is skipped.
		"etc/default/hello": "# options\nHELLO_OPTS=\"--one \\\"two words\\\" $HOME\"\n",
	})
	writeLink(t, root, "etc/systemd/system/multi-user.target.wants/hello.service", "/etc/systemd/system/hello.service")
}

// helloLog reads the daemon's log inside the machine.
func helloLog(m *machine) string {
	out, _ := m.runQuiet("cat /var/log/hello/hello.log")
	return out
}

// Issue 31 on a SysV-only image: Debian's caddy (a unit only, Type=notify,
// User=caddy, CAP_NET_BIND_SERVICE) and the Type=simple unit.
// Negative control first: the image built without initcompat, where
// neither starts and the tools say so. Then a real packer build with the
// plugin (root_dir, services = ["caddy"]; hello is hand-installed, so in
// scope anyway), booted with sysvinit-core as PID 1, through the real
// service, update-rc.d, start-stop-daemon and insserv's boot order, and
// cfn-init 1.x's SysVInitTool commands replayed.
func TestSysvUnitScripts(t *testing.T) {
	requireBoot(t)
	img := sysvCopy(t, sysvDerived(t, "caddy"))
	setupHello(t, img)

	m := bootSysv(t, img)
	if out := m.expect(1, "service caddy start"); !strings.Contains(out, "unrecognized service") {
		m.sysvFail("negative control: service caddy start said %q", out)
	}
	m.expect(1, "service hello status")
	if out := m.expect(1, "update-rc.d hello disable"); !strings.Contains(out, "cannot find a LSB script") {
		m.sysvFail("negative control: update-rc.d said %q", out)
	}
	m.expect(1, "pgrep -x caddy")
	m.expect(1, "pgrep -f /opt/daemon_test/hello[.]sh")
	m.sysvShutdown()

	out := provisionSysv(t, img, map[string]string{"services": `["caddy"]`})
	for _, want := range []string{"/etc/init.d/caddy", "/etc/init.d/hello", "/etc/init.d/.depend.start", "ProtectSystem"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the build's output does not mention %s", want)
		}
	}
	// insserv's boot order lists both: /lib/init/rc runs only its targets.
	dep, err := os.ReadFile(filepath.Join(img, "etc/init.d/.depend.start"))
	if err != nil || !strings.Contains(string(dep), " caddy") || !strings.Contains(string(dep), " hello") {
		t.Fatalf(".depend.start after the build: %v\n%s", err, dep)
	}
	// A second build changes nothing.
	if out := provisionSysv(t, img, map[string]string{"services": `["caddy"]`, "mode": "check"}); !strings.Contains(out, "nothing to change") && !strings.Contains(out, "0 change") {
		t.Fatalf("mode = check after the build:\n%s", out)
	}

	m = bootSysv(t, img)
	// Started at boot as the units say.
	m.waitFor("caddy listens on :80 (CAP_NET_BIND_SERVICE as user caddy)", "ss -ltnH 'sport = :80' | grep -q .", 10*time.Second)
	m.must("test \"$(ps -o user= -p $(cat /run/initcompat/caddy.pid))\" = caddy")
	// CAP_NET_BIND_SERVICE (bit 10) ambient.
	m.must("a=$(awk '/^CapAmb/ {print $2}' /proc/$(cat /run/initcompat/caddy.pid)/status) && [ $((0x$a & 0x400)) -ne 0 ]")
	m.waitFor("hello ready", "test -e /run/hello/ready", 10*time.Second)
	log := helloLog(m)
	for _, want := range []string{
		"uid=hello cwd=/opt/daemon_test nofile=4096:4096 rundir=hello args=--greeting hello world --one two words $HOME\n",
		"env GREETING=hello world\n", "env QUOTE=it's $(id)\n", "env HOME=/var/lib/hello\n", "env USER=hello\n",
		"env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n",
	} {
		if !strings.Contains(log, want) {
			m.sysvFail("the daemon's log lacks %q:\n%s", want, log)
		}
	}
	m.must("service caddy status")
	m.must("service hello status")

	// service start|stop|status, with LSB exit codes.
	m.must("service hello stop")
	m.expect(3, "service hello status")
	m.expect(1, "pgrep -f /opt/daemon_test/hello[.]sh")
	m.must("test ! -e /run/hello")
	m.must("service hello start")
	m.must("service hello status")
	m.must("service hello start") // already running: 0, as LSB says
	m.must("service caddy stop")
	m.expect(3, "service caddy status")
	m.expect(1, "pgrep -x caddy")
	m.must("service caddy start")
	m.must("ss -ltnH 'sport = :80' | grep -q .")

	// HUP on reload; caddy reloads through its own API.
	pid := m.pidOf("/run/initcompat/hello.pid")
	m.must("service hello reload")
	m.waitFor("HUP logged", fmt.Sprintf("grep -qx 'hup %d' /var/log/hello/hello.log", pid), 5*time.Second)
	m.must("service caddy reload")
	m.must("service caddy status")

	// Respawn after SIGKILL (Restart=always).
	m.must(fmt.Sprintf("kill -9 %d", pid))
	m.waitFor("respawn", fmt.Sprintf("p=$(cat /run/initcompat/hello.pid) && [ \"$p\" != %d ] && kill -0 $p", pid), 5*time.Second)
	m.must("service hello status")
	// stop stops the supervisor with the daemon: nothing comes back.
	m.must("service hello stop")
	time.Sleep(300 * time.Millisecond)
	m.expect(1, "pgrep -f /opt/daemon_test/hello[.]sh")
	m.expect(1, "pgrep -f 'init[.]d/hello __supervise'")

	// cfn-init 1.4's SysVInitTool for {enabled: false, ensureRunning: false}
	// (its commands replayed, see cfnInitService), across a reboot.
	m.must("service hello start")
	cfnInitService(m, "hello", false, false)
	m.expect(3, "service hello status")
	m = m.sysvReboot()
	m.expect(3, "service hello status")
	m.expect(1, "pgrep -f /opt/daemon_test/hello[.]sh")
	m.must("service caddy status")
	cfnInitService(m, "hello", true, true)
	m.must("service hello status")
	m.must("update-rc.d caddy disable")

	// TERM at shutdown, and the enablement kept across the reboot.
	m.must("echo shutdown >>/var/log/hello/hello.log")
	m.sysvShutdown()
	data, err := os.ReadFile(filepath.Join(img, "var/log/hello/hello.log"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(data), "shutdown\n")
	if !strings.Contains(after, "term ") || strings.Contains(after, "start ") {
		t.Fatalf("after the shutdown mark the daemon should get TERM and not start again:\n%s", after)
	}
	m = bootSysv(t, img)
	m.waitFor("hello enabled again", "test -e /run/hello/ready", 10*time.Second)
	m.expect(3, "service caddy status")
	m.expect(1, "pgrep -x caddy")
	m.sysvShutdown()

	// disable through initcompat (update-rc.d NAME disable's links and
	// insserv's order), then mode = "remove": the image as before.
	provisionSysv(t, img, map[string]string{"services": `["caddy"]`, "disable": `["hello"]`})
	m = bootSysv(t, img)
	m.expect(1, "pgrep -f /opt/daemon_test/hello[.]sh")
	m.must("update-rc.d hello enable && service hello start && service hello status")
	m.sysvShutdown()
	provisionSysv(t, img, map[string]string{"mode": "remove"})
	for _, p := range []string{"etc/init.d/hello", "etc/init.d/caddy"} {
		if _, err := os.Lstat(filepath.Join(img, p)); err == nil {
			t.Errorf("%s is still there after mode = remove", p)
		}
	}
	// insserv ran since the first build (update-rc.d caddy disable above):
	// its files lose initcompat's scripts all the same, as insserv would
	// make them for the image without them.
	for _, f := range []string{".depend.boot", ".depend.start", ".depend.stop"} {
		data, err := os.ReadFile(filepath.Join(img, "etc/init.d", f))
		if err != nil || strings.Contains(string(data), "hello") || strings.Contains(string(data), "caddy") {
			t.Errorf("%s after mode = remove: %v\n%s", f, err, data)
		}
	}
	m = bootSysv(t, img)
	m.expect(1, "pgrep -f /opt/daemon_test/hello[.]sh")
	m.must("test \"$(/sbin/runlevel)\" = 'N 2'")
	m.sysvShutdown()
}

// TestSysvOpenRC: Debian's openrc with sysvinit as PID 1 runs the same
// script through rc-service and rc-update; the build puts an enabled unit
// in OpenRC's default runlevel as update-rc.d does there.
func TestSysvOpenRC(t *testing.T) {
	requireBoot(t)
	img := sysvCopy(t, sysvDerived(t, "openrc"))
	setupHello(t, img)
	provisionSysv(t, img, nil)
	if target, err := os.Readlink(filepath.Join(img, "etc/runlevels/default/hello")); err != nil || target != "/etc/init.d/hello" {
		t.Fatalf("/etc/runlevels/default/hello: %q %v", target, err)
	}
	m := bootSysv(t, img)
	m.waitFor("hello started by OpenRC at boot", "test -e /run/hello/ready", 10*time.Second)
	m.must("rc-service hello status")
	m.must("rc-status default | grep -w hello")
	m.must("rc-service hello stop")
	m.expect(1, "pgrep -f /opt/daemon_test/hello[.]sh")
	m.must("rc-service hello start")
	m.waitFor("hello ready", "test -e /run/hello/ready", 10*time.Second)
	m.must("rc-update del hello default")
	m = m.sysvReboot()
	m.expect(1, "pgrep -f /opt/daemon_test/hello[.]sh")
	m.must("rc-update add hello default")
	m = m.sysvReboot()
	m.waitFor("hello back in the default runlevel", "test -e /run/hello/ready", 10*time.Second)
}

// TestSysvInsservOracle runs the insserv package's oracle (the real
// insserv 1.24 judging the boot order the shim writes) over the cached
// SysV image.
func TestSysvInsservOracle(t *testing.T) {
	requireBoot(t)
	cmd := exec.Command("go", "test", "-count=1", "-run", "^TestOracleInsserv$", "-v", "./initcompat/insserv")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "INITCOMPAT_SYSV_ROOT="+sysvImage(t), "INITCOMPAT_SYSV_WORK="+filepath.Join(t.TempDir(), "oracle"))
	out, err := cmd.CombinedOutput()
	t.Logf("%s", indent(string(out)))
	if err != nil || !strings.Contains(string(out), "agree") {
		t.Fatalf("the insserv oracle: %v", err)
	}
}
