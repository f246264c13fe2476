package lsb

import (
	"strings"
	"testing"
	"time"
)

// ParseHeader never panics, and a rendered script always reads back.
func FuzzHeader(f *testing.F) {
	f.Add("### BEGIN INIT INFO\n# Provides: x\n# Description: a\n#  b\n### END INIT INFO\n", "x desc")
	f.Add("# chkconfig: 2345 20 80\n", "\x00\n\t")
	f.Fuzz(func(t *testing.T, script, desc string) {
		ParseHeader([]byte(script))
		h, ok := ParseHeader(Render(Redirect{Name: "svc", Unit: "svc.service", Marker: "# m", ShortDesc: desc}))
		if !ok || len(h.Provides) != 1 || h.Provides[0] != "svc" {
			t.Fatalf("rendered header does not read back: %+v", h)
		}
	})
}

// ReadStart never panics, stays within its bounds, and every line it
// names is a line of the script (or of the string parsed again, which
// counts as the line that runs it).
func FuzzReadStart(f *testing.F) {
	f.Add("NAME=x\nDAEMON=/usr/sbin/$NAME\n. /etc/default/$NAME\nstart-stop-daemon -S -x $DAEMON -- \\\n a\n", "DAEMON=${X:-y}\n")
	f.Add("start-stop-daemon --start=x -b -p\ncmd & echo $!\ndaemon --user u\n", "")
	f.Add("case \"$1\" in start) su -c \"$C & echo \\$!\" u ;; esac\n", "C='/opt/x/bin/x --a'\n")
	f.Add("f() { g \"$@\"; }\ng() { eval \"$1\"; }\nf 'setsid -f /x'\n", "")
	f.Add("X=$(nohup /x & echo $!)\ncat <<E\nstart-stop-daemon -S -x /y\nE\n", "V1=$V0$V0\nV2=$V1$V1\n")
	f.Add("if [ true != \"$INIT_D_SCRIPT_SOURCED\" ]; then set \"$0\" \"$@\"; INIT_D_SCRIPT_SOURCED=true . /lib/init/init-d-script; fi\nDAEMON=/x\n", "")
	f.Fuzz(func(t *testing.T, script, defaults string) {
		var st Start
		done := make(chan bool)
		go func() {
			st = ReadStart([]byte(script), func(string) []byte { return []byte(defaults) })
			ScriptForks([]byte(script))
			ReadAction([]byte(script), "stop", nil)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("no answer in 5 s")
		}
		lines := strings.Count(script, "\n") + 1
		for _, c := range st.Calls {
			if c.Line < 1 || c.Line > lines {
				t.Fatalf("call at line %d of a script of %d lines", c.Line, lines)
			}
			for _, a := range c.Args {
				if len(a.Text) > maxValue {
					t.Fatalf("a %d-byte word", len(a.Text))
				}
			}
		}
		if st.Detach != NoStart && st.Unread == "" && (st.Line < 1 || st.Line > lines) {
			t.Fatalf("line %d is not in a script of %d lines", st.Line, lines)
		}
	})
}
