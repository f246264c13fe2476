package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// Builds over SSH into a booted bookworm whose apply is killed mid-way:
// the remote shell killed with SIGKILL as soon as the journal appears, and
// the SSH session killed the same way. Each failed build leaves the image
// either as it was or complete (never half-written once the plugin or the
// next build has recovered), and a plain rebuild always succeeds and
// converges to the image a clean build makes.
func TestApplyInterruptedOverSSH(t *testing.T) {
	requireBoot(t)
	img := newImage(t, suites[0])
	// 150 hand-installed services: ~1,200 changes, an apply long enough
	// to be caught in the middle.
	units := map[string]string{}
	for i := 0; i < 150; i++ {
		units[fmt.Sprintf("etc/systemd/system/svc%03d.service", i)] = "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n"
	}
	writeFiles(t, img, 0o644, units)
	key := sshSetup(t, img, "2223")
	clean := copyImage(t, img) // built cleanly below, for comparison

	m := boot(t, img)
	m.must("systemctl is-active ssh")
	vars := map[string]string{"port": "2223", "key": key}
	watched := "find /etc/init.d /etc/rc?.d /var/lib/initcompat /var/lib/.initcompat-journal -printf '%p %y %l\\n' 2>/dev/null | sort | sha256sum"
	before := m.must(watched)

	for round, c := range []struct{ phase, kill string }{
		{"begin", `pkill -KILL -f '^sh -s$'`},       // the remote shell dies while staging
		{"commit", `pkill -KILL -f '^sh -s$'`},      // ... while committing
		{"begin", `pkill -KILL -f 'sshd: builder'`}, // the connection dies
		{"commit", `pkill -KILL -f 'sshd: builder'`},
	} {
		// Wait for the apply's journal in that phase, then kill.
		kill := c.kill
		watcher := make(chan string, 1)
		go func() {
			out, _ := m.run("for i in $(seq 1 3000); do grep -qs 'state " + c.phase + "' /var/lib/.initcompat-journal && break; sleep 0.002; done; " +
				kill + "; sed -n 2p /var/lib/.initcompat-journal 2>/dev/null")
			watcher <- out
		}()
		out, ok := packerBuild(t, "ssh-all.pkr.hcl", vars)
		state := <-watcher
		t.Logf("round %d: killed (%s) with the journal at %q", round, kill, strings.TrimSpace(state))
		if ok {
			// The kill came after the commit: the build may still have
			// ended well; then the image is complete.
			contains(t, out, "applied", "a build that survived the kill")
		} else {
			contains(t, out, "initcompat", "the failed build's message")
		}
		if strings.Contains(m.must("ls -a /etc/init.d /etc/rc2.d"), ".initcompat-") && m.must("test -e /var/lib/.initcompat-journal && echo journal || true") == "" {
			m.fail("round %d: stage or aside directories left without a journal", round)
		}
		// A plain rebuild succeeds, and a check then finds nothing to do.
		if out, ok := packerBuild(t, "ssh-all.pkr.hcl", vars); !ok {
			m.fail("round %d: the rebuild after the interruption failed:\n%s", round, out)
		}
		if out, ok := packerBuild(t, "ssh-all.pkr.hcl", map[string]string{"port": "2223", "key": key}); !ok || !strings.Contains(out, "nothing to change") {
			m.fail("round %d: a third build still plans changes:\n%s", round, out)
		}
		m.expect(1, "test -e /var/lib/.initcompat-journal")
		m.expect(1, "test -e /var/lib/.initcompat-lock")
		// Back to the image before, for the next round: remove what
		// initcompat wrote (as listed by its manifest).
		m.must(`for p in $(grep -o '"path": "[^"]*"' /var/lib/initcompat/manifest.json | cut -d'"' -f4 | sort -r); do if [ -d "$p" ] && [ ! -L "$p" ]; then rmdir "$p" 2>/dev/null || true; else rm -f "$p"; fi; done; rm -rf /var/lib/initcompat`)
		if got := m.must(watched); got != before {
			m.fail("round %d: removing the manifest's paths did not give the image back", round)
		}
	}
	m.poweroff()

	// The clean build of the same image, and the rebuilt image, agree.
	m = boot(t, img)
	if out, ok := packerBuild(t, "ssh-all.pkr.hcl", vars); !ok {
		m.fail("final build: %s", out)
	}
	rebuilt := m.must(watched)
	m.poweroff()
	c := boot(t, clean)
	if out, ok := packerBuild(t, "ssh-all.pkr.hcl", vars); !ok {
		c.fail("clean build: %s", out)
	}
	if got := c.must(watched); got != rebuilt {
		c.fail("the rebuilt image differs from a clean build")
	}
	c.poweroff()
}
