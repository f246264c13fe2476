package e2e

import (
	"strings"
	"testing"
)

// Over SSH with sudo into a booted bookworm: apply with hello disabled,
// then mode = "remove": the watched paths are byte for byte as before the
// apply, the wants link the disable removed is back, and hello starts at
// the next boot as it did before initcompat.
func TestApplyThenRemoveOverSSH(t *testing.T) {
	m, key := bootedHello(t, "2224")
	watched := "find /etc/init.d /etc/rc?.d /etc/systemd/system /var/lib/initcompat /var/lib/.initcompat-journal -printf '%p %y %m %l\\n' 2>/dev/null | sort"
	hashes := "find /etc/init.d /etc/systemd/system /var/lib/initcompat -type f -exec sha256sum {} + 2>/dev/null | sort"
	before, beforeData := m.must(watched), m.must(hashes)

	vars := map[string]string{"port": "2224", "key": key, "disable": `["hello"]`}
	if out, ok := packerBuild(t, "ssh.pkr.hcl", vars); !ok {
		m.fail("apply: %s", out)
	}
	m.must("test -x /etc/init.d/hello")
	m.expect(1, "test -e /etc/systemd/system/multi-user.target.wants/hello.service")
	vars["mode"] = "remove"
	out, ok := packerBuild(t, "ssh.pkr.hcl", vars)
	if !ok {
		m.fail("remove: %s", out)
	}
	contains(t, out, "removed what initcompat had written", "remove")
	if after := m.must(watched); after != before {
		m.fail("remove did not give the paths back:\n%s\n--- before\n%s", after, before)
	}
	if after := m.must(hashes); after != beforeData {
		m.fail("remove did not give the contents back")
	}
	// A second remove finds nothing to do.
	if out, ok := packerBuild(t, "ssh.pkr.hcl", vars); !ok || !strings.Contains(out, "nothing to remove") {
		m.fail("a second remove: %s", out)
	}
	m = m.reboot()
	m.must("systemctl is-active hello")
}

// bootedHello boots bookworm with the hello story installed and SSH on
// port for the builder user, and checks hello runs.
func bootedHello(t *testing.T, port string) (*machine, string) {
	t.Helper()
	requireBoot(t)
	img := newImage(t, suites[0])
	installHello(t, img)
	key := sshSetup(t, img, port)
	m := boot(t, img)
	m.must("systemctl is-active hello")
	return m, key
}
