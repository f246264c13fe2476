package lsb

import (
	"testing"
)

// Each script reproduces a pattern of a public init script (cited) in a
// few lines of its own; none is copied.
func TestReadStart(t *testing.T) {
	defaults := map[string]string{
		"/etc/default/hello-sysvinit": "# options\nDAEMON_ARGS=\"--verbose sysvinit\"\n",
		"/etc/default/relay":          "DAEMON=/opt/relay/bin/relay.sh\n",
	}
	read := func(p string) []byte {
		if s, ok := defaults[p]; ok {
			return []byte(s)
		}
		return nil
	}
	cases := []struct {
		name, script string
		detach       Detach
		line         int
		program      string
	}{
		{
			// Debian's /etc/init.d/skeleton (as vyos-legacy/ddclient
			// debian/skeleton @125a8c6b068a4e750f0bd31f7c4472d749281ec8
			// carries it): a --test probe, then the start, continued with
			// a backslash; DAEMON from NAME; /etc/default/NAME sourced.
			name: "skeleton",
			script: "#!/bin/sh\nNAME=hello-sysvinit\nDAEMON=/opt/daemon_test/$NAME.sh\nPIDFILE=/var/run/$NAME.pid\n" +
				"[ -r /etc/default/$NAME ] && . /etc/default/$NAME\n" +
				"do_start()\n{\n\tstart-stop-daemon --start --quiet --pidfile $PIDFILE --exec $DAEMON --test > /dev/null \\\n\t\t|| return 1\n" +
				"\tstart-stop-daemon --start --quiet --pidfile $PIDFILE --exec $DAEMON -- \\\n\t\t$DAEMON_ARGS \\\n\t\t|| return 2\n}\n",
			detach: RunsProgram, line: 10, program: "/opt/daemon_test/hello-sysvinit.sh",
		},
		{
			// retux/linux-daemon-scripts daemon_start_skeleton
			// @8bbbb96d4d364fdbb70c8e2abc01353e6d37e935: --background
			// --make-pidfile with --startas, inside an if.
			name:   "background",
			script: "DAEMON=\"/home/u/my_daemon\"\ncase $1 in\n start)\n  if start-stop-daemon --start --background --oknodo --pidfile $PIDFILE --make-pidfile --startas $DAEMON -- $OPTS\n  then :\n  fi\n  ;;\nesac\n",
			detach: Detaches, line: 4, program: "/home/u/my_daemon",
		},
		{
			// Short options bundled by getopt.
			name:   "bundled",
			script: "start-stop-daemon -Sbm -p /run/x.pid -x /usr/local/bin/x\n",
			detach: Detaches, line: 1, program: "/usr/local/bin/x",
		},
		{
			// fhd/init-script-template template
			// @0aaedb52565b6fcb33e98074ce7907118716d8c3: the command put in
			// the background with "&", then "echo $! > pidfile".
			name:   "ampersand",
			script: "case \"$1\" in\n start)\n\tsudo -u \"$user\" $cmd > \"$out\" 2> \"$err\" \\\n\t\t& echo $! > \"$pid_file\"\n\t;;\nesac\n",
			detach: Detaches, line: 3,
		},
		{
			// The skeleton's call with "&" at its end (the DavMail how-to's
			// variant), and "2>&1", which is not a background.
			name:   "ssd-ampersand",
			script: "start-stop-daemon --start --quiet --pidfile $PIDFILE --exec /usr/bin/davmail -- \\\n\t$ARGS >> $LOG 2>&1 &\n",
			detach: Detaches, line: 1, program: "/usr/bin/davmail",
		},
		{
			name:   "redirect-only",
			script: "start-stop-daemon --start --exec /usr/bin/x >/dev/null 2>&1\n",
			detach: RunsProgram, line: 1, program: "/usr/bin/x",
		},
		{
			// Red Hat's daemon() from /etc/rc.d/init.d/functions.
			name:   "daemon-function",
			script: ". /etc/rc.d/init.d/functions\nprog=/usr/sbin/foo\nstart() {\n\tdaemon --pidfile=/var/run/foo.pid $prog -c /etc/foo.conf\n}\n",
			detach: RunsProgram, line: 4, program: "/usr/sbin/foo",
		},
		{
			// DAEMON set in /etc/default/NAME only.
			name:   "default-file",
			script: "NAME=relay\n. /etc/default/$NAME\nstart-stop-daemon --start --startas \"$DAEMON\" --pidfile /run/relay.pid\n",
			detach: RunsProgram, line: 3, program: "/opt/relay/bin/relay.sh",
		},
		{
			// A command substitution: the program is not known.
			name:   "unknown-program",
			script: "DAEMON=$(command -v foo)\nstart-stop-daemon --start --exec $DAEMON\n",
			detach: RunsProgram, line: 2,
		},
		{
			name:   "stop-only",
			script: "start-stop-daemon --stop --pidfile /run/x.pid\n# start-stop-daemon --start --exec /x\n",
			detach: NoStart,
		},
		{
			// One call detaches, a later one waits: the unit would wait.
			name:   "mixed",
			script: "start-stop-daemon --start -b --exec /usr/bin/a\nstart-stop-daemon --start --exec /usr/bin/b\n",
			detach: RunsProgram, line: 2, program: "/usr/bin/b",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := ReadStart([]byte(c.script), read)
			if st.Detach != c.detach || st.Line != c.line || st.Program != c.program {
				t.Errorf("got detach=%d line=%d program=%q (%s), want detach=%d line=%d program=%q", st.Detach, st.Line, st.Program, st.Seen, c.detach, c.line, c.program)
			}
		})
	}
	if got := ReadStart([]byte(cases[0].script), read).Vars["DAEMON_ARGS"]; got != "--verbose sysvinit" {
		t.Errorf("DAEMON_ARGS from /etc/default: %q", got)
	}
}

func TestKindOfAndForks(t *testing.T) {
	for head, want := range map[string]ProgramKind{"\x7fELF\x02\x01": ELFProgram, "#!/usr/bin/env bash\n": ScriptProgram, "MZ": OtherProgram} {
		if got := KindOf([]byte(head)); got != want {
			t.Errorf("KindOf(%q) = %d, want %d", head, got, want)
		}
	}
	if KindOf(nil) != UnknownProgram {
		t.Error("KindOf(nil) is not unknown")
	}
	// The field report's hello.sh: a loop in the foreground.
	loop := "#!/usr/bin/env bash\nfilename=$1\nwhile (true); do\n  sleep 1\n  date >> /opt/daemon_test/${filename}.log 2>&1\ndone\n"
	if ScriptForks([]byte(loop)) {
		t.Error("the loop script is taken for one that backgrounds")
	}
	for _, s := range []string{"#!/bin/sh\n/usr/bin/real &\n", "#!/bin/sh\nnohup /usr/bin/real >/dev/null\n", "#!/bin/sh\nexec setsid /usr/bin/real\n"} {
		if !ScriptForks([]byte(s)) {
			t.Errorf("%q is not seen to background", s)
		}
	}
}
