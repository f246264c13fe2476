package upstartunit

import (
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// A job's processes are read as the shell reads them (issue 33, "shell
// read as shell"): a here-document, a quoted string and a comment are
// data, not calls of Upstart's stop or reads of its event variables; a
// command string given to su -c is shell again, whose trailing & puts the
// daemon in the background.
func TestProcessesReadAsShell(t *testing.T) {
	job := func(t *testing.T, text string) *Unit {
		t.Helper()
		st, err := upstart.Parse("/etc/init/app.conf", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return Translate(upstart.Merge("app", st, nil), "/etc/init/app.conf", func(string) (bool, bool) { return false, false })
	}
	quiet := job(t, `start on runlevel [2345]
pre-start script
	cat >/etc/app.motd <<'MOTD'
stop the world; then $JOB ends and initctl emit done
MOTD
	echo 'stop $UPSTART_EVENTS' # stop $RESULT
	logger 'initctl start other'
end script
exec /usr/bin/app
`)
	for _, n := range quiet.Notes {
		if strings.Contains(n.Msg, "Upstart's") || strings.Contains(n.Msg, "initctl") || strings.Contains(n.Msg, "reads $") {
			t.Errorf("data read as a call or a read: %s: %s", n.At, n.Msg)
		}
	}
	loud := job(t, `start on runlevel [2345]
pre-start script
	[ -r /etc/app.conf ] || stop
end script
script
	su -c '/usr/bin/app --serve &' app
end script
`)
	var stop, forks bool
	for _, n := range loud.Notes {
		stop = stop || (n.At == "/etc/init/app.conf:3" && strings.Contains(n.Msg, "calls Upstart's stop"))
		forks = forks || strings.Contains(n.Msg, "a trailing &")
	}
	if !stop || !forks {
		t.Errorf("the stop at line 3 (%v) or su -c's trailing & (%v) not seen: %+v", stop, forks, loud.Notes)
	}
}
