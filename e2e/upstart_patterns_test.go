package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every unit the golden cases expect initcompat to write for an Upstart
// job, with its script files, laid into a bookworm tree and checked by the
// real systemd-analyze verify. The daemon binaries of the made-up jobs are
// not in the tree; that is the one complaint allowed.
func TestTranslatedUnitsVerify(t *testing.T) {
	requireBoot(t)
	cases, err := filepath.Glob(filepath.Join(repo, "initcompat", "testdata", "*", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, file := range cases {
		units, files := translatedMembers(t, file)
		if len(units) == 0 {
			continue
		}
		img := newImage(t, suites[0])
		for p, data := range files {
			mode := os.FileMode(0o644)
			if strings.HasPrefix(p, "etc/initcompat/jobs/") {
				mode = 0o755
			}
			writeFiles(t, img, mode, map[string]string{p: data})
		}
		args := append([]string{"verify", "--man=no", "--generators=no", "--root=" + img}, units...)
		cmd := exec.Command("systemd-analyze", args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		t.Logf("%s: systemd-analyze %s (%v)\n%s", filepath.Base(file), strings.Join(args, " "), err, indent(out.String()))
		if planned, _ := os.ReadFile(file); bytes.Contains(planned, []byte("close the cycle")) {
			// The plan left these units disabled for an ordering cycle:
			// systemd must see the same cycle.
			if !strings.Contains(out.String(), "Found ordering cycle") {
				t.Errorf("%s: the plan reports an ordering cycle, systemd-analyze verify does not", filepath.Base(file))
			}
			checked += len(units)
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if line == "" || missingDaemon(line) {
				continue
			}
			t.Errorf("%s: systemd-analyze verify reports: %s", filepath.Base(file), line)
		}
		checked += len(units)
	}
	if checked < 40 {
		t.Fatalf("only %d translated units found in the golden cases; the glob or the member names changed", checked)
	}
	t.Logf("%d translated units verified", checked)
}

var notExecutable = regexp.MustCompile(`^\S+\.service: Command (\S+) is not executable: No such file or directory$`)

// missingDaemon accepts only a missing daemon binary: not the shell, env,
// kill or a script initcompat wrote.
func missingDaemon(line string) bool {
	m := notExecutable.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	switch {
	case strings.HasPrefix(m[1], "/etc/initcompat/"), m[1] == "/bin/sh", m[1] == "/usr/bin/env", m[1] == "/bin/kill", m[1] == "/bin/true":
		return false
	}
	return true
}

// translatedMembers reads a golden case's expected files: the units
// translated from Upstart jobs (by name) and every file to lay into the
// tree for them (path relative to the root -> content).
func translatedMembers(t *testing.T, file string) ([]string, map[string]string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	var units []string
	var name string
	var body strings.Builder
	flush := func() {
		if p, ok := strings.CutPrefix(name, "out/"); ok {
			switch {
			case strings.HasPrefix(p, "etc/systemd/system/") && strings.HasSuffix(p, ".service") &&
				strings.Contains(body.String(), "# Translated from the Upstart job"):
				files[p] = body.String()
				units = append(units, filepath.Base(p))
			case strings.HasPrefix(p, "etc/initcompat/jobs/"):
				files[p] = body.String()
			}
		}
		body.Reset()
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(line, " --\n") {
			flush()
			name = strings.TrimSuffix(strings.TrimPrefix(line, "-- "), " --\n")
			continue
		}
		body.WriteString(line)
	}
	flush()
	return units, files
}

// Upstart patterns on a booted bookworm, run as their Upstart versions
// would: a job with only pre-start and post-stop, a job that must run
// before another starts and one after it started (ordering seen in
// systemd's own timestamps), a job reading /etc/default/$UPSTART_JOB, a
// pre-stop that runs on a stop request but not after a crash, a pre-stop
// that reads $RUNLEVEL at shutdown, and the plan's advice for a job whose
// event has no counterpart, followed as printed.
func TestUpstartPatternsBooted(t *testing.T) {
	requireBoot(t)
	img := newImage(t, suites[0])
	writeFiles(t, img, 0o755, map[string]string{
		// A daemon that records when it started, then waits.
		"opt/t/daemon.sh": "#!/bin/sh\nmkdir -p /var/lib/t\necho \"$1 $(cut -d' ' -f1 /proc/uptime)\" >> /var/lib/t/started\nexec sleep infinity\n",
	})
	writeFiles(t, img, 0o644, map[string]string{
		"etc/default/reader": "GREETING=hi\n",
		// Bridge-style: no main process.
		"etc/init/bridge.conf": "description \"set up and tear down\"\nstart on runlevel [2345]\nstop on runlevel [!2345]\n" +
			"pre-start script\n  mkdir -p /run/bridge\n  echo up > /run/bridge/state\nend script\n" +
			"post-stop script\n  rm -rf /run/bridge\nend script\n",
		// web, with prep before it (starting) and after after it (started).
		"etc/init/web.conf":   "start on runlevel [2345]\nstop on runlevel [!2345]\nrespawn\nexec /opt/t/daemon.sh web\n",
		"etc/init/prep.conf":  "start on starting web\ntask\nexec sleep 2\n",
		"etc/init/after.conf": "start on started web\nstop on stopping web\nexec /opt/t/daemon.sh after\n",
		// Reads its settings by its own name.
		"etc/init/reader.conf": "start on runlevel [2345]\nscript\n  . /etc/default/$UPSTART_JOB\n" +
			"  echo \"$UPSTART_JOB $GREETING\" > /run/reader.out\n  exec sleep infinity\nend script\n",
		// pre-stop: on request only, and with the runlevel at shutdown.
		"etc/init/guarded.conf": "start on runlevel [2345]\nrespawn\nexec /opt/t/daemon.sh guarded\n" +
			"pre-stop script\n  echo \"stop RUNLEVEL=$RUNLEVEL\" >> /var/lib/t/prestop\nend script\n",
		// An event systemd has no counterpart for.
		"etc/init/custom.conf": "start on my-app-ready\nexec /opt/t/daemon.sh custom\n",
		// Issue 33: an env value with a $ is the process's as written; a
		// daemon started on startup starts at boot; respawn on a job with
		// no main process has nothing to respawn, and the unit loads.
		"etc/init/envlit.conf": "start on startup\nrespawn\nenv USER=notes\nenv HOME=/home/$USER\n" +
			"script\n  echo \"$HOME\" > /run/envlit.out\n  exec sleep infinity\nend script\n",
		"etc/init/nomain.conf": "start on runlevel [2345]\nrespawn\npost-start exec touch /run/nomain.up\npost-stop exec rm -f /run/nomain.up\n",
	})

	out, ok := packerBuild(t, "local.pkr.hcl", map[string]string{"root_dir": img})
	if !ok {
		t.Fatal("packer build failed")
	}
	advice := "enable it once checked: systemctl enable custom"
	contains(t, out, advice, "the plan's advice for custom")
	noChanges(t, map[string]string{"root_dir": img})

	m := boot(t, img)
	m.must("systemctl --no-pager status bridge web prep after reader guarded || true")
	// No main process: active, its pre-start ran; stop runs the post-stop.
	m.must("systemctl is-active bridge")
	m.must("test \"$(cat /run/bridge/state)\" = up")
	m.must("systemctl stop bridge")
	m.expect(1, "test -e /run/bridge")

	// starting: prep ran and ended before web's main process started.
	prepDone := monotonic(m, "prep", "ExecMainExitTimestampMonotonic")
	webStart := monotonic(m, "web", "ExecMainStartTimestampMonotonic")
	m.t.Logf("prep ended at %d us, web started at %d us", prepDone, webStart)
	if prepDone == 0 || webStart < prepDone {
		m.fail("prep (start on starting web) ended at %d, web started at %d: web did not wait for it", prepDone, webStart)
	}
	// started: after began only once web had started.
	webActive := monotonic(m, "web", "ActiveEnterTimestampMonotonic")
	afterStart := monotonic(m, "after", "ExecMainStartTimestampMonotonic")
	m.t.Logf("web active at %d us, after started at %d us", webActive, afterStart)
	if afterStart == 0 || afterStart < webActive {
		m.fail("after (start on started web) started at %d, before web was active at %d", afterStart, webActive)
	}
	// stop on stopping web: stopping web stops after too.
	m.must("systemctl stop web")
	m.expect(3, "systemctl is-active after")

	// Issue 33: the literal env value; the startup daemon running; the
	// job with no main process active, its post-start run.
	if got := strings.TrimSpace(m.must("cat /run/envlit.out")); got != "/home/$USER" {
		m.fail("env HOME=/home/$USER: the process saw %q", got)
	}
	m.must("systemctl is-active envlit")
	m.must("systemctl is-active nomain && test -e /run/nomain.up")
	// systemctl show quotes what it prints: a literal $ shows as \$.
	if got := strings.TrimSpace(m.must("systemctl show -p Environment --value envlit")); !strings.Contains(got, `"HOME=/home/\$USER"`) {
		m.fail("systemctl show -p Environment envlit: %q", got)
	}

	// $UPSTART_JOB names the job, as Upstart set it.
	if got := strings.TrimSpace(m.must("cat /run/reader.out")); got != "reader hi" {
		m.fail("reader wrote %q, want \"reader hi\"", got)
	}

	// pre-stop does not run when the main process dies (respawn), does
	// on a stop request, without a runlevel then.
	pid := strings.TrimSpace(m.must("systemctl show -p MainPID --value guarded"))
	m.must("kill -9 " + pid + "; sleep 1; systemctl is-active guarded")
	m.expect(1, "test -e /var/lib/t/prestop")
	m.must("systemctl stop guarded")
	if got := strings.TrimSpace(m.must("cat /var/lib/t/prestop")); got != "stop RUNLEVEL=" {
		m.fail("pre-stop after a stop request wrote %q, want \"stop RUNLEVEL=\"", got)
	}
	m.must("systemctl start guarded")

	// custom: not enabled, not running; the advice works as printed.
	m.expect(3, "systemctl is-active custom")
	m.must("systemctl enable custom")
	if got := strings.TrimSpace(m.must("systemctl is-enabled custom")); got != "enabled" {
		m.fail("is-enabled after the advice: %q", got)
	}

	// Next boot: the runlevel the pre-stop saw at poweroff, custom running.
	m = m.reboot()
	if got := m.must("tail -n 1 /var/lib/t/prestop"); strings.TrimSpace(got) != "stop RUNLEVEL=0" {
		m.fail("pre-stop at poweroff wrote %q, want \"stop RUNLEVEL=0\" (Upstart's runlevel event at halt)", got)
	}
	m.must("systemctl is-active custom")
}
