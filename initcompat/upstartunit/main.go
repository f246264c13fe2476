package upstartunit

import (
	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// The main process: which systemd service type keeps what Upstart kept.
//
// Upstart (init/job_process.c job_process_trace_fork, init/job.c
// job_change_state): with `expect fork|daemon` it follows the forks and
// tracks the daemon as the job's main process; a task's event is held until
// that process ends (job_finished is called for a task only when it
// stops). Without `expect` it tracks the process it started; when that
// exits the job ends, and whatever it left behind runs on, unknown to it.
//
// systemd (systemd.service(5) Type=, GuessMainPID=; systemd.kill(5)
// KillMode=): a Type=simple or Type=oneshot service whose main process has
// exited is stopped, and KillMode=control-group (the default) kills every
// process left in its cgroup. Booted on bookworm: a main process that
// forks a daemon and exits leaves `Deactivated successfully` and no daemon
// under Type=simple and Type=oneshot; under Type=forking the daemon is the
// unit's MainPID and the unit stays active.

func ruleMain(u *jobUnit) {
	typ := "simple"
	expect := u.job.Get("expect")
	forks := false
	if expect != nil {
		switch u.class.Expect {
		case "fork", "daemon":
			typ, forks = "forking", true
		case "stop":
			u.block(expect, "expect stop (readiness by SIGSTOP) has no systemd equivalent; the unit runs as Type=simple. Make the daemon use sd_notify (Type=notify) or stay in the foreground")
		case "none":
			expect = nil // Upstart's default: the process it started is the main one
		}
	}
	main := u.job.Process("main")
	if task := u.job.Get("task"); task != nil {
		if forks {
			u.info(task, "task with expect %s: Upstart tracked the daemon the task forks and held the event that started the task (start on starting ..., start %s) until that daemon ended; the unit is Type=forking, so systemd keeps and tracks the daemon (Type=oneshot would kill it when the parent exits), and units ordered after %s.service start once the parent has exited, not when the daemon ends",
				u.class.Expect, u.name, u.name)
		} else {
			typ = "oneshot"
		}
	}
	if main == nil {
		mainWithout(u)
		return
	}
	if expect == nil && !u.class.Task {
		typ = daemonizing(u, main, typ)
	}
	u.add("Service", "Type", typ)
	u.add("Service", "ExecStart", u.process("main", main))
}

// mainWithout translates a job without a main process: it runs its
// pre-start, stays "running" with no process, and runs its post-stop when
// stopped, a oneshot that remains active. systemd refuses a service without
// ExecStart=, so the pre-start takes that place.
func mainWithout(u *jobUnit) {
	u.add("Service", "Type", "oneshot")
	u.add("Service", "RemainAfterExit", "yes")
	if pre := u.job.Process("pre-start"); pre != nil {
		u.add("Service", "ExecStart", u.process("pre-start", pre))
	} else {
		u.add("Service", "ExecStart", "/bin/true")
	}
}

// daemonizing looks at the last command of a main process without
// `expect`: when it puts itself in the background, the type that keeps the
// daemon is forking. An option that may or may not mean "daemonize" (-d)
// is reported, the type left as it is.
func daemonizing(u *jobUnit, main *upstart.Stanza, typ string) string {
	last, at := lastCommand(main)
	if last == nil {
		return typ
	}
	where := &upstart.Stanza{File: main.File, Line: at}
	sure, maybe := backgroundMarker(last)
	respawn := ""
	if u.job.Has("respawn") {
		respawn = " (with respawn, Upstart also ran it again each time the parent exited)"
	}
	switch {
	case sure != "":
		u.info(where, "the main process puts itself in the background (%s) and has no expect stanza: Upstart lost track of the daemon when the parent exited and the job ended%s; under Type=simple systemd would stop the unit then and kill the daemon with its control group, so the unit is Type=forking and systemd tracks the daemon (GuessMainPID=yes). If the command stays in the foreground after all, set Type=simple in a drop-in",
			sure, respawn)
		return "forking"
	case maybe != "":
		u.info(where, "the main process passes %s and has no expect stanza: if that makes it fork into the background, systemd kills the daemon when the parent exits (Type=simple stops the unit and its control group); set Type=forking in a drop-in then, or make it stay in the foreground", maybe)
	}
	return typ
}

// lastCommand is the last statement of an exec line or script block, as
// the shell reads it, and its line in the job file.
func lastCommand(s *upstart.Stanza) (*lsb.Statement, int) {
	body := s.Block
	if !script(s) {
		body = s.Raw
	}
	f, err := lsb.ReadFacts([]byte(body), firstLine(s))
	if err != nil || f.Last == nil {
		return nil, 0
	}
	return f.Last, f.Last.Line
}

// daemonOptions are options by which daemons fork into the background
// (mongod --fork, bitmonerod --detach, uwsgi --daemonize). maybeDaemon are
// options that do in some programs and not in others: the old `docker -d`
// and WALinuxAgent's `waagent -daemon` (Azure/WALinuxAgent init/waagent.service
// runs it as Type=simple) stay in the foreground.
var (
	daemonOptions = map[string]bool{"--daemonize": true, "--daemonize=yes": true, "--detach": true, "--fork": true}
	maybeDaemon   = map[string]bool{"-d": true, "-daemon": true, "--daemon": true}
)

// backgroundMarker names what in a statement puts it in the background for
// certain, or what may (a -d option). A command string given to su -c or
// sh -c counts: the shell it goes to runs it, read as shell in turn.
func backgroundMarker(st *lsb.Statement) (sure, maybe string) {
	return marker(st, 0)
}

func marker(st *lsb.Statement, depth int) (sure, maybe string) {
	if st.Background {
		return "a trailing &", ""
	}
	ssd := false
	for i, w := range st.Words {
		if !w.Known {
			continue
		}
		prev := ""
		if i > 0 && st.Words[i-1].Known {
			prev = st.Words[i-1].Text
		}
		switch t := w.Text; {
		case prev == "-c" && depth < 2:
			if f, err := lsb.ReadFacts([]byte(t), st.Line); err == nil && f.Last != nil {
				if s, m := marker(f.Last, depth+1); s != "" || m != "" {
					return s, m
				}
			}
		case t == "start-stop-daemon":
			ssd = true
		case ssd && (t == "--background" || t == "-b"):
			return "start-stop-daemon " + t, ""
		case t == "daemon" && (i == 0 || prev == "exec"):
			return "the daemon command", ""
		case daemonOptions[t]:
			return t, ""
		case maybeDaemon[t] && maybe == "":
			maybe = t
		}
	}
	return "", maybe
}
