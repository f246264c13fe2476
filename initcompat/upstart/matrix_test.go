package upstart

import (
	"fmt"
	"strings"
)

// matrixCase is one job file (and override) of the matrix the real
// Upstart judges.
type matrixCase struct {
	Name     string `json:"name"`
	Conf     string `json:"conf"`
	Override string `json:"override,omitempty"`
	// HasOverride: the case has an override file (it may be empty).
	HasOverride bool `json:"has_override,omitempty"`
}

// matrix is every stanza with values Upstart takes and values it refuses,
// the tokeniser's quirks (quotes, escapes, continuations, comments, CR),
// script blocks, event expressions and overrides. Cases are named by
// their place in the list, so appending keeps the recorded verdicts.
func matrix() []matrixCase {
	var out []matrixCase
	add := func(conf string) { out = append(out, matrixCase{Conf: conf}) }
	over := func(conf, override string) {
		out = append(out, matrixCase{Conf: conf, Override: override, HasOverride: true})
	}
	lines := func(stanza string, values ...string) {
		for _, v := range values {
			add(strings.TrimRight(stanza+" "+v, " ") + "\n")
		}
	}
	// One-word stanzas.
	for _, s := range []string{"description", "author", "version", "usage", "instance", "chroot", "chdir", "setuid", "setgid", "env"} {
		lines(s, "word", `"two words"`, "two words", "", `""`, `'single "q"'`, `a\ b`, `a#b`, "a # c", "\"multi\nline\"", "a\\\n  b")
	}
	lines("env", "A=b", `A="b c"`, "A", "A=$B", "=x", `A=b\`)
	for _, s := range []string{"export", "emits"} {
		lines(s, "A", "A B C", "", "A # c", `"A B"`)
	}
	lines("expect", "stop", "daemon", "fork", "none", "forking", `"fork"`, "fork extra", "", "Fork", "fork # c")
	lines("task", "", "x", "# c")
	lines("kill", "timeout 0", "timeout 5", "timeout -1", "timeout 1x", "timeout", `timeout ""`, `timeout " 5"`, "timeout +5",
		"timeout 9223372036854775807", "timeout 9223372036854775808", "timeout 0x10", "timeout 010", "timeout 5 6", "foo", "")
	lines("kill signal", "TERM", "SIGTERM", "sigterm", "9", "0", "2147483647", "2147483648", "-1", "SIGSIGTERM", "UNUSED",
		"SIGRTMIN", "CLD", "POLL", "IOT", "STKFLT", "64", "65", "SIG", "TERM KILL")
	lines("reload", "signal HUP", "signal USR1", "signal foo", "foo", "signal")
	lines("respawn", "", "limit 10 5", "limit unlimited", "limit unlimited 5", "limit 10", "limit x 5", "limit 10 x",
		"limit -1 5", "limit 2147483647 5", "limit 2147483648 5", "limit 4294967296 5", "limit 10 -1", "foo", "limit 0 0", "limit", "# c")
	lines("normal", "exit 0", "exit 0 1 TERM SIGHUP", "exit -1", "exit 2147483648", "exit 2147483647", "exit NOPE", "exit",
		"foo", "exit 0 # c", "exit 256", "exit -0")
	lines("console", "none", "output", "owner", "log", "logs", "", "output x")
	lines("umask", "022", "0777", "777", "1000", "999", "8", "-0", "-1", "40000000000", "40000000022", `"  022"`, "0x12", "abc", "")
	lines("nice", "-20", "19", "20", "-21", "0", "+5", "4294967296", "4294967295", "-4294967296", "9223372036854775808", "abc", `"  5"`, "")
	lines("oom", "score -1000", "score 1000", "score 1001", "score -1001", "score never", "score 0", "score 4294967296", "score x",
		"score", "-17", "15", "16", "-18", "never", "x", "4294967296", "", "-16", "7")
	for _, r := range []string{"as", "core", "cpu", "data", "fsize", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "sigpending", "stack", "bogus"} {
		lines("limit "+r, "1 2")
	}
	lines("limit nofile", "unlimited unlimited", "-1 -1", "1.5 2", "1", "1 2 3", "18446744073709551615 1", "18446744073709551616 1", "", " 1 unlimited")
	lines("apparmor", "load x", "switch y", "foo", "load", "switch a b")
	lines("cgroup", "cpu", "cpu name", "cpu key value", "cpu name key value", "cpu name key value extra", "")
	lines("manual", "", "respawn", "foo", "# c")
	lines("debug", "", "task")
	// Stanza names and the tokeniser.
	for _, s := range []string{"Respawn\n", "\"respawn\"\n", "respawnn\n", "start-on x\n", "  respawn\n", "\\\nrespawn\n",
		"respawn\r\n", "respawn#c\n", "respawn # c\n", "# only a comment\n", "\n\n\nrespawn x\n", "respawn\\", "respawn \\\n",
		"task\\\n\n", "description 'unterminated\n", "description \"a\\\"b\"\n", "description a\\\\b\n", "description \"a\\nb\"\n",
		"\t\r\n", "description x\r\n", "description \"x\r\ny\"\n", "exec /bin/true\x00\n"} {
		add(s)
	}
	// exec lines.
	lines("exec", "/bin/true", "", "a # c", "a#b", `"a # b"`, "a \\\n     b", "a \\x", `a \\ b`, "'unterminated", "a 'q\nr'",
		"a \\\n", `a "b c"   d  `, "a\tb", "a \\#b")
	lines("pre-start", "exec /bin/true", "exec", "foo", "", "exec a # c")
	lines("post-stop", "exec x y")
	// Script blocks.
	for _, s := range []string{
		"script\n  echo x\nend script\n",
		"script\n  echo x\nend script # done\n",
		"script\n  echo x\nend  script\n",
		"script\n  echo x\nendscript\nend script\n",
		"script\n  echo x\nend scripts\nend script\n",
		"script\n  echo x\n  end script  \n",
		"script\n  echo x\n",
		"script\n  echo x\nend script",
		"script\n\techo a\n\t\techo b\nend script\n",
		"script\n    a\n  b\n    c\nend script\n",
		"script\n  a\n\n  b\nend script\n",
		"script\n  a\n \t b\nend script\n",
		"script extra\n  a\nend script\n",
		"script # c\n  a\nend script\n",
		"pre-start script\n  a\nend script\n",
		"post-start script\n  cat <<EOF\n  x\n  EOF\nend script\n",
		"pre-stop script\n  a\r\nend script\r\n",
		"script\nend script\n",
		"script\n  a\nend\tscript\n",
		"script\n  a\nend script extra\n",
		"script\n  a\nend script\nrespawn\n",
		"script\n  a\nend exec\n",
		"exec /bin/a\nscript\n  b\nend script\n",
		"script\n  b\nend script\nexec /bin/a\n",
	} {
		add(s)
	}
	// Event expressions.
	lines("start on", "startup", "runlevel [2345]", "(a and b)", "a or b and c", "a b c", "a X=1 y", "a X=1 Y=2", "a X!=1",
		"(a", "a)", "a (b)", "(a) b", "and a", "a and", "(", "()", "a and (b or c)", `a X="1 2"`, "", "a # c", "((((a))))",
		"a and\n  b", "(a and\n  b)", "(a # c\n  and b)", "(a\n\n  and b)\n", "(a and\n  b", "a) or (b", "(a) or (b)", "(a)(b)",
		"a and b or c and d", "a or (b and (c or d e=f))", "net-device-up IFACE!=lo", `"quoted"`, "a 'x y' Z=1",
		"stopped rc RUNLEVEL=[2345]", "a or", "or", "(a or b", "a\\\n and b")
	lines("start", "foo", "", "on")
	lines("stop on", "runlevel [!2345]", "(a", "a b=c d")
	add("start on a\nstart on b\n")
	add("start on a\nmanual\n")
	add("manual\nstart on a\n")
	add("start on (a\n  # comment\n  or b)\nexec /bin/x\n")
	// Overrides: the class, and a refused override.
	over("start on a\nexec /bin/a\nnice 5\n", "manual\n")
	over("start on a\nexec /bin/a\n", "start on b\n")
	over("exec /bin/a\n", "script\n  b\nend script\n")
	over("exec /bin/a\nnice 5\n", "nice 3\nbogus\nnice 7\n")
	over("exec /bin/a\nenv A=1\n", "env B=2\n")
	over("expect forking\nexec /bin/a\n", "nice 3\n")
	over("exec /bin/a\n", "expect forking\n")
	over("exec /bin/a\n", "")
	over("exec /bin/a\n", "start on (a\n")
	over("kill signal FOO\nexec /bin/a\n", "nice 3\n")
	over("expect forking\nexec /bin/a\n", "")
	over("expect forking\nexec /bin/a\n", "nice 40\n")
	over("exec /bin/a\nnice 5\n", "nice 3\nkill signal FOO\nnice 7\n")
	over("respawn\nexec /bin/a\n", "manual\n")
	// Patterns of real jobs, written anew. Two start on and three stop on
	// stanzas (the last of each counts), respawn limit 0 60, and a
	// post-start block whose "end script" runs into the next stanza's name
	// ("end scriptpost-stop script"), so that the block goes on to the
	// next "end script": megamsys/libmegdc templates/ubuntu/tpl_dockerdaemon.go
	// @e8a1d99664a1de58f5aec3e1849cee5e902286e6 (a job written by Go code).
	add("start on runlevel [2345]\nstart on (started networking)\nstop on runlevel [016]\nstop on (stopping networking)\n" +
		"stop on (stopped agentd)\nrespawn\nrespawn limit 0 60\nscript\n echo start >> /var/log/agent.log\n exec agentd -D\nend script\n" +
		"post-start script\n   PID=$(status agentd | egrep -oi '([0-9]+)$' | head -n1)\n   echo $PID > /run/agentd.pid\n" +
		"end scriptpost-stop script\n   rm -f /run/agentd.pid\nend script\n")
	// Placeholders a generator left unexpanded (${{daemon_user}}), a
	// chdir of one: sbt-native-packager's Upstart template shape
	// (description "${{descr}}", setuid ${{daemon_user}}, chdir ${{chdir}}).
	add("description \"${{descr}}\"\nstart on runlevel [2345]\nsetuid ${{daemon_user}}\nchdir ${{chdir}}\nscript\n  exec bin/${{exec}}\nend script\n")
	// An unquoted multi-word description, the first line of many
	// hand-written jobs: Upstart refuses the job ("Unexpected token").
	add("description My Web App\nstart on filesystem\nexec /opt/app/run\n")
	// What an override does to each kind of stanza (issue 33): the lists
	// grow (env, export, emits, normal exit), every other value is the
	// last one set in either file, a manual and a start on undo each
	// other whichever file they are in, a process replaces the other
	// form of the same process, a limit replaces that resource's only,
	// and oom and oom score set one value.
	over("manual\nexec /bin/a\n", "start on b\n")
	over("start on a\nexec /bin/a\n", "manual\nstart on b\n")
	over("start on a\nstop on x\nexec /bin/a\n", "manual\n")
	over("exec /bin/a\nexport A\nemits x\nnormal exit 0 1\n", "export B C\nemits y\nnormal exit 2 TERM\n")
	over("exec /bin/a\nenv A=1\nenv A=2\n", "env A=3\nenv B\n")
	over("exec /bin/a\nlimit nofile 1 2\nlimit core 3 4\n", "limit nofile 5 6\n")
	over("exec /bin/a\noom score 5\n", "oom 10\n")
	over("exec /bin/a\noom 10\n", "oom score 5\n")
	over("script\n  a\nend script\n", "exec /bin/b\n")
	over("pre-start exec /bin/a\npost-stop script\n  c\nend script\nexec /bin/x\n", "pre-start script\n  b\nend script\npost-stop exec /bin/d\n")
	over("respawn\nrespawn limit 3 4\nexec /bin/a\n", "respawn limit unlimited\n")
	over("task\nexec /bin/a\n", "respawn\n")
	over("exec /bin/a\ndescription a\ninstance $X\nconsole output\nkill signal INT\nkill timeout 9\nreload signal USR1\nexpect fork\n",
		"description b\ninstance $Y\nconsole none\nkill signal QUIT\nkill timeout 3\nreload signal USR2\nexpect daemon\n")
	over("exec /bin/a\nnice 5\numask 077\nchdir /a\nchroot /r\nsetuid u\nsetgid g\n", "nice -5\numask 022\nchdir /b\nchroot /s\nsetuid v\nsetgid h\n")
	over("exec /bin/a\napparmor load /p/a\napparmor switch x\n", "apparmor load /p/b\napparmor switch y\ndebug\n")
	add("exec /bin/a\nscript\n  b\nend script\nexec /bin/c\n")
	add("start on a\nmanual\nstart on b\nmanual\nexec /bin/a\n")
	add("pre-start script\n  a\nend script\npre-start exec /bin/b\nexec /bin/c\n")
	add("exec /bin/a\nnormal exit 0\nnormal exit 1 HUP\nenv A=1\nexport A\nexport A\n")
	// Jobs without a main process, and a daemon started on startup.
	add("respawn\npost-start exec /bin/a\npost-stop exec /bin/b\n")
	add("start on startup\nrespawn\nexpect fork\nexec /bin/a\n")
	over("start on runlevel [2345]\nrespawn\nexec /bin/a\n", "start on startup\n")
	// env values as written, $ and % and quotes kept (the translation's
	// Environment= must give the processes these bytes).
	add("exec /bin/a\nenv USER=notes\nenv HOME=/home/$USER\nenv XDG_CONFIG_HOME=$HOME/.config\n" +
		"env GREETING=\"it's 100% \\\"ready\\\" \\\\ ok\"\nenv P='50%'\nenv T=\"a\tb\"\n")
	for i := range out {
		out[i].Name = fmt.Sprintf("m%03d", i)
	}
	return out
}
