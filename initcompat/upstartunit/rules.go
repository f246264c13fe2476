package upstartunit

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// stanzaRule translates one group of stanzas. upstart says what Upstart 1.x
// does with them (init(5), init/job_process.c, init/system.c of the
// upstream sources); systemd says what the unit gets instead. The table's
// order is the order of the options in the unit.
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
	{"manual", "the job never starts by itself", "written with `[Install]`, not enabled", ruleManual},
	{"respawn limit", "at most COUNT respawns in INTERVAL seconds (default 10 in 5), or `unlimited`",
		"`StartLimitBurst=`, `StartLimitIntervalSec=` (`0` for unlimited)", ruleRespawnLimit},
	{"exec, script, task, expect", "the main process; `task` holds the event that started it until the job ends; `expect fork|daemon` follows one or two forks and tracks the daemon as the main process, for a task too (init/job_process.c job_process_trace_fork, init/job.c). Without `expect` a main process that forks and exits ends the job, and its daemon runs on untracked",
		"`ExecStart=`; `Type=simple`, `oneshot` for tasks, `forking` for expect fork|daemon, with `task` too: a oneshot ends when the parent exits and systemd then kills the daemon with the rest of the control group (`KillMode=control-group`, booted), while `forking` keeps and tracks it (`GuessMainPID=yes`); units ordered after it start after the fork, not after the daemon ends (reported). Without `expect`, a main process whose last command backgrounds itself (a trailing `&`, `start-stop-daemon --background`, `daemon`, `--daemonize`, `--detach`, `--fork`) is `Type=forking`, since systemd would kill the daemon when a `Type=simple` main process exits (booted); `-d`, `-daemon`, `--daemon`, which some programs take for the foreground, are reported. A job with no main process is `Type=oneshot` with `RemainAfterExit=yes`, its pre-start as `ExecStart=`. `expect stop` has no equivalent: not enabled", ruleMain},
	{"pre-start, post-start", "run before and after the main process starts; a failure stops the job",
		"`ExecStartPre=`, `ExecStartPost=`", ruleStartHooks},
	{"pre-stop", "runs only when a stop is requested, before the main process is signalled; not when it dies by itself",
		"`ExecStop=`, guarded by `$MAINPID` so that it does not run after the process died on its own (systemd.service(5) runs `ExecStop=` then too)", rulePreStop},
	{"post-stop", "runs after the main process ended, however it ended", "`ExecStopPost=`", rulePostStop},
	{"respawn", "restart the main process whenever it dies", "`Restart=always`, `RestartSec=100ms`", ruleRespawn},
	{"normal exit", "exit statuses and signals that are not failures (and not respawned)",
		"`SuccessExitStatus=`, and `RestartPreventExitStatus=` with respawn", ruleNormalExit},
	{"chdir", "the working directory of every process", "`WorkingDirectory=`; relative commands resolve against it", ruleChdir},
	{"env, export", "`env K=V` sets a variable; `env K` passes init's own; every process also gets `UPSTART_JOB` and `UPSTART_INSTANCE`",
		"`Environment=` (quoted); `UPSTART_JOB=NAME`, `UPSTART_INSTANCE=` always; `env K` and `export` are reported, systemd has no such environment", ruleEnv},
	{"nice, umask, chroot, setuid, setgid", "process attributes, validated as Upstart does",
		"`Nice=`, `UMask=`, `RootDirectory=`, `User=`, `Group=`; a value Upstart would refuse is reported and left out", ruleAttributes},
	{"limit", "`limit RESOURCE SOFT HARD` (`unlimited` allowed)", "`LimitRESOURCE=SOFT:HARD` (`infinity`)", ruleLimit},
	{"oom score, oom", "`oom score -1000..1000|never`; the older `oom -17..15|never` (oom_adj)",
		"`OOMScoreAdjust=` (oom_adj scaled to oom_score_adj, never = -1000)", ruleOOM},
	{"kill signal, kill timeout, reload signal", "the stop signal (TERM), the wait before SIGKILL (5 s), the reload signal (HUP)",
		"`KillSignal=`, `TimeoutStopSec=` (always written: systemd's default is 90 s), `ExecReload=/bin/kill -SIG $MAINPID`", ruleKill},
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
	s := u.job.Get("respawn limit")
	switch {
	case s != nil && s.Args[0] == "unlimited":
		u.add("Unit", "StartLimitIntervalSec", "0")
	case s != nil:
		count, err1 := strconv.Atoi(s.Args[0])
		interval, err2 := strconv.Atoi(s.Args[1])
		if err1 != nil || err2 != nil || count < 0 || interval < 0 {
			u.block(s, "respawn limit %s: COUNT and INTERVAL must be whole numbers; left out", s.Raw)
			return
		}
		u.add("Unit", "StartLimitIntervalSec", strconv.Itoa(interval))
		u.add("Unit", "StartLimitBurst", strconv.Itoa(count))
	case u.job.Has("respawn"):
		// Upstart's default: 10 respawns in 5 seconds.
		u.add("Unit", "StartLimitIntervalSec", "5")
		u.add("Unit", "StartLimitBurst", "10")
	}
}

func ruleStartHooks(u *jobUnit) {
	if u.hasMain {
		if s := hookStanza(u.job, "pre-start"); s != nil {
			u.add("Service", "ExecStartPre", u.process("pre-start", s))
		}
	}
	if s := hookStanza(u.job, "post-start"); s != nil {
		u.add("Service", "ExecStartPost", u.process("post-start", s))
	}
}

func rulePreStop(u *jobUnit) {
	if s := hookStanza(u.job, "pre-stop"); s != nil {
		u.add("Service", "ExecStop", u.process("pre-stop", s))
	}
}

func rulePostStop(u *jobUnit) {
	if s := hookStanza(u.job, "post-stop"); s != nil {
		u.add("Service", "ExecStopPost", u.process("post-stop", s))
	}
}

func ruleRespawn(u *jobUnit) {
	if u.job.Has("respawn") {
		u.add("Service", "Restart", "always")
		u.add("Service", "RestartSec", "100ms")
	}
}

func ruleNormalExit(u *jobUnit) {
	s := u.job.Get("normal exit")
	if s == nil {
		return
	}
	var vals []string
	for _, a := range s.Args {
		if n, err := strconv.Atoi(a); err == nil && n >= 0 && n <= 255 {
			vals = append(vals, a)
			continue
		}
		sig, ok := signalName(a)
		if !ok {
			u.block(s, "normal exit %s: %q is neither an exit status nor a signal; left out", s.Raw, a)
			return
		}
		vals = append(vals, sig)
	}
	u.add("Service", "SuccessExitStatus", strings.Join(vals, " "))
	if u.job.Has("respawn") {
		u.add("Service", "RestartPreventExitStatus", strings.Join(vals, " "))
	}
}

func ruleChdir(u *jobUnit) {
	s := u.job.Get("chdir")
	if s == nil {
		return
	}
	if !validPath(s.Args[0]) {
		u.block(s, "chdir %q is not an absolute path; left out", s.Args[0])
		return
	}
	u.add("Service", "WorkingDirectory", strings.ReplaceAll(s.Args[0], "%", "%%"))
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
			u.add("Service", "Environment", sdQuote(k+"="+v))
		}
	}
	for _, s := range u.job.All("export") {
		u.info(s, "export only adds variables to the job's own events; systemd has no job events, so it is dropped")
	}
}

var userName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$`)

func ruleAttributes(u *jobUnit) {
	check := map[string]func(string) bool{
		"nice": func(v string) bool { n, err := strconv.Atoi(v); return err == nil && n >= -20 && n <= 19 },
		"umask": func(v string) bool {
			n, err := strconv.ParseUint(v, 8, 32)
			return err == nil && n <= 0o777
		},
		"chroot": validPath,
		"setuid": userName.MatchString,
		"setgid": userName.MatchString,
	}
	want := map[string]string{"nice": "a number from -20 to 19", "umask": "an octal mask", "chroot": "an absolute path",
		"setuid": "a user name", "setgid": "a group name"}
	key := map[string]string{"nice": "Nice", "umask": "UMask", "chroot": "RootDirectory", "setuid": "User", "setgid": "Group"}
	for _, name := range []string{"nice", "umask", "chroot", "setuid", "setgid"} {
		s := u.job.Get(name)
		if s == nil {
			continue
		}
		if !check[name](s.Args[0]) {
			u.block(s, "%s %q is not %s; left out", name, s.Args[0], want[name])
			continue
		}
		u.add("Service", key[name], strings.ReplaceAll(s.Args[0], "%", "%%"))
	}
}

var limits = map[string]string{
	"as": "LimitAS", "core": "LimitCORE", "cpu": "LimitCPU", "data": "LimitDATA", "fsize": "LimitFSIZE",
	"memlock": "LimitMEMLOCK", "msgqueue": "LimitMSGQUEUE", "nice": "LimitNICE", "nofile": "LimitNOFILE",
	"nproc": "LimitNPROC", "rss": "LimitRSS", "rtprio": "LimitRTPRIO", "sigpending": "LimitSIGPENDING", "stack": "LimitSTACK",
}

func ruleLimit(u *jobUnit) {
	for _, s := range u.job.All("limit") {
		key, ok := limits[s.Args[0]]
		if !ok {
			u.block(s, "unknown resource limit %q; Upstart would not load the job", s.Args[0])
			continue
		}
		soft, ok1 := limitValue(s.Args[1])
		hard, ok2 := limitValue(s.Args[2])
		if !ok1 || !ok2 {
			u.block(s, "limit %s: values must be whole numbers or unlimited; left out", s.Raw)
			continue
		}
		u.add("Service", key, soft+":"+hard)
	}
}

func limitValue(v string) (string, bool) {
	if v == "unlimited" {
		return "infinity", true
	}
	_, err := strconv.ParseUint(v, 10, 64)
	return v, err == nil
}

func ruleOOM(u *jobUnit) {
	s, legacy := u.job.Get("oom score"), false
	if s == nil {
		s, legacy = u.job.Get("oom"), true
	}
	if s == nil {
		return
	}
	v, ok := oomScore(s.Args[0], legacy)
	if !ok {
		u.block(s, "%s %q is out of range; left out", s.Name, s.Args[0])
		return
	}
	u.add("Service", "OOMScoreAdjust", v)
}

// oomScore maps "oom score N|never", or the legacy "oom N|never" whose
// scale is the kernel's old oom_adj (-17..15).
func oomScore(v string, legacy bool) (string, bool) {
	if v == "never" {
		return "-1000", true
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		return "", false
	case !legacy:
		return v, n >= -1000 && n <= 1000
	case n < -17 || n > 15:
		return "", false
	case n < 0:
		return strconv.Itoa(n * 1000 / 17), true
	}
	return strconv.Itoa(n * 1000 / 15), true
}

func ruleKill(u *jobUnit) {
	if s := u.job.Get("kill signal"); s != nil {
		if sig, ok := signalName(s.Args[0]); ok {
			u.add("Service", "KillSignal", sig)
		} else {
			u.block(s, "kill signal %q is not a signal; left out", s.Args[0])
		}
	}
	timeout := "5" // Upstart's default; systemd's would be 90 s
	if s := u.job.Get("kill timeout"); s != nil {
		if _, err := strconv.ParseUint(s.Args[0], 10, 32); err == nil {
			timeout = s.Args[0]
		} else {
			u.block(s, "kill timeout %q is not a number of seconds; Upstart's 5 s is used", s.Args[0])
		}
	}
	u.add("Service", "TimeoutStopSec", timeout)
	if s := u.job.Get("reload signal"); s != nil {
		if sig, ok := signalName(s.Args[0]); ok {
			u.add("Service", "ExecReload", "/bin/kill -"+strings.TrimPrefix(sig, "SIG")+" $MAINPID")
		} else {
			u.block(s, "reload signal %q is not a signal; left out", s.Args[0])
		}
	}
}

var signals = map[string]bool{
	"HUP": true, "INT": true, "QUIT": true, "ILL": true, "TRAP": true, "ABRT": true, "BUS": true, "FPE": true,
	"KILL": true, "USR1": true, "SEGV": true, "USR2": true, "PIPE": true, "ALRM": true, "TERM": true,
	"STKFLT": true, "CHLD": true, "CONT": true, "STOP": true, "TSTP": true, "TTIN": true, "TTOU": true,
	"URG": true, "XCPU": true, "XFSZ": true, "VTALRM": true, "PROF": true, "WINCH": true, "IO": true,
	"PWR": true, "SYS": true,
}

// signalName gives systemd's spelling of a signal: a number as it is, a
// name as SIGNAME.
func signalName(s string) (string, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return s, n > 0 && n < 65
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	return "SIG" + name, signals[name]
}

func ruleConsole(u *jobUnit) {
	s := u.job.Get("console")
	if s == nil {
		return
	}
	// init/system.c system_setup_console: output opens /dev/console with
	// O_NOCTTY on fds 0-2, owner also takes it as controlling terminal.
	switch s.Args[0] {
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
		u.block(s, "unknown console %q; Upstart would not load the job", s.Args[0])
	}
}

func ruleInstance(u *jobUnit) {
	if s := u.job.Get("instance"); s != nil {
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

// mainProcess is the job's exec or script, the later one if both.
func mainProcess(j *upstart.Job) *upstart.Stanza {
	main := j.Get("exec")
	if sc := j.Get("script"); sc != nil && (main == nil || sc.Line > main.Line) {
		main = sc
	}
	return main
}

// hookStanza is the exec or script form of a process stanza, the later one.
func hookStanza(j *upstart.Job, name string) *upstart.Stanza {
	s := j.Get(name + " exec")
	if sc := j.Get(name + " script"); sc != nil && (s == nil || sc.Line > s.Line) {
		s = sc
	}
	return s
}
