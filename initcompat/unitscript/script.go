package unitscript

import (
	"fmt"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/internal/shellword"
)

// Header is the LSB comment block of a script.
type Header struct {
	Provides, RequiredStart, RequiredStop, ShouldStart, ShouldStop []string
	// StartBefore is insserv's X-Start-Before (and X-Stop-After).
	StartBefore               []string
	DefaultStart, DefaultStop []string
	ShortDesc, Description    string
}

// dataVars are the runtime's settings, in the order the data lists them,
// with the value each has when no rule sets it.
var dataVars = []struct{ name, def string }{
	{"ic_name", ""}, {"ic_unit", ""}, {"ic_script", ""},
	{"ic_type", "simple"}, {"ic_remain", "no"}, {"ic_pidfile", ""},
	{"ic_user", ""}, {"ic_group", ""}, {"ic_caps", ""},
	{"ic_workdir", ""}, {"ic_workdir_optional", "no"},
	{"ic_umask", "0022"}, {"ic_nice", ""},
	{"ic_restart", "no"}, {"ic_restart_sec", "0.1"},
	{"ic_limit_interval", "10"}, {"ic_limit_burst", "5"},
	{"ic_success_status", ""}, {"ic_prevent_status", ""}, {"ic_force_status", ""},
	{"ic_timeout_start", "90"}, {"ic_timeout_stop", "90"},
	{"ic_kill_signal", "TERM"}, {"ic_kill_mode", "control-group"}, {"ic_send_sigkill", "yes"},
	{"ic_runtime_preserve", "no"}, {"ic_reload", "no"}, {"ic_post", "no"},
}

// dataFns are the runtime's lists, each a function of runtime verbs.
var dataFns = []string{
	"ic_environment", "ic_limits", "ic_dirs", "ic_runtime_dirs",
	"ic_exec_start_pre", "ic_exec_start", "ic_exec_start_post",
	"ic_exec_reload", "ic_exec_stop", "ic_exec_stop_post",
}

// mayFail are the verbs whose failure ends the list (the line gets
// "|| return 1"): a command without "-", a missing EnvironmentFile=
// without "-", a directory or limit that cannot be made.
var mayFail = map[string]bool{"ic_run": true, "ic_envfile": true, "ic_dir": true, "ic_limit": true, "ic_prlimit": true}

// line is one call of a runtime verb with its words quoted.
func line(verb string, words ...string) string {
	var b strings.Builder
	b.WriteString(verb)
	for _, w := range words {
		b.WriteByte(' ')
		b.WriteString(shellword.Quote(w))
	}
	if mayFail[verb] {
		b.WriteString(" || return 1")
	}
	return b.String()
}

// script assembles the script: header, data, runtime.
func (c *conv) script() []byte {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	b.WriteString(lsb.OneLine(c.in.Marker) + "\n")
	b.WriteString("# Written from the systemd unit " + lsb.OneLine(c.in.Unit.Fragment) + " for SysV init.\n")
	writeHeader(&b, c.header)
	b.WriteString("\n# --- the unit, as data (every value one quoted word, never expanded) ---\n")
	// SC2016: the data is literal by design; SC2317: the runtime's
	// helpers serve every unit, and a script calls those its unit needs.
	b.WriteString("# shellcheck disable=SC2016,SC2317\n")
	for _, v := range dataVars {
		val, ok := c.vars[v.name]
		if !ok {
			val = v.def
		}
		b.WriteString(v.name + "=" + shellword.Quote(val) + "\n")
	}
	for _, fn := range dataFns {
		lines := c.fns[fn]
		if len(lines) == 0 {
			b.WriteString(fn + "() { :; }\n")
			continue
		}
		b.WriteString(fn + "() {\n")
		for _, l := range lines {
			b.WriteString("\t" + l + "\n")
		}
		b.WriteString("}\n")
	}
	b.WriteString("\n")
	b.WriteString(runtime)
	return []byte(b.String())
}

// writeHeader writes the LSB comment block (LSB Core 5.0, "Comment
// Conventions for Init Scripts"; insserv(8) for X-Start-Before).
func writeHeader(b *strings.Builder, h Header) {
	b.WriteString("### BEGIN INIT INFO\n")
	field := func(k string, v []string) {
		b.WriteString(strings.TrimRight(fmt.Sprintf("# %-18s %s", k+":", strings.Join(v, " ")), " ") + "\n")
	}
	field("Provides", h.Provides)
	field("Required-Start", h.RequiredStart)
	field("Required-Stop", h.RequiredStop)
	if len(h.ShouldStart) > 0 {
		field("Should-Start", h.ShouldStart)
		field("Should-Stop", h.ShouldStop)
	}
	if len(h.StartBefore) > 0 {
		field("X-Start-Before", h.StartBefore)
		field("X-Stop-After", h.StartBefore)
	}
	field("Default-Start", h.DefaultStart)
	field("Default-Stop", h.DefaultStop)
	field("Short-Description", []string{h.ShortDesc})
	field("Description", []string{h.Description})
	b.WriteString("### END INIT INFO\n")
}

// Links is the rc link layout update-rc.d makes for the header without
// insserv (its "legacy" path: S01 and K01): start links in Default-Start
// and kill links in Default-Stop when enabled; kill links in every
// runlevel when disabled, as "update-rc.d NAME disable" leaves them. The
// boot runlevel S gets no kill link.
func Links(name string, h Header, enabled bool) []lsb.Link {
	var out []lsb.Link
	levels := slices.Concat(h.DefaultStart, h.DefaultStop)
	slices.SortFunc(levels, func(a, b string) int {
		return strings.Compare(rlOrder(a), rlOrder(b))
	})
	for _, rl := range slices.Compact(levels) {
		l := lsb.Link{Runlevel: rl, Target: "../init.d/" + name}
		switch {
		case enabled && slices.Contains(h.DefaultStart, rl):
			l.Name = "S01" + name
		case rl == "S":
			continue
		default:
			l.Name = "K01" + name
		}
		out = append(out, l)
	}
	return out
}

func rlOrder(rl string) string {
	if rl == "S" {
		return "9"
	}
	return rl
}
