package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// orderingPackages are the real units the ordering oracle's pool and the
// booted many-services test order, installed from each suite's archive.
var orderingPackages = []string{"cloud-init", "postfix", "openssh-server", "nginx", "cron", "rsyslog", "chrony",
	"redis-server", "memcached", "haproxy", "unattended-upgrades"}

// orderingSuites are the suites the ordering tests run on, whatever
// INITCOMPAT_E2E_SUITES says: each ships a different cloud-init layout
// (bullseye 20.4, bookworm 22.4, trixie 25.1 with cloud-init-main.service).
var orderingSuites = strings.Fields(envOr("INITCOMPAT_E2E_ORDERING_SUITES", "bullseye bookworm trixie"))

func orderingImage(t *testing.T, suite string) string {
	t.Helper()
	return derivedImageAs(t, "i20a-"+suite+"-ordering", suite, orderingPackages...)
}

// linkCopy is a throwaway copy of a cached image that shares its files:
// the oracle only adds and removes whole files, never writes into one.
func linkCopy(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "root")
	if out, err := exec.Command("cp", "-al", src, dst).CombinedOutput(); err != nil {
		t.Logf("cp -al: %v (%s); copying", err, strings.TrimSpace(string(out)))
		return copyImage(t, src)
	}
	return dst
}

// The whole ordering oracle matrix (initcompat's TestOrderingOracle) over
// the real package units of every suite, and cloud-init's rhel rendering
// laid over bookworm: the plugin's verdict on every case must be systemd's.
func TestOrderingOracleRealUnits(t *testing.T) {
	requireBoot(t)
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Fatal("systemd-analyze is needed")
	}
	var roots []string
	for _, s := range orderingSuites {
		roots = append(roots, s+"="+linkCopy(t, orderingImage(t, s)))
		if s == "bookworm" {
			roots = append(roots, "rhel-on-bookworm="+linkCopy(t, orderingImage(t, s)))
		}
	}
	start := time.Now()
	cmd := exec.Command("go", "test", "-count=1", "-v", "-timeout", "30m", "-run", "^TestOrderingOracle$", "./initcompat/planner")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "INITCOMPAT_ORACLE_ROOTS="+strings.Join(roots, " "), "INITCOMPAT_ORACLE_FULL=1")
	out, err := cmd.CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "oracle") {
			t.Log(strings.TrimSpace(l))
		}
	}
	t.Logf("the oracle matrix took %v", time.Since(start).Round(time.Second))
	if err != nil {
		t.Fatalf("the ordering oracle disagrees with systemd: %v\n%s", err, tail(out, 6000))
	}
	m := regexp.MustCompile(`oracle: (\d+) cases generated, (\d+) agreements, 0 disagreements`).FindStringSubmatch(string(out))
	if m == nil || m[2] == "0" {
		t.Fatalf("no clean total from the oracle:\n%s", tail(out, 3000))
	}
}

// manyServices are ordered after user data together in the booted test:
// Debian's Postfix (a oneshot wrapper and its postfix@- instance), OpenSSH,
// cron, and a hand-installed daemon.
var manyServices = []string{"postfix", "ssh", "cron", "app"}

const appUnit = "[Unit]\nDescription=hand-installed daemon\nAfter=network-online.target\nWants=network-online.target\n\n" +
	"[Service]\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n"

// seedNoCloud gives cloud-init a NoCloud seed whose user data leaves a mark.
func seedNoCloud(t *testing.T, root string) {
	t.Helper()
	writeFiles(t, root, 0o644, map[string]string{
		"var/lib/cloud/seed/nocloud/meta-data": "instance-id: iid-initcompat-many\nlocal-hostname: many\n",
		"var/lib/cloud/seed/nocloud/user-data": "#cloud-config\nruncmd:\n  - [touch, /var/lib/user-data-ran]\n",
	})
	writeFiles(t, root, 0o644, map[string]string{"etc/systemd/system/app.service": appUnit})
	if err := os.Symlink("/etc/systemd/system/app.service", filepath.Join(root, "etc/systemd/system/multi-user.target.wants/app.service")); err != nil {
		t.Fatal(err)
	}
}

// Several services after user data on one boot, on every suite with a
// cloud-init layout of its own: the build orders them all, the boot has no
// ordering cycle (systemd-analyze on the booted system, the journal and
// the console), user data ran, and each service began starting after
// cloud-final.service was done. The negative control is the same image
// with the drop-in a user writes by hand for each service.
func TestStartAfterUserDataMany(t *testing.T) {
	requireBoot(t)
	list := `["` + strings.Join(manyServices, `", "`) + `"]`
	for _, suite := range orderingSuites {
		t.Run(suite, func(t *testing.T) {
			start := time.Now()
			prepared := orderingImage(t, suite)

			naive := copyFrom(t, prepared)
			seedNoCloud(t, naive)
			for _, s := range manyServices {
				writeFiles(t, naive, 0o644, map[string]string{"etc/systemd/system/" + s + ".service.d/override.conf": "[Unit]\nAfter=remote-fs.target cloud-final.service\n"})
			}
			const verify = "systemd-analyze verify --man=no --generators=yes default.target 2>&1 | grep -i 'ordering cycle'"
			m := boot(t, naive, "--private-network")
			if out := m.must(verify); !strings.Contains(out, "Found ordering cycle") {
				m.fail("the hand-written drop-ins should make an ordering cycle")
			}
			m.poweroff()

			img := copyFrom(t, prepared)
			seedNoCloud(t, img)
			vars := map[string]string{"root_dir": img, "start_after_user_data": list}
			out, ok := packerBuild(t, "local.pkr.hcl", vars)
			if !ok {
				t.Fatalf("packer build failed:\n%s", out)
			}
			for _, s := range manyServices {
				contains(t, out, s+".service.d/initcompat-ordering.conf", "plan")
			}
			noChanges(t, vars)
			m = boot(t, img, "--private-network")
			m.expect(1, verify)
			m.expect(1, "journalctl -b --no-pager | grep -i 'ordering cycle'")
			if strings.Contains(strings.ToLower(m.consoleText()), "ordering cycle") {
				m.fail("the console reports an ordering cycle")
			}
			m.must("test -f /var/lib/user-data-ran")
			final := monotonic(m, "cloud-final.service", "ActiveEnterTimestampMonotonic")
			units := []string{"postfix.service", "ssh.service", "cron.service", "app.service"}
			// bookworm's and bullseye's postfix run the daemon as the
			// postfix@-.service instance; trixie's (3.10) in postfix.service.
			if suite != "trixie" {
				units = append(units, "postfix@-.service")
			}
			for _, u := range units {
				m.must("systemctl is-active " + u)
				began := monotonic(m, u, "InactiveExitTimestampMonotonic")
				t.Logf("%s: cloud-final.service active at %d us; %s began starting at %d us", suite, final, u, began)
				if final == 0 || began == 0 || final >= began {
					m.fail("%s (%d) did not start after cloud-final (%d)", u, began, final)
				}
			}
			t.Logf("%s: %v", suite, time.Since(start).Round(time.Second))
		})
	}
}
