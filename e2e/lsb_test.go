package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The hello.service story on a real Debian image: without initcompat the
// SysV tools fail on a unit-only daemon; with it, update-rc.d, service,
// invoke-rc.d, the init script itself, systemctl and cfn-init 1.x's exact
// command sequence all work, and their effect survives reboots.
func TestLSBRedirectLocalBuild(t *testing.T) {
	requireBoot(t)
	for _, suite := range suites {
		t.Run(suite, func(t *testing.T) { lsbLocal(t, suite) })
	}
}

func lsbLocal(t *testing.T, suite string) {
	img := newImage(t, suite)
	installHello(t, img)
	raw := copyImage(t, img)

	// mode = "check" fails on the raw image; mode = "plan" changes no byte.
	out, ok := packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": raw, "mode": "check"})
	if ok {
		t.Fatal("mode = check passed on an image without the shim")
	}
	contains(t, out, `mode = "check": the image lacks`, "check on the raw image")
	before := fingerprint(t, raw)
	report := filepath.Join(t.TempDir(), "plan.json")
	if out, ok = packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": raw, "mode": "plan", "report_file": report}); !ok {
		t.Fatal("mode = plan failed")
	}
	contains(t, out, "hello: lsb-redirect: write /etc/init.d/hello (1 file, 7 links", "plan")
	if fingerprint(t, raw) != before {
		t.Fatal(`mode = "plan" changed the image`)
	}
	if data, err := os.ReadFile(report); err != nil || !strings.Contains(string(data), `"path": "/etc/init.d/hello"`) {
		t.Fatalf("report_file: %v", err)
	}

	// Negative control: the raw image, booted, shows the story's failure.
	const order = "systemctl show -p After -p Before -p WantedBy -p Requires hello.service"
	m := boot(t, raw)
	out = m.expect(1, "update-rc.d hello disable")
	contains(t, out, "cannot find a LSB script for hello", "update-rc.d on the raw image")
	rawOrder := unitSet(m.must(order))
	m.poweroff()

	// The build, then a second one that has nothing left to do.
	if out, ok = packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": img}); !ok {
		t.Fatal("packer build failed")
	}
	contains(t, out, "applied", "apply")
	noChanges(t, map[string]string{"root_dir": img})
	if _, ok = packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": img, "mode": "check"}); !ok {
		t.Fatal("mode = check failed on the provisioned image")
	}

	// In a chroot (an image build) there is no systemd: the redirect says so
	// and starts nothing.
	for action, want := range map[string]int{"start": 1, "status": 4, "stop": 0} {
		out, err := exec.Command("chroot", img, "/etc/init.d/hello", action).CombinedOutput()
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		t.Logf("$ chroot IMAGE /etc/init.d/hello %s\n%s(exit %d)", action, indent(string(out)), code)
		if code != want || !strings.Contains(string(out), "systemd is not running here") {
			t.Fatalf("chroot %s: exit %d, want %d with the message", action, code, want)
		}
	}

	m = boot(t, img)
	// The redirect script changes nothing at boot: systemd-sysv-generator
	// skips a script whose name has a native unit.
	if got := unitSet(m.must(order)); got != rawOrder {
		m.fail("boot order of hello.service differs from the raw image:\n%s\n---\n%s", rawOrder, got)
	}
	m.must("systemctl is-active hello")
	m.expect(0, "/etc/init.d/hello status")

	// update-rc.d disable, and the state survives a reboot.
	m.must("update-rc.d hello disable")
	m.expect(1, "systemctl is-enabled hello")
	m = m.reboot()
	m.expect(3, "systemctl is-active hello")
	m.expect(3, "/etc/init.d/hello status")
	if got := m.must("systemctl is-enabled hello || true"); strings.TrimSpace(got) != "disabled" {
		m.fail("is-enabled after update-rc.d disable and reboot: %q", got)
	}
	m.must("update-rc.d hello enable")
	m = m.reboot()
	m.must("systemctl is-active hello")

	// service, invoke-rc.d and the script itself.
	m.must("service hello stop")
	m.expect(3, "systemctl is-active hello")
	m.expect(3, "/etc/init.d/hello status")
	m.must("invoke-rc.d hello start")
	m.must("systemctl is-active hello")
	m.must("/etc/init.d/hello restart")
	m.must("systemctl is-active hello")
	m.expect(3, "/etc/init.d/hello reload")
	m.expect(2, "/etc/init.d/hello bogus")

	// systemctl keeps working, and keeps the rc links in step.
	m.must("systemctl disable hello")
	m.must("ls /etc/rc2.d | grep -x K01hello")
	m.must("systemctl enable hello")
	m.must("ls /etc/rc2.d | grep -x S01hello")
	if got := unitSet(m.must(order)); got != rawOrder {
		m.fail("boot order of hello.service changed after disable and enable:\n%s\n---\n%s", rawOrder, got)
	}

	// cfn-init 1.x, services: sysvinit: hello: {enabled: false, ensureRunning: false}.
	cfnInit(m, false, false)
	m.expect(3, "systemctl is-active hello")
	if got := m.must("systemctl is-enabled hello || true"); strings.TrimSpace(got) != "disabled" {
		m.fail("is-enabled after cfn-init's disable: %q", got)
	}
	// And {enabled: true, ensureRunning: true} on the stopped daemon starts it.
	cfnInit(m, true, true)
	m.must("systemctl is-active hello")
	m.must("systemctl is-enabled hello")
}

// cfnInit runs the command sequence of cfn-init 1.x's SysVInitTool for one
// service (FACTS.md): enable or disable with chkconfig or update-rc.d, then
// `service NAME status` and a start or stop only when the state differs.
// Each step must succeed, as cfn-init treats a failure as fatal.
func cfnInit(m *machine, enabled, ensureRunning bool) {
	m.t.Helper()
	action := map[bool]string{true: "enable", false: "disable"}[enabled]
	if _, code := m.runQuiet("test -x /sbin/chkconfig"); code == 0 {
		m.must("/sbin/chkconfig hello " + map[bool]string{true: "on", false: "off"}[enabled])
	} else {
		m.must("/usr/sbin/update-rc.d hello " + action)
	}
	_, status := m.run("service hello status")
	running := status == 0
	switch {
	case ensureRunning && !running:
		m.must("service hello start")
	case !ensureRunning && running:
		m.must("service hello stop")
	}
}

// The build as users run it: Packer connects over SSH to the booted image as
// a non-root user with passwordless sudo; the image is then powered off and
// booted again, as an instance launched from the AMI would be.
func TestLSBRedirectSSHBuild(t *testing.T) {
	requireBoot(t)
	suite := suites[0]
	img := newImage(t, suite)
	installHello(t, img)
	key := sshSetup(t, img, "2222")

	m := boot(t, img)
	m.must("systemctl is-active ssh")

	// A user whose sudo wants a password: the build fails with what to do,
	// and nothing is written.
	out, ok := packerBuild(t, "ssh.pkr.hcl", map[string]string{"port": "2222", "key": key, "user": "pwuser"})
	if ok {
		m.fail("a build through a password-protected sudo passed without the password")
	}
	contains(t, out, "sudo wants a password", "password-protected sudo")
	m.expect(1, "test -e /etc/init.d/hello")
	// With the password fed through execute_command, it works.
	out, ok = packerBuild(t, "ssh.pkr.hcl", map[string]string{"port": "2222", "key": key, "user": "pwuser",
		"execute_command": "{ echo " + sudoPassword + "; cat; } | sudo -S -p '' {{.Command}}"})
	if !ok {
		m.fail("packer build with the sudo password in execute_command failed:\n%s", out)
	}
	contains(t, out, "applied", "apply over SSH")
	out, ok = packerBuild(t, "ssh.pkr.hcl", map[string]string{"port": "2222", "key": key, "mode": "check"})
	if !ok {
		m.fail("mode = check over SSH failed on the provisioned image:\n%s", out)
	}
	m.must("test -f /var/lib/initcompat/manifest.json")
	m = m.reboot()
	cfnInit(m, false, false)
	m.expect(3, "systemctl is-active hello")
	m = m.reboot()
	m.expect(3, "systemctl is-active hello")
	cfnInit(m, true, true)
	m.must("systemctl is-active hello")
}

// sudoPassword is pwuser's password, which its sudo asks for.
const sudoPassword = "e2e-secret"

// sshSetup gives the image a builder user with passwordless sudo, a pwuser
// whose sudo wants a password, one key for both, and sshd on
// 127.0.0.1:port. It returns the private key file.
func sshSetup(t *testing.T, root, port string) string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	script := `set -e
for u in builder pwuser; do
	useradd -m -s /bin/bash $u
	install -d -m 700 -o $u -g $u /home/$u/.ssh
	cat > /home/$u/.ssh/authorized_keys <<'EOF'
` + string(pub) + `EOF
	chown $u:$u /home/$u/.ssh/authorized_keys
	chmod 600 /home/$u/.ssh/authorized_keys
done
echo 'pwuser:` + sudoPassword + `' | chpasswd
echo 'pwuser ALL=(ALL) ALL' > /etc/sudoers.d/pwuser
chmod 440 /etc/sudoers.d/pwuser
echo 'builder ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/builder
chmod 440 /etc/sudoers.d/builder
printf 'Port ` + port + `\nListenAddress 127.0.0.1\n' > /etc/ssh/sshd_config.d/e2e.conf
`
	cmd := exec.Command("chroot", root, "/bin/sh", "-c", script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("preparing SSH in the image: %v\n%s", err, out)
	}
	return key
}

// unitSet sorts the values of each "Key=a b c" line of systemctl show,
// whose order is that of a hash set.
func unitSet(show string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(show), "\n") {
		k, v, _ := strings.Cut(l, "=")
		f := strings.Fields(v)
		sort.Strings(f)
		lines = append(lines, k+"="+strings.Join(f, " "))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
