package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Issue 30's bound, as a benchmark (the house's rule: speed is measured by
// benchmarks, never asserted by a timed test on a shared machine): "the
// boot of forky with 20 hand-written scripts through initcompat's units
// against trixie with the same scripts through the generator, at most
// 1.05, measured in one run". forky without initcompat is no yardstick:
// its scripts never run. forky (systemd 262) and trixie (257) differ in
// more than the units, so a third image holds that apart: trixie with the
// same scripts through initcompat's units (native_units_for_init_scripts),
// the same systemd as the generator's side.
//
// Each round boots the three images in turn; a boot is timed from systemd's
// start (its UserspaceTimestamp, in microseconds) until the last of the 20
// daemons wrote its ready mark (date +%s%N), both on the clock the
// container shares with the host, so no polling of ours is in it (the
// kernel's uptime and /proc/1/stat count in 10 ms steps, too coarse for a
// 5 % bound on a 0.3 s boot). The ratios are medians of the rounds'
// paired ratios, as in BenchmarkSysvStartAndBoot.
//
//	make bench-native   (INITCOMPAT_E2E=1, root; BENCHTIME=Nx sets the rounds)

// nbScripts is how many scripts the images hold; nbForeground of them
// (every fifth) start a daemon that stays in the foreground, as the
// seed's skeleton copy does; the others detach.
const (
	nbScripts    = 20
	nbForeground = 4
)

// nbDaemon marks itself ready with the time (ns), then runs on.
const nbDaemon = `#!/bin/sh
mkdir -p /run/nubench
date +%s%N >/run/nubench/$1.ready
while true; do
  sleep 1
done
`

// nbScript is a hand-written LSB script for the daemon: start-stop-daemon
// --background when it detaches, the skeleton's start-stop-daemon --exec
// (waiting for the daemon) when it does not.
func nbScript(name string, foreground bool) string {
	start := "start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PIDFILE --startas $DAEMON -- $NAME"
	if foreground {
		start = "start-stop-daemon --start --quiet --make-pidfile --pidfile $PIDFILE --exec $DAEMON -- $NAME"
	}
	return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ` + name + `
# Required-Start:    $remote_fs $syslog
# Required-Stop:     $remote_fs $syslog
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: benchmark daemon ` + name + `
### END INIT INFO
NAME=` + name + `
DAEMON=/opt/nubench/daemon.sh
PIDFILE=/run/$NAME.pid
case "$1" in
start)
	` + start + `
	;;
stop)
	start-stop-daemon --stop --quiet --pidfile $PIDFILE --retry TERM/10/KILL/5 --remove-pidfile
	;;
status)
	start-stop-daemon --status --pidfile $PIDFILE
	;;
restart|force-reload)
	$0 stop; $0 start
	;;
*)
	echo "Usage: $0 {start|stop|status|restart|force-reload}" >&2
	exit 3
	;;
esac
`
}

// nbName is the i-th script's name; nbIsForeground says whether it
// stays in the foreground.
func nbName(i int) string       { return fmt.Sprintf("bench%02d", i) }
func nbIsForeground(i int) bool { return i%(nbScripts/nbForeground) == 0 }

// nbImage is suite's image with the 20 scripts and their daemon,
// enabled with update-rc.d defaults (run in the image).
func nbImage(b *testing.B, suite string) string {
	b.Helper()
	img := newImage(b, suite)
	files := map[string]string{"opt/nubench/daemon.sh": nbDaemon}
	for i := range nbScripts {
		files["etc/init.d/"+nbName(i)] = nbScript(nbName(i), nbIsForeground(i))
	}
	writeFiles(b, img, 0o755, files)
	for i := range nbScripts {
		chrootRun(b, img, "/usr/sbin/update-rc.d", nbName(i), "defaults")
	}
	return img
}

// nbBuild builds img with the plugin and checks that every script got its
// unit, the foreground ones Type=simple.
func nbBuild(b *testing.B, img string, vars map[string]string) {
	b.Helper()
	report := filepath.Join(b.TempDir(), "report.json")
	all := map[string]string{"root_dir": img, "report_file": report}
	for k, v := range vars {
		all[k] = v
	}
	// Not logged when it works: a benchmark's log keeps ten lines, kept
	// for the figures.
	if out, ok, line, _ := packerRun(b, "local.pkr.hcl", all); !ok {
		b.Fatalf("packer %s failed:\n%s", line, out)
	}
	changes := reportChanges(b, report)
	for i := range nbScripts {
		if !changes["write /etc/systemd/system/"+nbName(i)+".service"] {
			b.Fatalf("the build wrote no unit for %s", nbName(i))
		}
	}
	data, err := os.ReadFile(report)
	if err != nil {
		b.Fatal(err)
	}
	if n := strings.Count(string(data), "Type=simple: its start action waits for a daemon that stays in the foreground"); n != nbForeground {
		b.Fatalf("the build made %d units Type=simple, want %d", n, nbForeground)
	}
}

// nbBoot boots img until all 20 daemons are up and returns the time from
// PID 1's start to the last ready mark. It does not wait for the boot to
// finish: under the generator a foreground script's unit stays activating
// (Type=forking) for its 5-minute timeout, holding multi-user.target.
func nbBoot(b *testing.B, img string) time.Duration {
	b.Helper()
	m := startMachine(b, img, machineName(), nil, (*machine).poweroff)
	m.waitUp("start the 20 daemons", 50*time.Millisecond, func() bool {
		out, _ := m.runQuiet("ls /run/nubench 2>/dev/null | grep -c '[.]ready$'")
		return strings.TrimSpace(out) == fmt.Sprint(nbScripts)
	})
	// systemd's UserspaceTimestamp (its start, in us) against the last
	// mark (ns), both on the clock the container shares with the host.
	cmd := "last=$(cat /run/nubench/*.ready | sort -n | tail -n 1); " +
		"start=$(date -d \"$(systemctl show -P UserspaceTimestamp --timestamp=us+utc | cut -d' ' -f2-)\" +%s%N); echo \"$last $start\""
	out, code := m.runQuiet(cmd)
	if code != 0 {
		m.fail("%q exited %d: %s", cmd, code, out)
	}
	var last, start int64
	if _, err := fmt.Sscan(out, &last, &start); err != nil || start == 0 || last < start {
		b.Fatalf("boot timing: %q: %v", out, err)
	}
	// Every daemon is the one its unit started (not a leftover).
	for i := range nbScripts {
		if _, code := m.runQuiet("systemctl is-active -q " + nbName(i) + " || systemctl is-active " + nbName(i) + " | grep -qx activating"); code != 0 {
			m.fail("%s is not active after its daemon started", nbName(i))
		}
	}
	m.poweroff()
	// (/run is nspawn's tmpfs: the next boot starts without the marks.)
	return time.Duration(last - start)
}

// BenchmarkNativeUnitsBoot: b.N rounds, each booting forky through
// initcompat's units, trixie through its generator, and trixie through
// initcompat's units.
func BenchmarkNativeUnitsBoot(b *testing.B) {
	requireBoot(b)
	forky := nbImage(b, "forky")
	nbBuild(b, forky, nil)
	trixie := nbImage(b, "trixie")
	trixieUnits := nbImage(b, "trixie")
	nbBuild(b, trixieUnits, map[string]string{"native_units_for_init_scripts": "true"})
	if v := imageSystemd(forky); v < 260 {
		b.Fatalf("forky's systemd is %d: it still has the generator", v)
	}
	sides := []struct{ name, img string }{{"forky-units", forky}, {"trixie-generator", trixie}, {"trixie-units", trixieUnits}}
	// A first boot is not timed: it runs ldconfig, the journal catalog
	// and systemd-update-done (ConditionNeedsUpdate), once.
	for _, s := range sides {
		nbBoot(b, s.img)
	}
	boots := map[string][]time.Duration{}
	b.ResetTimer()
	for i := range b.N {
		// Each round starts with the next image, so that none always
		// follows the same one.
		for j := range sides {
			s := sides[(i+j)%len(sides)]
			boots[s.name] = append(boots[s.name], nbBoot(b, s.img))
		}
	}
	b.StopTimer()
	for _, s := range sides {
		b.ReportMetric(float64(median(boots[s.name]).Nanoseconds()), s.name+"-ns/boot")
	}
	b.ReportMetric(pairedRatio(boots["forky-units"], boots["trixie-generator"]), "ratio")
	b.ReportMetric(pairedRatio(boots["trixie-units"], boots["trixie-generator"]), "trixie-units-ratio")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d.Microseconds())/1000) }
	b.Logf("systemd: forky %d, trixie %d; %d rounds, ms from systemd's start until the %d daemons are up:",
		imageSystemd(forky), imageSystemd(trixie), b.N, nbScripts)
	for _, s := range sides {
		row := make([]string, len(boots[s.name]))
		for i, d := range boots[s.name] {
			row[i] = ms(d)
		}
		b.Logf("  %-17s median %s: %s", s.name, ms(median(boots[s.name])), strings.Join(row, " "))
	}
}
