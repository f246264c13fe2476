package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// What systemd does with the process a job's main process leaves behind,
// booted on bookworm: a task with expect fork, and a job without expect
// whose script ends in "&", translated by initcompat, keep their daemon
// (Type=forking: the daemon is the unit's MainPID); the negative control,
// the same command in a unit as the translation wrote it before
// (Type=oneshot for the task, Type=simple for the rest), loses it:
// systemd stops the unit when the main process exits and kills what is
// left in its control group.
func TestUpstartForksBooted(t *testing.T) {
	requireBoot(t)
	img := newImage(t, suites[0])
	writeFiles(t, img, 0o755, map[string]string{
		// Forks a daemon and exits, recording the daemon's pid.
		"opt/t/forker.sh": "#!/bin/sh\nsetsid sleep 1000 </dev/null >/dev/null 2>&1 &\necho $! > /run/$1.pid\nexit 0\n",
		// Stays in the foreground, recording its pid.
		"opt/t/sleeper.sh": "#!/bin/sh\necho $$ > /run/$1.pid\nexec sleep 1000\n",
	})
	writeFiles(t, img, 0o644, map[string]string{
		"etc/init/seed.conf": "start on runlevel [2345]\ntask\nexpect fork\nexec /opt/t/forker.sh seed\n",
		"etc/init/bg.conf":   "start on runlevel [2345]\nscript\n  /opt/t/sleeper.sh bg &\nend script\n",
		// The controls: the translations as they were.
		"etc/systemd/system/ctl-task.service":   "[Service]\nType=oneshot\nExecStart=/opt/t/forker.sh ctl-task\n\n[Install]\nWantedBy=multi-user.target\n",
		"etc/systemd/system/ctl-simple.service": "[Service]\nType=simple\nExecStart=/bin/sh -e -c '/opt/t/sleeper.sh ctl-simple &'\n\n[Install]\nWantedBy=multi-user.target\n",
	})
	for _, u := range []string{"ctl-task", "ctl-simple"} {
		writeLink(t, img, "etc/systemd/system/multi-user.target.wants/"+u+".service", "/etc/systemd/system/"+u+".service")
	}
	out, ok := packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": img})
	if !ok {
		t.Fatal("packer build failed")
	}
	contains(t, out, "the main process puts itself in the background (a trailing &)", "the plan's finding for bg")
	contains(t, out, "task with expect fork", "the plan's finding for seed")

	m := boot(t, img)
	m.must("systemctl --no-pager status seed bg ctl-task ctl-simple || true")
	for _, u := range []string{"seed", "bg"} {
		m.must("systemctl is-active " + u)
		pid := strings.TrimSpace(m.must("cat /run/" + u + ".pid"))
		if main := strings.TrimSpace(m.must("systemctl show -p MainPID --value " + u)); main != pid {
			m.fail("%s: MainPID %s, the daemon is %s: systemd does not track it", u, main, pid)
		}
		m.must("kill -0 " + pid)
	}
	for _, u := range []string{"ctl-task", "ctl-simple"} {
		m.expect(3, "systemctl is-active "+u)
		pid := strings.TrimSpace(m.must("cat /run/" + u + ".pid"))
		m.expect(1, "kill -0 "+pid+" 2>/dev/null")
	}
	// Stopping the unit stops the daemon it tracks.
	pid := strings.TrimSpace(m.must("cat /run/seed.pid"))
	m.must("systemctl stop seed")
	m.expect(1, "kill -0 "+pid+" 2>/dev/null")
}

func writeLink(t testing.TB, root, rel, target string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}
