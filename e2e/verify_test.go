package e2e

import (
	"strings"
	"testing"
)

// rtGenerator makes rt.service at every daemon-reload: After=hello.service,
// wanted by multi-user.target. It lives in /run and writes into
// /run/systemd/generator: a unit that exists only at runtime, which the
// snapshot does not read and the live systemd does.
const rtGenerator = `mkdir -p /run/systemd/system-generators && cat >/run/systemd/system-generators/initcompat-e2e-rt <<'GEN'
#!/bin/sh
printf '[Unit]\nAfter=hello.service\n[Service]\nExecStart=/bin/sleep infinity\n' >"$1/rt.service"
mkdir -p "$1/multi-user.target.wants" && ln -sf ../rt.service "$1/multi-user.target.wants/rt.service"
GEN
chmod +x /run/systemd/system-generators/initcompat-e2e-rt && systemctl daemon-reload`

// Over SSH with sudo into a booted bookworm, the build's third command asks
// the machine's systemd what it now sees. A clean apply passes every check
// and says what it checked. Then the runtime unit closes an ordering cycle
// with an ordering {} block: the build fails with systemd's own cycle path
// and the image is as it was before that build.
func TestVerifyOverSSH(t *testing.T) {
	m, key := bootedHello(t, "2225")
	vars := map[string]string{"port": "2225", "key": key}

	out, ok := packerBuild(t, "ssh.pkr.hcl", vars)
	if !ok {
		m.fail("apply with verify: %s", out)
	}
	for _, want := range []string{
		"checks passed",
		"pass    hello.service is loaded",
		"pass    /etc/init.d/hello status agrees with systemctl is-active",
		"pass    the rc links of hello match systemctl is-enabled",
		"pass    systemd-analyze verify finds nothing new that involves the units initcompat touched",
	} {
		contains(t, out, want, "the verify's report")
	}
	m.expect(1, "test -e /var/lib/.initcompat-journal")
	m.expect(1, "test -e /var/lib/.initcompat-verify-baseline")
	m.expect(1, "ls -a /etc/init.d /etc/rc2.d | grep -F .initcompat-")

	m.must(rtGenerator)
	watched := "find /etc/init.d /etc/rc?.d /etc/systemd/system /var/lib/initcompat /var/lib/.initcompat-journal /var/lib/.initcompat-verify-baseline -printf '%p %y %m %l\\n' 2>/dev/null | sort"
	hashes := "find /etc/init.d /etc/systemd/system /var/lib/initcompat -type f -exec sha256sum {} + 2>/dev/null | sort"
	before, beforeData := m.must(watched), m.must(hashes)
	vars["ordering_after"] = `["rt.service"]`
	out, ok = packerBuild(t, "ssh.pkr.hcl", vars)
	if ok {
		m.fail("a build closing an ordering cycle at runtime succeeded: %s", out)
	}
	for _, want := range []string{
		"fail    systemd-analyze verify finds nothing new that involves the units initcompat touched",
		"Found ordering cycle on",
		"rolled back",
	} {
		contains(t, out, want, "the failed verify")
	}
	if !strings.Contains(out, "rt.service/start") {
		m.fail("the failure does not give systemd's cycle path: %s", out)
	}
	if after := m.must(watched); after != before {
		m.fail("the failed verify did not roll back:\n%s\n--- before\n%s", after, before)
	}
	if after := m.must(hashes); after != beforeData {
		m.fail("the failed verify did not restore the contents")
	}
	// The live manager was reloaded after the rollback: hello is no longer
	// ordered after rt.
	if show := m.must("systemctl show -p After --value hello.service"); strings.Contains(show, "rt.service") {
		m.fail("systemd still orders hello after rt: %s", show)
	}

	// verify = false: two commands, and the same build goes through (the
	// cycle is then systemd's to break at boot).
	vars["verify"] = "false"
	out, ok = packerBuild(t, "ssh.pkr.hcl", vars)
	if !ok || strings.Contains(out, "checks passed") {
		m.fail("verify = false: %s", out)
	}
}
