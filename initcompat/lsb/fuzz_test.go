package lsb

import (
	"strings"
	"testing"
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

// ReadStart never panics, and a line it decides on is a line of the script.
func FuzzReadStart(f *testing.F) {
	f.Add("NAME=x\nDAEMON=/usr/sbin/$NAME\n. /etc/default/$NAME\nstart-stop-daemon -S -x $DAEMON -- \\\n a\n", "DAEMON=${X:-y}\n")
	f.Add("start-stop-daemon --start=x -b -p\ncmd & echo $!\ndaemon --user u\n", "")
	f.Fuzz(func(t *testing.T, script, defaults string) {
		st := ReadStart([]byte(script), func(string) []byte { return []byte(defaults) })
		if st.Detach != NoStart && (st.Line < 1 || st.Line > strings.Count(script, "\n")+1) {
			t.Fatalf("line %d is not in a script of %d lines", st.Line, strings.Count(script, "\n")+1)
		}
		ScriptForks([]byte(script))
	})
}
