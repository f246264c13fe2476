package lsb

import (
	"fmt"
	"path"
	"strings"
)

// StopMiss is a stop action that cannot stop its daemon, as the text
// shows: its start-stop-daemon --stop matches on a pid file alone, and
// that file is written by the daemon itself, running as another user than
// root (the start call's --chuid, without --make-pidfile).
// start-stop-daemon refuses such a file ("matching only on non-root
// pidfile %s is insecure", dpkg utils/start-stop-daemon.c since 1.19.3,
// commit bc9736f6f "s-s-d: Check whether standalone --pidfile use is
// secure") and exits 2 having stopped nothing. Under the unit
// systemd-sysv-generator makes (KillMode=process, GuessMainPID=no, no
// PIDFile=) systemd knows no main process, so "systemctl stop" then kills
// nothing either: booted on bookworm (dpkg 1.21.23, systemd 252) with
// Sick Beard's init.ubuntu, the unit ends "failed" and logs "Unit process
// N remains running after unit stopped".
type StopMiss struct {
	// Line is the start-stop-daemon --stop call's; StartLine the start
	// call's that runs the daemon as User.
	Line, StartLine int
	Pidfile, User   string
	// Why says it for a person.
	Why string
}

// CheckStop reads the stop and start actions of a script for a stop
// that cannot work as StopMiss says.
func CheckStop(script []byte, defaults Defaults) (StopMiss, bool) {
	stop := ReadAction(script, "stop", defaults)
	start := ReadStart(script, defaults)
	for _, r := range stop.Runs {
		p, ok := r.Program()
		if !ok || path.Base(p) != "start-stop-daemon" {
			continue
		}
		s := ParseSSD(r.Argv)
		if !s.Stop || s.Unread || s.Pidfile == "" || s.Exec != "" || s.Name != "" || s.User != "" || s.Pidfile == "/dev/null" {
			continue
		}
		for _, c := range start.Calls {
			if c.SSD == nil || c.SSD.Pidfile != s.Pidfile || c.SSD.MakePidfile || c.SSD.Unread {
				continue
			}
			user, _, _ := strings.Cut(c.SSD.Chuid, ":")
			if user == "" || user == "root" || user == "0" {
				continue
			}
			return StopMiss{Line: r.Line, StartLine: c.Line, Pidfile: s.Pidfile, User: user,
				Why: fmt.Sprintf("line %d: start-stop-daemon --stop matches on --pidfile %s alone, and the daemon started at line %d as %s (--chuid, no --make-pidfile) writes that file as %s: start-stop-daemon refuses a pid file a user other than root owns when it matches on nothing else (\"matching only on non-root pidfile ... is insecure\", dpkg 1.19.3 and later) and stops nothing; the unit systemd-sysv-generator makes (KillMode=process, no main PID) then leaves the daemon running. The script's stop call needs --user %s or --exec, or its start call --make-pidfile",
					r.Line, s.Pidfile, c.Line, user, user, user)}, true
		}
	}
	return StopMiss{}, false
}
