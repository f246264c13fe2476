package lsb

import "testing"

// Sick Beard's init.ubuntu (the sickbeard case) stops by its pid file
// alone, which the daemon, run with -c sickbeard, writes itself; the
// other cases' stops match on --exec or --name, or make the pid file as
// root, and are not reported.
func TestCheckStop(t *testing.T) {
	found := map[string]StopMiss{}
	for _, c := range loadStartCases(t) {
		if m, ok := CheckStop(c.script, c.defaults); ok {
			found[c.name] = m
		}
	}
	m, ok := found["sickbeard"]
	if !ok || m.Line != 23 || m.StartLine != 20 || m.Pidfile != "/var/run/sickbeard/sickbeard.pid" || m.User != "sickbeard" {
		t.Errorf("sickbeard: %+v (found %v)", m, ok)
	}
	delete(found, "sickbeard")
	for name, m := range found {
		t.Errorf("%s reported: %s", name, m.Why)
	}
	// The same stop with the daemon run as root, or the pid file made by
	// start-stop-daemon, is fine.
	for _, script := range []string{
		"case $1 in start) start-stop-daemon --start --pidfile /run/a.pid --exec /usr/bin/a ;; stop) start-stop-daemon --stop --pidfile /run/a.pid ;; esac\n",
		"case $1 in start) start-stop-daemon --start -c a -m -b --pidfile /run/a.pid --exec /usr/bin/a ;; stop) start-stop-daemon --stop --pidfile /run/a.pid ;; esac\n",
		"case $1 in start) start-stop-daemon --start -c a --pidfile /run/a.pid --exec /usr/bin/a ;; stop) start-stop-daemon --stop --user a --pidfile /run/a.pid ;; esac\n",
	} {
		if m, ok := CheckStop([]byte(script), nil); ok {
			t.Errorf("%q reported: %s", script, m.Why)
		}
	}
}
