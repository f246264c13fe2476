package initcompat

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// The translation of Upstart job stanzas into systemd unit options; the
// table in docs/provisioners/initcompat.mdx says the same in words.

// translation is a job as a unit.
type translation struct {
	opts    []*unit.UnitOption
	scripts map[string]string // file name in JobScriptDir/NAME -> script body
	target  string            // the target to enable it in; "" when it does not start by itself
	notes   []note            // what did not translate exactly
}

type note struct {
	at       string
	msg      string
	blocking bool // the unit must not be enabled
}

// translate maps a job's stanzas to unit options.
func translate(j *upstart.Job) *translation {
	tr := &translation{scripts: map[string]string{}}
	add := func(sec, key, val string) { tr.opts = append(tr.opts, unit.NewUnitOption(sec, key, val)) }
	block := func(s *upstart.Stanza, msg string) { tr.notes = append(tr.notes, note{s.Where(), msg, true}) }
	info := func(s *upstart.Stanza, msg string) { tr.notes = append(tr.notes, note{s.Where(), msg, false}) }

	desc := descriptionOf(j)
	if desc == "" {
		desc = "Upstart job " + j.Name
	}
	add("Unit", "Description", sdEscape(desc))
	chdir := "/"
	if s := j.Get("chdir"); s != nil {
		chdir = s.Args[0]
	}

	// Start conditions.
	auto := false
	if s := j.Get("start on"); s != nil {
		var ok bool
		auto, ok = mapStartOn(tr, s, add)
		if !ok {
			auto = false
		}
	}
	if s := j.Get("stop on"); s != nil {
		mapStopOn(tr, s, add)
	}
	if s := j.Get("manual"); s != nil {
		info(s, "manual: the job never starts by itself, so the unit is not enabled")
		auto = false
	}
	if s := j.Get("respawn limit"); s != nil {
		if s.Args[0] == "unlimited" {
			add("Unit", "StartLimitIntervalSec", "0")
		} else {
			add("Unit", "StartLimitIntervalSec", s.Args[1])
			add("Unit", "StartLimitBurst", s.Args[0])
		}
	} else if j.Has("respawn") {
		// Upstart's default: 10 respawns in 5 seconds.
		add("Unit", "StartLimitIntervalSec", "5")
		add("Unit", "StartLimitBurst", "10")
	}

	// How the main process runs.
	typ := "simple"
	if s := j.Get("expect"); s != nil {
		switch s.Args[0] {
		case "fork", "daemon":
			typ = "forking"
		case "stop":
			block(s, "expect stop (readiness by SIGSTOP) has no systemd equivalent; the unit runs as Type=simple. Make the daemon use sd_notify (Type=notify) or stay in the foreground")
		default:
			block(s, "unknown expect "+s.Args[0])
		}
	}
	if j.Has("task") {
		typ = "oneshot"
	}
	add("Service", "Type", typ)
	main := j.Get("exec")
	if sc := j.Get("script"); sc != nil && (main == nil || sc.Line > main.Line) {
		main = sc
	}
	switch {
	case main == nil && typ == "oneshot":
		add("Service", "ExecStart", "/bin/true")
	case main == nil:
		// A job with no main process only runs its pre-start and post-stop:
		// a oneshot that stays active, as Upstart shows it.
		tr.opts[len(tr.opts)-1].Value = "oneshot"
		add("Service", "RemainAfterExit", "yes")
	default:
		add("Service", "ExecStart", process(tr, j.Name, "main", main, chdir))
	}
	for _, p := range []struct{ stanza, key string }{
		{"pre-start", "ExecStartPre"}, {"post-start", "ExecStartPost"}, {"pre-stop", "ExecStop"}, {"post-stop", "ExecStopPost"},
	} {
		s := j.Get(p.stanza + " exec")
		if sc := j.Get(p.stanza + " script"); sc != nil && (s == nil || sc.Line > s.Line) {
			s = sc
		}
		if s != nil {
			add("Service", p.key, process(tr, j.Name, p.stanza, s, chdir))
		}
	}
	if j.Has("respawn") {
		add("Service", "Restart", "always")
		add("Service", "RestartSec", "100ms")
	}
	if s := j.Get("normal exit"); s != nil {
		add("Service", "SuccessExitStatus", strings.Join(s.Args, " "))
		if j.Has("respawn") {
			add("Service", "RestartPreventExitStatus", strings.Join(s.Args, " "))
		}
	}

	// The process environment.
	if j.Has("chdir") {
		add("Service", "WorkingDirectory", chdir)
	}
	for _, s := range j.All("env") {
		k, v, hasValue := strings.Cut(s.Args[0], "=")
		if !hasValue {
			info(s, "env "+k+" passes a variable from init's environment; systemd gives services a clean one, so it is not carried over")
			continue
		}
		add("Service", "Environment", sdQuote(k+"="+v))
	}
	for _, s := range j.All("export") {
		info(s, "export only adds variables to the job's own events; systemd has no job events, so it is dropped")
	}
	simple := map[string]string{"nice": "Nice", "umask": "UMask", "chroot": "RootDirectory", "setuid": "User", "setgid": "Group"}
	for _, name := range []string{"nice", "umask", "chroot", "setuid", "setgid"} {
		if s := j.Get(name); s != nil {
			add("Service", simple[name], s.Args[0])
		}
	}
	for _, s := range j.All("limit") {
		key, ok := limits[s.Args[0]]
		if !ok {
			block(s, "unknown resource limit "+s.Args[0])
			continue
		}
		add("Service", key, limitValue(s.Args[1])+":"+limitValue(s.Args[2]))
	}
	if s := j.Get("oom score"); s != nil {
		add("Service", "OOMScoreAdjust", oomScore(s.Args[0], false))
	} else if s := j.Get("oom"); s != nil {
		add("Service", "OOMScoreAdjust", oomScore(s.Args[0], true))
	}
	if s := j.Get("kill signal"); s != nil {
		add("Service", "KillSignal", signalName(s.Args[0]))
	}
	timeout := "5"
	if s := j.Get("kill timeout"); s != nil {
		timeout = s.Args[0]
	}
	add("Service", "TimeoutStopSec", timeout)
	if s := j.Get("reload signal"); s != nil {
		add("Service", "ExecReload", "/bin/kill -"+strings.TrimPrefix(signalName(s.Args[0]), "SIG")+" $MAINPID")
	}
	if s := j.Get("console"); s != nil {
		switch s.Args[0] {
		case "log":
			// journald keeps what Upstart wrote to /var/log/upstart.
		case "none":
			add("Service", "StandardOutput", "null")
			add("Service", "StandardError", "null")
		case "output", "owner":
			add("Service", "StandardOutput", "tty")
			add("Service", "TTYPath", "/dev/console")
		default:
			block(s, "unknown console "+s.Args[0])
		}
	}
	if s := j.Get("instance"); s != nil {
		block(s, "instance jobs are started with parameters from events; the matching systemd form is a template unit started per instance, which needs those parameters: translate it by hand")
	}
	for _, name := range []string{"apparmor load", "apparmor switch", "cgroup"} {
		if s := j.Get(name); s != nil {
			block(s, name+" has no direct systemd stanza (AppArmorProfile=, Slice= differ in meaning): translate it by hand")
		}
	}
	if auto {
		tr.target = "multi-user.target"
		for _, o := range tr.opts {
			if o.Section == "Install" && o.Name == "WantedBy" {
				tr.target = o.Value
			}
		}
		if !hasInstall(tr.opts) {
			add("Install", "WantedBy", tr.target)
		}
	}
	return tr
}

func hasInstall(opts []*unit.UnitOption) bool {
	for _, o := range opts {
		if o.Section == "Install" {
			return true
		}
	}
	return false
}

// process turns an exec line or a script block into an Exec*= value.
func process(tr *translation, job, name string, s *upstart.Stanza, chdir string) string {
	if strings.HasSuffix(s.Name, "script") {
		tr.scripts[name] = s.Body
		if m := upstartCommand.FindStringSubmatch(s.Body); m != nil {
			tr.notes = append(tr.notes, note{s.Where(), fmt.Sprintf("the %s script calls Upstart's %q command, which does not exist under systemd; change that line (for \"stop; exit 0\", exit 0 is enough in ExecStartPre=)", name, m[2]), true})
		}
		return path.Join(JobScriptDir, job, name)
	}
	cmd := s.Raw
	// Upstart runs a command with shell characters through sh -e -c.
	if strings.ContainsAny(cmd, "~`!$^&*()=|\\{}[];\"'<>?") {
		return "/bin/sh -e -c " + sdQuote("exec "+cmd)
	}
	words := strings.Fields(cmd)
	if !strings.HasPrefix(words[0], "/") {
		// Upstart resolves a relative command against chdir (or "/").
		words[0] = path.Join(chdir, words[0])
	}
	for i, w := range words {
		words[i] = sdWord(w)
	}
	return strings.Join(words, " ")
}

var (
	runlevelRE = regexp.MustCompile(`^\[(!?)([0-6Ss]+)\]$`)
	// Upstart's job-control commands, as a script would call them.
	upstartCommand = regexp.MustCompile(`(^|[;&|{(\s])(stop|start|restart|initctl|emit)(\s*;|\s*$|\s+[A-Za-z$-])`)
)

// mapStartOn maps a start on expression; ok is false when any event has no
// systemd counterpart.
func mapStartOn(tr *translation, s *upstart.Stanza, add func(sec, key, val string)) (auto, ok bool) {
	terms, ors := terms(s.Raw)
	ok = true
	for _, t := range terms {
		ev, args := t[0], t[1:]
		switch ev {
		case "runlevel":
			target := runlevelTarget(args)
			if target == "" {
				tr.notes = append(tr.notes, note{s.Where(), fmt.Sprintf("start on runlevel %s: no boot target matches those runlevels", strings.Join(args, " ")), true})
				ok = false
				continue
			}
			add("Install", "WantedBy", target)
			auto = true
		case "filesystem", "local-filesystems":
			add("Unit", "After", "local-fs.target")
			auto = true
		case "remote-filesystems":
			add("Unit", "After", "remote-fs.target")
			auto = true
		case "net-device-up", "static-network-up", "networking":
			add("Unit", "After", "network-online.target")
			add("Unit", "Wants", "network-online.target")
			auto = true
		case "started", "starting", "stopped":
			if len(args) == 0 {
				ok = false
				continue
			}
			dep := strings.TrimSuffix(args[0], ".service") + ".service"
			add("Unit", "After", dep)
			add("Unit", "Wants", dep)
			auto = true
		default:
			tr.notes = append(tr.notes, note{s.Where(), fmt.Sprintf("start on %s: the event %q has no systemd counterpart (systemd has no job events); start the unit from whatever emits it", s.Raw, ev), true})
			ok = false
		}
	}
	if ors && ok {
		tr.notes = append(tr.notes, note{s.Where(), "start on " + s.Raw + ": \"or\" of boot events becomes ordering after all of them", false})
	}
	return auto, ok
}

func mapStopOn(tr *translation, s *upstart.Stanza, add func(sec, key, val string)) {
	terms, _ := terms(s.Raw)
	for _, t := range terms {
		switch t[0] {
		case "runlevel":
			// systemd stops every service at shutdown.
		case "stopping", "stopped":
			if len(t) > 1 {
				add("Unit", "PartOf", strings.TrimSuffix(t[1], ".service")+".service")
			}
		default:
			tr.notes = append(tr.notes, note{s.Where(), fmt.Sprintf("stop on %s: the event %q has no systemd counterpart; the unit stops at shutdown or when asked", s.Raw, t[0]), false})
		}
	}
}

// terms splits an event expression into its events (name and arguments),
// and says whether "or" joins any of them.
func terms(expr string) ([][]string, bool) {
	var out [][]string
	var cur []string
	ors := false
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	for _, w := range strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(expr)) {
		switch w {
		case "and":
			flush()
		case "or":
			ors = true
			flush()
		default:
			cur = append(cur, w)
		}
	}
	flush()
	return out, ors
}

// runlevelTarget maps a runlevel argument to the target systemd boots for it.
func runlevelTarget(args []string) string {
	if len(args) == 0 {
		return ""
	}
	m := runlevelRE.FindStringSubmatch(args[0])
	if m == nil {
		if len(args[0]) == 1 && strings.ContainsAny(args[0], "2345") {
			return "multi-user.target"
		}
		return ""
	}
	set := map[rune]bool{}
	for _, r := range "0123456" {
		if strings.ContainsRune(m[2], r) != (m[1] == "!") {
			set[r] = true
		}
	}
	if set['2'] || set['3'] || set['4'] {
		return "multi-user.target"
	}
	if set['5'] {
		return "graphical.target"
	}
	return ""
}

var limits = map[string]string{
	"as": "LimitAS", "core": "LimitCORE", "cpu": "LimitCPU", "data": "LimitDATA", "fsize": "LimitFSIZE",
	"memlock": "LimitMEMLOCK", "msgqueue": "LimitMSGQUEUE", "nice": "LimitNICE", "nofile": "LimitNOFILE",
	"nproc": "LimitNPROC", "rss": "LimitRSS", "rtprio": "LimitRTPRIO", "sigpending": "LimitSIGPENDING", "stack": "LimitSTACK",
}

func limitValue(v string) string {
	if v == "unlimited" {
		return "infinity"
	}
	return v
}

// oomScore maps "oom score N|never", or the legacy "oom N|never" whose
// scale is the kernel's old oom_adj (-17..15).
func oomScore(v string, legacy bool) string {
	if v == "never" {
		return "-1000"
	}
	n, err := strconv.Atoi(v)
	if err != nil || !legacy {
		return v
	}
	if n < 0 {
		return strconv.Itoa(n * 1000 / 17)
	}
	return strconv.Itoa(n * 1000 / 15)
}

func signalName(s string) string {
	if _, err := strconv.Atoi(s); err == nil {
		return s
	}
	return "SIG" + strings.TrimPrefix(strings.ToUpper(s), "SIG")
}

// sdEscape keeps a value literal in a unit file: no specifiers.
func sdEscape(s string) string { return strings.ReplaceAll(lsb.OneLine(s), "%", "%%") }

// sdQuote writes one word in systemd's command-line quoting, literal: no
// specifiers, no variable expansion.
func sdQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%", "$", "$$", "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

// sdWord quotes a word only when it needs it.
func sdWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'\\%$;") {
		return s
	}
	return sdQuote(s)
}
