package e2e

import (
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The performance of initcompat's SysV scripts, as a benchmark (the
// house's rule: speed is measured by benchmarks, never asserted by a timed
// test on a shared machine): in one run, `service NAME start` until the
// daemon is ready, and the whole boot until it is, for the scripts a real
// packer build writes and for hand-written ones on the same units,
// alternating, so that the machine's load falls on both. The bound
// is 1.1 times the hand-written script; the benchmark reports the median
// of the rounds' ratios (start-ratio, boot-ratio) and the medians.
//
//	make bench-sysv   (INITCOMPAT_E2E=1, root; -benchtime Nx sets the rounds)
//
// sysvinit's contrib sysd2v.sh, the third column of the figures in
// docs/unit-to-lsb.md, is not run: it is GPL-3 code of another project
// that this repository does not carry, and what it does on these units
// (a 60 s notify timeout waited out, a stop that never matches a script
// daemon) is recorded there from the phase-1 run.

// Hand-written LSB scripts for the same two units, as a person who knows
// Debian's tools would write them (start-stop-daemon, nothing else): the
// yardstick initcompat's scripts are held to. They do less than the
// unit says (no Restart=, the environment file sourced as shell): what a
// careful hand does in an afternoon.
const helloHand = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          hello-hand
# Required-Start:    $network $remote_fs
# Required-Stop:     $network $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: hello, by hand
### END INIT INFO
PIDFILE=/run/hello-hand.pid
HELLO_OPTS=
[ -r /etc/default/hello ] && . /etc/default/hello
case "$1" in
start)
	mkdir -p /run/hello /var/log/hello && chown hello:hello /run/hello /var/log/hello
	ulimit -n 4096
	exec start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PIDFILE \
		--chuid hello:hello --chdir /opt/daemon_test --startas /usr/bin/env -- -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/hello USER=hello \
		"GREETING=hello world" "QUOTE=it's \$(id)" /opt/daemon_test/hello.sh --greeting "hello world" $HELLO_OPTS
	;;
stop)
	start-stop-daemon --stop --quiet --pidfile $PIDFILE --retry TERM/90/KILL/5 --remove-pidfile
	rm -rf /run/hello
	;;
status)
	start-stop-daemon --status --pidfile $PIDFILE
	;;
reload)
	start-stop-daemon --stop --signal HUP --quiet --pidfile $PIDFILE
	;;
restart)
	$0 stop; $0 start
	;;
*)
	echo "Usage: $0 {start|stop|status|reload|restart}" >&2
	exit 2
	;;
esac
`

const caddyHand = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          caddy-hand
# Required-Start:    $network $remote_fs
# Required-Stop:     $network $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: caddy, by hand
### END INIT INFO
PIDFILE=/run/caddy-hand.pid
case "$1" in
start)
	ulimit -n 1048576
	HOME=/var/lib/caddy USER=caddy
	export HOME USER
	exec setpriv --securebits=+no_setuid_fixup --inh-caps=+net_admin,+net_bind_service --ambient-caps=+net_admin,+net_bind_service -- \
		start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PIDFILE --notify-await \
		--chuid caddy:caddy --startas /usr/bin/caddy -- run --environ --config /etc/caddy/Caddyfile
	;;
stop)
	start-stop-daemon --stop --quiet --pidfile $PIDFILE --retry TERM/5/KILL/5 --remove-pidfile
	;;
status)
	start-stop-daemon --status --pidfile $PIDFILE
	;;
*)
	echo "Usage: $0 {start|stop|status}" >&2
	exit 2
	;;
esac
`

// BenchmarkSysvStartAndBoot: b.N rounds of service start until ready,
// then sysvBootRounds boots with each variant enabled alone.
func BenchmarkSysvStartAndBoot(b *testing.B) {
	requireBoot(b)
	img := sysvCopy(b, sysvDerived(b, "caddy"))
	setupHello(b, img)
	provisionSysv(b, img, map[string]string{"services": `["caddy"]`})
	writeFiles(b, img, 0o755, map[string]string{"etc/init.d/hello-hand": helloHand, "etc/init.d/caddy-hand": caddyHand})
	for _, s := range []string{"hello-hand", "caddy-hand"} {
		chrootRun(b, img, "update-rc.d", s, "defaults")
	}
	enableOnly(b, img, nil)
	m := bootSysv(b, img)
	times := map[string][]time.Duration{}
	b.ResetTimer()
	for range b.N {
		for _, s := range []string{"hello", "hello-hand"} {
			times[s] = append(times[s], startToReady(m, s, "/run/hello/ready"))
			m.must("service " + s + " stop >/dev/null 2>&1; sleep 0.2")
		}
		for _, s := range []string{"caddy", "caddy-hand"} {
			// Type=notify: start returns when caddy sent READY=1.
			times[s] = append(times[s], startToReady(m, s, ""))
			m.must("ss -ltnH 'sport = :80' | grep -q .")
			m.must("service " + s + " stop >/dev/null 2>&1; sleep 0.2")
		}
	}
	b.StopTimer()
	m.sysvShutdown()
	boots := map[string][]time.Duration{}
	variants := [][]string{{"hello", "caddy"}, {"hello-hand", "caddy-hand"}}
	for range sysvBootRounds {
		for _, v := range variants {
			enableOnly(b, img, v)
			m = bootSysv(b, img)
			m.waitFor("hello ready", "test -s /run/hello/ready", 30*time.Second)
			m.waitFor("caddy listening", "ss -ltnH 'sport = :80' | grep -q .", 30*time.Second)
			// From init's start to the daemon's ready mark, both on the
			// kernel's clock (proc(5): /proc/1/stat starttime in clock
			// ticks, /proc/uptime in seconds): no polling of ours in it.
			out := m.must("read -r up _ </run/hello/ready; set -- $(sed 's/.*) //' /proc/1/stat); " +
				"echo \"$up $(getconf CLK_TCK) ${20}\"")
			var up, hz, start float64
			if _, err := fmt.Sscan(out, &up, &hz, &start); err != nil {
				b.Fatalf("boot timing: %q: %v", out, err)
			}
			boots[v[0]] = append(boots[v[0]], time.Duration((up-start/hz)*float64(time.Second)))
			m.sysvShutdown()
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, s := range []string{"hello", "hello-hand", "caddy", "caddy-hand"} {
		b.ReportMetric(ms(median(times[s])), s+"-start-ms")
	}
	b.ReportMetric(pairedRatio(times["hello"], times["hello-hand"]), "hello-start-ratio")
	b.ReportMetric(pairedRatio(times["caddy"], times["caddy-hand"]), "caddy-start-ratio")
	b.ReportMetric(ms(median(boots["hello"])), "boot-ms")
	b.ReportMetric(ms(median(boots["hello-hand"])), "hand-boot-ms")
	b.ReportMetric(pairedRatio(boots["hello"], boots["hello-hand"]), "boot-ratio")
	b.Logf("service start until ready: %v; boots: %v", times, boots)
}

// sysvBootRounds is how many boots each variant gets.
const sysvBootRounds = 3

// chrootRun runs an image's own tool in the image (a test's setup, never
// the build's).
func chrootRun(t testing.TB, root string, args ...string) {
	t.Helper()
	if out, err := exec.Command("chroot", append([]string{root}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("chroot %v: %v\n%s", args, err, out)
	}
}

// enableOnly leaves exactly these scripts' start links (update-rc.d
// enable|disable, which keeps insserv's order); nil disables all four.
func enableOnly(t testing.TB, root string, names []string) {
	t.Helper()
	for _, s := range []string{"hello", "caddy", "hello-hand", "caddy-hand"} {
		action := "disable"
		for _, n := range names {
			if n == s {
				action = "enable"
			}
		}
		chrootRun(t, root, "update-rc.d", s, action)
	}
}

// median of durations.
func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// startToReady times `service NAME start` until the daemon's ready file
// exists, inside the machine (no nsenter in the timing).
func startToReady(m *machine, name, ready string) time.Duration {
	m.t.Helper()
	// ready "" is a start that returns when the daemon is ready itself
	// (Type=notify): the time until start returns.
	wait := ""
	if ready != "" {
		wait = "rm -f " + ready + "; "
	}
	out := m.must(fmt.Sprintf(`%[3]st0=$(date +%%s%%N); service %[1]s start >/dev/null 2>&1 || exit 7; `+
		`i=0; until [ -z "%[2]s" ] || [ -e "%[2]s" ]; do i=$((i+1)); [ $i -lt 20000 ] || exit 8; sleep 0.001; done; t1=$(date +%%s%%N); echo $(( (t1-t0)/1000 ))`, name, ready, wait))
	us, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		m.sysvFail("timing %s: %q", name, out)
	}
	return time.Duration(us) * time.Microsecond
}

// pairedRatio is the median of ours[i]/theirs[i].
func pairedRatio(ours, theirs []time.Duration) float64 {
	r := make([]float64, len(ours))
	for i := range ours {
		r[i] = float64(ours[i]) / float64(theirs[i])
	}
	sort.Float64s(r)
	return r[len(r)/2]
}
