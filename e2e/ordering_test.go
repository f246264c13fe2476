package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The Postfix-on-EFS story on Debian's real postfix and cloud-init: user
// data (run by cloud-final.service from a NoCloud seed) moves the queue to
// another directory and links it back, so postfix must start after it.
func TestStartAfterUserData(t *testing.T) {
	requireBoot(t)
	prepared := derivedImage(t, suites[0], "cloud-init", "postfix")
	seed := func(root string) {
		dir := filepath.Join(root, "var/lib/cloud/seed/nocloud")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{
			"meta-data": "instance-id: iid-initcompat-e2e\nlocal-hostname: mail\n",
			"user-data": "#cloud-config\nlocale: C.UTF-8\nruncmd:\n" +
				"  - [sh, -c, 'mkdir -p /srv/efs && cp -a /var/spool/postfix /srv/efs/queue && rm -rf /var/spool/postfix && ln -s /srv/efs/queue /var/spool/postfix && touch /srv/efs/moved']\n",
		}
		for n, c := range files {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Negative control: the drop-in the story wrote by hand.
	naive := copyFrom(t, prepared)
	seed(naive)
	dropin := filepath.Join(naive, "etc/systemd/system/postfix.service.d")
	if err := os.MkdirAll(dropin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dropin, "override.conf"), []byte("[Unit]\nAfter=remote-fs.target cloud-final.service\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// systemd reports the cycle it broke at boot neither on this console nor
	// in the journal here; systemd-analyze verify, on the booted system,
	// computes the same transaction and says which job it deletes.
	const verify = "systemd-analyze verify --man=no --generators=yes multi-user.target 2>&1 | grep -i cycle"
	m := boot(t, naive, "--private-network")
	out := m.must(verify)
	if !strings.Contains(out, "Found ordering cycle") || !strings.Contains(out, "deleted to break ordering cycle") {
		m.fail("the naive drop-in should make an ordering cycle")
	}
	// Which job systemd deletes is not fixed: postfix.service (the wrapper
	// never starts while its instance ran before user data) or
	// cloud-final.service (user data never runs). Either way the story fails.
	_, postfixUp := m.run("systemctl is-active postfix.service")
	_, finalUp := m.run("systemctl is-active cloud-final.service")
	switch {
	case postfixUp != 0 && finalUp == 0:
		t.Logf("naive drop-in: systemd deleted postfix.service's start job")
	case finalUp != 0 && postfixUp == 0:
		t.Logf("naive drop-in: systemd deleted cloud-final.service's start job: user data never ran")
	default:
		m.fail("with the naive drop-in, postfix.service (%d) or cloud-final.service (%d) should have lost its job", postfixUp, finalUp)
	}
	m.poweroff()

	// With initcompat.
	img := copyFrom(t, prepared)
	seed(img)
	out, ok := packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": img, "start_after_user_data": `["postfix"]`})
	if !ok {
		t.Fatal("packer build failed")
	}
	contains(t, out, "postfix: ordering: write /etc/systemd/system/postfix.service.d/initcompat-ordering.conf (2 files", "the build log")
	// The wrapper and the template its daemon runs as are both ordered.
	for _, unit := range []string{"postfix.service", "postfix@.service"} {
		if _, err := os.Stat(filepath.Join(img, "etc/systemd/system", unit+".d/initcompat-ordering.conf")); err != nil {
			t.Fatalf("no drop-in for %s: %v", unit, err)
		}
	}
	noChanges(t, map[string]string{"root_dir": img, "start_after_user_data": `["postfix"]`})
	m = boot(t, img, "--private-network")
	m.expect(1, verify)
	m.must("test -L /var/spool/postfix && test -f /srv/efs/moved")
	m.must("systemctl is-active postfix.service postfix@-.service")
	m.must("postfix status")
	m.expect(1, "journalctl -b --no-pager | grep -F 'already running'")
	final := monotonic(m, "cloud-final.service", "ActiveEnterTimestampMonotonic")
	daemon := monotonic(m, "postfix@-.service", "InactiveExitTimestampMonotonic")
	t.Logf("cloud-final.service active at %d us; postfix@-.service began starting at %d us", final, daemon)
	if final == 0 || daemon == 0 || final >= daemon {
		m.fail("postfix (%d) did not start after cloud-final (%d)", daemon, final)
	}
}

func monotonic(m *machine, unit, prop string) int64 {
	m.t.Helper()
	out := m.must("systemctl show -p " + prop + " --value " + unit)
	v, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil {
		m.fail("%s %s: %q", unit, prop, out)
	}
	return v
}

// The CoreOS story on a booted Debian with /usr read-only: a unit enabled
// from /usr runs while systemctl says disabled; the mask from /etc stops it
// and nothing under /usr changes.
func TestMaskWithReadOnlyUsr(t *testing.T) {
	requireBoot(t)
	img := newImage(t, suites[0])
	unit := "[Unit]\nDescription=stand-in for update-engine\n\n[Service]\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n"
	if err := os.WriteFile(filepath.Join(img, "usr/lib/systemd/system/update-engine.service"), []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../update-engine.service", filepath.Join(img, "usr/lib/systemd/system/multi-user.target.wants/update-engine.service")); err != nil {
		t.Fatal(err)
	}
	roUsr := "--bind-ro=" + filepath.Join(img, "usr") + ":/usr"
	m := boot(t, img, roUsr)
	m.must("systemctl is-active update-engine")
	if got := m.must("systemctl is-enabled update-engine || true"); strings.TrimSpace(got) != "disabled" {
		m.fail("is-enabled of a unit enabled from /usr: %q", got)
	}
	m.expect(1, "touch /usr/.noupdate")
	m.poweroff()

	usrBefore := fingerprint(t, filepath.Join(img, "usr"))
	if _, ok := packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": img, "mask": `["update-engine"]`}); !ok {
		t.Fatal("packer build failed")
	}
	noChanges(t, map[string]string{"root_dir": img, "mask": `["update-engine"]`})
	if fingerprint(t, filepath.Join(img, "usr")) != usrBefore {
		t.Fatal("the build changed something under /usr")
	}
	m = boot(t, img, roUsr)
	m.expect(3, "systemctl is-active update-engine")
	if got := m.must("systemctl is-enabled update-engine || true"); strings.TrimSpace(got) != "masked" {
		m.fail("is-enabled after the mask: %q", got)
	}
}
