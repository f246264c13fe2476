package upstartunit

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// stanzaRule translates one group of stanzas. upstart says what Upstart 1.x
// does with them (init(5), init/job_process.c, init/system.c of the
// upstream sources); systemd says what the unit gets instead. The table's
// order is the order of the options in the unit. Each rule reads the job
// as Upstart holds it: the values of its class (u.class, what
// init/parse_job.c made of the .conf and its override), the stanza that
// set each only for where a note points.
type stanzaRule struct {
	stanzas string // as written in a job file
	upstart string
	systemd string
	apply   func(u *jobUnit)
}

var stanzaRules = []stanzaRule{
	{"description", "a one-line description",
		"`Description=` (control characters folded, `%` escaped)", ruleDescription},
	{"start on", "the events that start the job (see the event table)",
		"ordering and `[Install]` relations per event; a unit is enabled only when every event maps", ruleStartOn},
	{"stop on", "the events that stop the job (see the event table)",
		"`PartOf=` for job events; nothing for shutdown, which systemd does itself", ruleStopOn},
	{"manual", "the job never starts by itself: it undoes the start on before it (a start on after it, in the job or its override, counts again)", "written with `[Install]`, not enabled", ruleManual},
	{"respawn limit", "at most COUNT respawns in INTERVAL seconds (default 10 in 5), or `unlimited`; a COUNT or INTERVAL of 0 is unlimited too (init/job_process.c counts only when both are set)",
		"`StartLimitBurst=`, `StartLimitIntervalSec=` (`0` for unlimited), for a job that respawns", ruleRespawnLimit},
	{"exec, script, task, expect", "the main process; `task` holds the event that started it until the job ends; `expect fork|daemon` follows one or two forks and tracks the daemon as the main process, for a task too (init/job_process.c job_process_trace_fork, init/job.c). Without `expect` a main process that forks and exits ends the job, and its daemon runs on untracked",
		"`ExecStart=`; `Type=simple`, `oneshot` for tasks, `forking` for expect fork|daemon, with `task` too: a oneshot ends when the parent exits and systemd then kills the daemon with the rest of the control group (`KillMode=control-group`, booted), while `forking` keeps and tracks it (`GuessMainPID=yes`); units ordered after it start after the fork, not after the daemon ends (reported). Without `expect`, a main process whose last command backgrounds itself (a trailing `&`, `start-stop-daemon --background`, `daemon`, `--daemonize`, `--detach`, `--fork`) is `Type=forking`, since systemd would kill the daemon when a `Type=simple` main process exits (booted); `-d`, `-daemon`, `--daemon`, which some programs take for the foreground, are reported. A job with no main process is `Type=oneshot` with `RemainAfterExit=yes`, its pre-start as `ExecStart=`. `expect stop` has no equivalent: not enabled", ruleMain},
	{"pre-start, post-start", "run before and after the main process starts; a failure stops the job",
		"`ExecStartPre=`, `ExecStartPost=`", ruleStartHooks},
	{"pre-stop", "runs only when a stop is requested, before the main process is signalled; not when it dies by itself",
		"`ExecStop=`, guarded by `$MAINPID` so that it does not run after the process died on its own (systemd.service(5) runs `ExecStop=` then too)", rulePreStop},
	{"post-stop", "runs after the main process ended, however it ended", "`ExecStopPost=`", rulePostStop},
	{"respawn", "start the main process again when it ends by itself, unless its end is in `normal exit`; a task only when it failed (a status other than 0, or a signal). Only the main process is respawned (init/job_process.c job_process_terminated): a job without one has nothing to respawn",
		"`Restart=always`, a task `Restart=on-failure` (systemd takes an end by SIGHUP, SIGINT, SIGTERM or SIGPIPE for a clean one: forced with `RestartForceExitStatus=` where systemd allows it, reported for `Type=oneshot`); `RestartSec=100ms`. Without a main process: nothing (reported), as `Restart=always` on the `Type=oneshot` unit such a job becomes is refused by systemd", ruleRespawn},
	{"normal exit", "exit statuses and signals that are not failures (and not respawned); every `normal exit` of the job and its override counts",
		"`SuccessExitStatus=`, and `RestartPreventExitStatus=` with respawn", ruleNormalExit},
	{"chdir", "the working directory of every process", "`WorkingDirectory=`; relative commands resolve against it", ruleChdir},
	{"env, export", "`env K=V` sets a variable, the value as written (`env HOME=/home/$USER` is those 15 characters); `env K` passes init's own; every process also gets `UPSTART_JOB` and `UPSTART_INSTANCE`. The job's and its override's all count, the last of a name wins",
		"`Environment=`, quoted as systemd.syntax(7) reads it, `%` as `%%` and `$` as it is (systemd.exec(5): no variable expansion there); `UPSTART_JOB=NAME`, `UPSTART_INSTANCE=` always; `env K` and `export` are reported, systemd has no such environment", ruleEnv},
	{"nice, umask, chroot, setuid, setgid", "process attributes: nice and umask as the parser reads them (`nice +5` is 5, refused outside -20..19), the others taken as written and used when the job runs",
		"`Nice=`, `UMask=`, `RootDirectory=`, `User=`, `Group=`; a path or name that fails when the job runs is reported and left out", ruleAttributes},
	{"limit", "`limit RESOURCE SOFT HARD` (`unlimited`, or what strtoul wraps to it, as `-1`); a soft limit above the hard one fails the job's start (setrlimit)",
		"`LimitRESOURCE=SOFT:HARD` (`infinity`); soft above hard is reported and left out", ruleLimit},
	{"oom score, oom", "`oom score -1000..1000|never`; the older `oom -17..15|never` (oom_adj); a score of 0 leaves the inherited one",
		"`OOMScoreAdjust=` (oom_adj scaled to oom_score_adj, never = -1000); nothing for 0", ruleOOM},
	{"kill signal, kill timeout, reload signal", "the stop signal (TERM), the wait before SIGKILL (5 s; 0: at once), the reload signal (HUP)",
		"`KillSignal=`, `TimeoutStopSec=` (always written: systemd's default is 90 s; 0 as `1us`, since systemd reads 0 as no timeout), `ExecReload=/bin/kill -SIG $MAINPID`", ruleKill},
	{"console", "`log` (the default) to /var/log/upstart; `output` opens /dev/console on fds 0-2; `owner` also makes it the controlling terminal; `none` /dev/null",
		"journal; `StandardInput=file:/dev/console` + `StandardOutput=tty`; `StandardInput=tty-force` + `StandardOutput=tty`; `StandardOutput=null`, all with `TTYPath=/dev/console`", ruleConsole},
	{"instance", "one job per value of the instance variables, started by events or `start NAME VAR=...`",
		"not translated: a template unit needs the instance parameter mapped by hand; not enabled", ruleInstance},
	{"apparmor load, apparmor switch, cgroup", "AppArmor profile and cgroup placement",
		"not translated (`AppArmorProfile=` and `Slice=` differ in meaning); not enabled", ruleConfinement},
}

func ruleDescription(u *jobUnit) {
	desc := Description(u.job)
	if desc == "" {
		desc = "Upstart job " + u.name
	}
	u.add("Unit", "Description", sdEscape(desc))
}

func ruleManual(u *jobUnit) {
	if s := u.job.Get("manual"); s != nil {
		u.info(s, "manual: the job never starts by itself, so the unit is not enabled; systemctl enable %s makes it start at boot", u.name)
		u.auto = false
	}
}

func ruleRespawnLimit(u *jobUnit) {
	if !u.respawns() {
		return // only respawns are counted (job_process_catch_runaway)
	}
	c := u.class
	if c.RespawnLimit == 0 || c.RespawnInterval == 0 {
		// init/job_process.c job_process_catch_runaway counts respawns only
		// when both are set: unlimited, and "respawn limit 0 60" too.
		u.add("Unit", "StartLimitIntervalSec", "0")
		return
	}
	u.add("Unit", "StartLimitIntervalSec", sdSeconds(c.RespawnInterval))
	u.add("Unit", "StartLimitBurst", strconv.Itoa(int(c.RespawnLimit)))
}

func ruleStartHooks(u *jobUnit) {
	if u.hasMain {
		if s := u.job.Process("pre-start"); s != nil {
			u.add("Service", "ExecStartPre", u.process("pre-start", s))
		}
	}
	if s := u.job.Process("post-start"); s != nil {
		u.add("Service", "ExecStartPost", u.process("post-start", s))
	}
}

func rulePreStop(u *jobUnit) {
	if s := u.job.Process("pre-stop"); s != nil {
		u.add("Service", "ExecStop", u.process("pre-stop", s))
	}
}

func rulePostStop(u *jobUnit) {
	if s := u.job.Process("post-stop"); s != nil {
		u.add("Service", "ExecStopPost", u.process("post-stop", s))
	}
}

func ruleRespawn(u *jobUnit) {
	s := u.job.Get("respawn")
	switch {
	case s == nil:
		return
	case !u.hasMain:
		u.info(s, "respawn: the job has no main process, so Upstart has nothing to respawn (init/job_process.c respawns the job only when its main process ends); the unit does not restart")
		return
	case u.class.Task:
		// A task's zero exit is no failure (init/job_process.c
		// job_process_terminated: "status || (respawn && !task)"); any
		// other status or signal not in normal exit is respawned.
		u.add("Service", "Restart", "on-failure")
		var clean []string
		for _, sig := range []int{1, 2, 13, 15} {
			if !slices.Contains(u.class.NormalExit, sig<<8) {
				clean = append(clean, "SIG"+upstart.SignalName(sig))
			}
		}
		switch {
		case len(clean) == 0:
		case u.class.Expect == "fork" || u.class.Expect == "daemon":
			u.add("Service", "RestartForceExitStatus", strings.Join(clean, " "))
		default:
			// systemd.service(5) Restart=: those four are a clean end, and
			// a Type=oneshot unit takes no RestartForceExitStatus= (systemd
			// refuses the unit, seen with systemd 252).
			u.info(s, "respawn on a task: Upstart respawned it when it failed, killed by a signal too; systemd takes an end by %s for a clean one and does not restart the unit then", strings.Join(clean, ", "))
		}
	default:
		u.add("Service", "Restart", "always")
	}
	u.add("Service", "RestartSec", "100ms")
}

// respawns says whether Upstart respawns the job: respawn, and a main
// process to respawn.
func (u *jobUnit) respawns() bool { return u.class.Respawn && u.hasMain }

func ruleNormalExit(u *jobUnit) {
	var vals []string
	for _, v := range u.class.NormalExit {
		// Upstart compares the list with the wait status as it keeps it:
		// an exit status, or a signal's number << 8.
		switch sig := v >> 8; {
		case v >= 0 && v <= 255:
			vals = append(vals, strconv.Itoa(v))
		case v&0xff == 0 && upstart.SignalName(sig) != "":
			vals = append(vals, "SIG"+upstart.SignalName(sig))
		case v&0xff == 0 && sig >= 34 && sig <= 64:
			vals = append(vals, "SIGRTMIN+"+strconv.Itoa(sig-34))
		default:
			u.info(u.job.Get("normal exit"), "normal exit %d: no exit status or signal is %d, so it never matched under Upstart either; left out", v, v)
		}
	}
	if len(vals) == 0 {
		return
	}
	u.add("Service", "SuccessExitStatus", strings.Join(vals, " "))
	if u.respawns() {
		u.add("Service", "RestartPreventExitStatus", strings.Join(vals, " "))
	}
}

func ruleChdir(u *jobUnit) {
	s := u.job.Get("chdir")
	if s == nil {
		return
	}
	if !validPath(*u.class.Chdir) {
		u.block(s, "chdir %q is not an absolute path a unit can hold as it is; left out", *u.class.Chdir)
		return
	}
	u.add("Service", "WorkingDirectory", strings.ReplaceAll(*u.class.Chdir, "%", "%%"))
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func ruleEnv(u *jobUnit) {
	// init/job_process.c gives every process these two.
	u.add("Service", "Environment", "UPSTART_JOB="+u.name)
	u.add("Service", "Environment", "UPSTART_INSTANCE=")
	for _, s := range u.job.All("env") {
		k, v, hasValue := strings.Cut(s.Args[0], "=")
		switch {
		case !envName.MatchString(k):
			u.block(s, "env %q: not a variable name; left out", k)
		case !hasValue:
			u.info(s, "env %s passes a variable from init's environment; systemd gives services a clean one, so it is not carried over", k)
		default:
			u.add("Service", "Environment", sdEnv(k+"="+v))
		}
	}
	for _, s := range u.job.All("export") {
		u.info(s, "export only adds variables to the job's own events; systemd has no job events, so it is dropped")
	}
}

var userName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$`)

func ruleAttributes(u *jobUnit) {
	c := u.class
	// Upstart's parser held nice to -20..19 and umask to 0777
	// (init/parse_job.c stanza_nice, stanza_umask).
	if u.job.Has("nice") {
		u.add("Service", "Nice", strconv.Itoa(int(c.Nice)))
	}
	if u.job.Has("umask") {
		u.add("Service", "UMask", fmt.Sprintf("%03o", c.Umask))
	}
	// Names and paths Upstart takes as they are and uses only when the job
	// runs.
	for _, a := range []struct {
		name, key, want string
		value           *string
		ok              func(string) bool
	}{
		{"chroot", "RootDirectory", "an absolute path a unit can hold as it is", c.Chroot, validPath},
		{"setuid", "User", "a user name", c.Setuid, userName.MatchString},
		{"setgid", "Group", "a group name", c.Setgid, userName.MatchString},
	} {
		s := u.job.Get(a.name)
		if s == nil {
			continue
		}
		if !a.ok(*a.value) {
			u.block(s, "%s %q is not %s; left out", a.name, *a.value, a.want)
			continue
		}
		u.add("Service", a.key, strings.ReplaceAll(*a.value, "%", "%%"))
	}
}

var limits = map[string]string{
	"as": "LimitAS", "core": "LimitCORE", "cpu": "LimitCPU", "data": "LimitDATA", "fsize": "LimitFSIZE",
	"memlock": "LimitMEMLOCK", "msgqueue": "LimitMSGQUEUE", "nice": "LimitNICE", "nofile": "LimitNOFILE",
	"nproc": "LimitNPROC", "rss": "LimitRSS", "rtprio": "LimitRTPRIO", "sigpending": "LimitSIGPENDING", "stack": "LimitSTACK",
}

func ruleLimit(u *jobUnit) {
	for _, s := range u.job.All("limit") {
		l := u.class.Limits[upstart.LimitIndex(s.Args[0])]
		if l.Cur > l.Max && l.Max != upstart.RlimInfinity {
			// init/job_process.c job_process_spawn: setrlimit fails
			// (EINVAL) and the job does not start.
			u.block(s, "limit %s: the soft limit is above the hard one, so setrlimit fails and Upstart cannot start the job; left out", s.Raw)
			continue
		}
		u.add("Service", limits[s.Args[0]], limitValue(l.Cur)+":"+limitValue(l.Max))
	}
}

// limitValue is a limit as systemd takes it: RLIM_INFINITY ("unlimited",
// or a value strtoul wraps there, as "-1") is infinity.
func limitValue(v uint64) string {
	if v == upstart.RlimInfinity {
		return "infinity"
	}
	return strconv.FormatUint(v, 10)
}

func ruleOOM(u *jobUnit) {
	// Upstart's parser held oom score to -1000..1000 and the older oom
	// to -17..15, which it scaled to oom_score_adj (init/parse_job.c
	// stanza_oom); a job whose score is 0 keeps the one it inherits
	// (init/job_process.c writes oom_score_adj only when it is not 0).
	s := u.job.Get("oom score")
	if s == nil {
		s = u.job.Get("oom")
	}
	if s != nil && u.class.OOMScoreAdj != 0 {
		u.add("Service", "OOMScoreAdjust", strconv.Itoa(int(u.class.OOMScoreAdj)))
	}
}

func ruleKill(u *jobUnit) {
	c := u.class
	if s := u.job.Get("kill signal"); s != nil {
		if sig, ok := sdSignal(c.KillSignal); ok {
			u.add("Service", "KillSignal", sig)
		} else {
			u.block(s, "kill signal %s: %d is no signal kill(2) sends; left out", s.Args[0], c.KillSignal)
		}
	}
	// Upstart's default is 5 s; systemd's would be 90 s. A timeout of 0
	// sends SIGKILL at once (init/job_process.c job_process_set_kill_timer
	// arms a timer of 0 s); TimeoutStopSec=0 would wait forever
	// (systemd.service(5)), so the least systemd takes is written.
	timeout := sdSeconds(c.KillTimeout)
	if c.KillTimeout == 0 {
		timeout = "1us"
	}
	u.add("Service", "TimeoutStopSec", timeout)
	if s := u.job.Get("reload signal"); s != nil {
		if sig, ok := sdSignal(c.ReloadSignal); ok {
			u.add("Service", "ExecReload", "/bin/kill -"+strings.TrimPrefix(sig, "SIG")+" $MAINPID")
		} else {
			u.block(s, "reload signal %s: %d is no signal kill(2) sends; left out", s.Args[0], c.ReloadSignal)
		}
	}
}

// sdSignal is systemd's spelling of a signal Upstart holds as a number:
// SIGNAME, or the number for a real-time signal.
func sdSignal(n int) (string, bool) {
	if name := upstart.SignalName(n); name != "" {
		return "SIG" + name, true
	}
	return strconv.Itoa(n), n >= 34 && n <= 64
}

// sdSeconds is a number of seconds as a systemd time span: past what
// systemd's microseconds hold, infinity.
func sdSeconds(n int64) string {
	if n > math.MaxInt64/1_000_000 {
		return "infinity"
	}
	return strconv.FormatInt(n, 10)
}

func ruleConsole(u *jobUnit) {
	s := u.job.Get("console")
	if s == nil {
		return
	}
	// init/system.c system_setup_console: output opens /dev/console with
	// O_NOCTTY on fds 0-2, owner also takes it as controlling terminal.
	switch u.class.Console {
	case "log":
		// journald keeps what Upstart wrote to /var/log/upstart.
	case "none":
		u.add("Service", "StandardOutput", "null")
		u.add("Service", "StandardError", "null")
	case "output":
		u.add("Service", "StandardInput", "file:/dev/console")
		u.add("Service", "StandardOutput", "tty")
		u.add("Service", "StandardError", "tty")
		u.add("Service", "TTYPath", "/dev/console")
	case "owner":
		u.add("Service", "StandardInput", "tty-force")
		u.add("Service", "StandardOutput", "tty")
		u.add("Service", "StandardError", "tty")
		u.add("Service", "TTYPath", "/dev/console")
	default:
		u.block(s, "unknown console %q; Upstart would not load the job", u.class.Console)
	}
}

func ruleInstance(u *jobUnit) {
	if s := u.job.Get("instance"); s != nil && u.class.Instance != "" {
		u.block(s, "instance jobs are started with parameters from events; the matching systemd form is a template unit started per instance, which needs those parameters: translate it by hand")
	}
}

func ruleConfinement(u *jobUnit) {
	for _, name := range []string{"apparmor load", "apparmor switch", "cgroup"} {
		if s := u.job.Get(name); s != nil {
			u.block(s, "%s has no direct systemd stanza (AppArmorProfile=, Slice= differ in meaning): translate it by hand", name)
		}
	}
}
