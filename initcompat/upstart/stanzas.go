package upstart

import (
	"strings"
)

// The stanza handlers of init/parse_job.c (Upstart 1.13.2), one for one.
// Each takes the tokens its C twin takes, with the same tests, and leaves
// the cursor where the C leaves *pos and *lineno: so an error is reported
// at Upstart's line. `a` is the C's a_pos/a_lineno; "c = a" is the C's
// "Update error position"; a handler that returns through
// nih_return_error leaves c where it was.

// oneArg: description, author, version, usage, instance, env, chroot,
// chdir, setuid, setgid: one dequoted argument, then nothing.
func oneArg(name string) func(*parser, *cursor, string, int) error {
	return func(p *parser, c *cursor, _ string, line int) error {
		arg, err := nextArg(p.file, c)
		if err != nil {
			return p.fail(c, err, "")
		}
		if err := skipComment(p.file, c); err != nil {
			return p.fail(c, err, p.word(c))
		}
		p.add(&Stanza{Name: name, Args: []string{arg}, Raw: arg, File: p.name, Line: line})
		return nil
	}
}

// manyArgs: export, emits: one argument or more, to the line's end.
func manyArgs(name string) func(*parser, *cursor, string, int) error {
	return func(p *parser, c *cursor, _ string, line int) error {
		if !hasToken(p.file, c) {
			return p.fail(c, lexError(errExpectedToken), "")
		}
		args, err := parseArgs(p.file, c)
		if err != nil {
			return p.fail(c, err, p.word(c))
		}
		p.add(&Stanza{Name: name, Args: args, Raw: strings.Join(args, " "), File: p.name, Line: line})
		return nil
	}
}

// noArg: task, then nothing.
func noArg(name string) func(*parser, *cursor, string, int) error {
	return func(p *parser, c *cursor, _ string, line int) error {
		if err := skipComment(p.file, c); err != nil {
			return p.fail(c, err, p.word(c))
		}
		p.add(&Stanza{Name: name, File: p.name, Line: line})
		return nil
	}
}

// bare: manual and debug read nothing after their name, not even the end
// of the line: "manual respawn" is two stanzas.
func bare(name string) func(*parser, *cursor, string, int) error {
	return func(p *parser, _ *cursor, _ string, line int) error {
		p.add(&Stanza{Name: name, File: p.name, Line: line})
		return nil
	}
}

// word is the token at c, for messages.
func (p *parser) word(c *cursor) string {
	tok, _, _, _, _ := scanToken(p.file, c.pos, cCNLWS, false)
	if len(tok) > 40 {
		tok = tok[:37] + "..."
	}
	return tok
}

// on: stanza_start and stanza_stop, "start on EXPR".
func (p *parser) on(c *cursor, name string, line int) error {
	a := *c
	arg, err := nextToken(p.file, &a, cCNLWS, false)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	if arg != "on" {
		return p.fail(c, lexError(errUnknownStanza), name+" "+arg)
	}
	expr, raw, err := parseOn(p.file, &a)
	*c = a
	if err != nil {
		return p.fail(c, err, "")
	}
	p.add(&Stanza{Name: name + " on", Raw: raw, On: expr, File: p.name, Line: line})
	return nil
}

// exec is stanza_exec and parse_exec: the command, as written.
func (p *parser) exec(c *cursor, _ string, line int) error {
	cmd, err := p.command(c)
	if err != nil {
		return err
	}
	p.add(&Stanza{Name: "exec", Raw: cmd, Args: words(cmd), File: p.name, Line: line})
	return nil
}

func (p *parser) command(c *cursor) (string, error) {
	if !hasToken(p.file, c) {
		return "", p.fail(c, lexError(errExpectedToken), "")
	}
	cmd, err := parseCommand(p.file, c)
	if err != nil {
		return "", p.fail(c, err, "")
	}
	return cmd, nil
}

// script is stanza_script and parse_script: "script", then a block.
func (p *parser) script(c *cursor, _ string, line int) error {
	st, err := p.block(c, "script", line)
	if err != nil {
		return err
	}
	p.add(st)
	return nil
}

func (p *parser) block(c *cursor, name string, line int) (*Stanza, error) {
	if err := skipComment(p.file, c); err != nil {
		return nil, p.fail(c, err, p.word(c))
	}
	b, err := parseBlock(p.file, c, "script")
	if err != nil {
		return nil, p.fail(c, err, "")
	}
	body := strings.ReplaceAll(string(p.file[b.start:b.end]), "\r\n", "\n")
	return &Stanza{Name: name, Body: body, Block: b.text, File: p.name, Line: line}, nil
}

// process is parse_process: pre-start, post-start, pre-stop, post-stop,
// each "exec COMMAND" or "script".
func (p *parser) process(c *cursor, name string, line int) error {
	a := *c
	arg, err := nextToken(p.file, &a, cCNLWS, false)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	switch arg {
	case "exec":
		cmd, err := p.command(&a)
		*c = a
		if err != nil {
			return err
		}
		p.add(&Stanza{Name: name + " exec", Raw: cmd, Args: words(cmd), File: p.name, Line: line})
	case "script":
		st, err := p.block(&a, name+" script", line)
		*c = a
		if err != nil {
			return err
		}
		p.add(st)
	default:
		return p.fail(c, lexError(errUnknownStanza), name+" "+arg)
	}
	return nil
}

// expect is stanza_expect: stop, daemon, fork or none ("forking" is not
// one: Upstart says "Unknown stanza" and loads no job).
func (p *parser) expect(c *cursor, _ string, line int) error {
	a := *c
	arg, err := nextArg(p.file, &a)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	switch arg {
	case "stop", "daemon", "fork", "none":
	default:
		return p.fail(c, lexError(errUnknownStanza), "expect "+arg)
	}
	return p.finish(c, &a, &Stanza{Name: "expect", Args: []string{arg}, Raw: arg, File: p.name, Line: line})
}

// finish is the handlers' common end: nothing more on the line, then the
// C's "finish:" label, *pos = a_pos.
func (p *parser) finish(c, a *cursor, st *Stanza) error {
	err := skipComment(p.file, a)
	near := ""
	if err != nil {
		near = p.word(a)
	}
	*c = *a
	if err != nil {
		return p.fail(c, err, near)
	}
	p.add(st)
	return nil
}

// value reads the argument of a sub-stanza ("kill timeout VALUE"): the
// error position moves to it first.
func (p *parser) value(c, a *cursor) (string, error) {
	*c = *a
	v, err := nextArg(p.file, a)
	if err != nil {
		*c = *a
		return "", p.fail(c, err, "")
	}
	return v, nil
}

// kill is stanza_kill: "kill timeout SECONDS" or "kill signal SIGNAL".
func (p *parser) kill(c *cursor, _ string, line int) error {
	a := *c
	arg, err := nextToken(p.file, &a, cCNLWS, false)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	switch arg {
	case "timeout":
		v, err := p.value(c, &a)
		if err != nil {
			return err
		}
		if n := strtol(v); !n.ok || n.i < 0 {
			return p.fail(c, lexError(errIllegalInterval), v)
		}
		return p.finish(c, &a, &Stanza{Name: "kill timeout", Args: []string{v}, Raw: v, File: p.name, Line: line})
	case "signal":
		v, err := p.value(c, &a)
		if err != nil {
			return err
		}
		if _, ok := signalNumber(v); !ok {
			return p.fail(c, lexError(errIllegalSignal), v)
		}
		return p.finish(c, &a, &Stanza{Name: "kill signal", Args: []string{v}, Raw: v, File: p.name, Line: line})
	}
	return p.fail(c, lexError(errUnknownStanza), "kill "+arg)
}

// reload is stanza_reload: "reload signal SIGNAL".
func (p *parser) reload(c *cursor, _ string, line int) error {
	a := *c
	arg, err := nextToken(p.file, &a, cCNLWS, false)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	if arg != "signal" {
		return p.fail(c, lexError(errUnknownStanza), "reload "+arg)
	}
	v, err := p.value(c, &a)
	if err != nil {
		return err
	}
	if _, ok := signalNumber(v); !ok {
		return p.fail(c, lexError(errIllegalSignal), v)
	}
	return p.finish(c, &a, &Stanza{Name: "reload signal", Args: []string{v}, Raw: v, File: p.name, Line: line})
}

// apparmor is stanza_apparmor: "apparmor load PROFILE", "apparmor switch
// PROFILE".
func (p *parser) apparmor(c *cursor, _ string, line int) error {
	a := *c
	arg, err := nextToken(p.file, &a, cCNLWS, false)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	if arg != "load" && arg != "switch" {
		return p.fail(c, lexError(errUnknownStanza), "apparmor "+arg)
	}
	v, err := p.value(c, &a)
	if err != nil {
		return err
	}
	return p.finish(c, &a, &Stanza{Name: "apparmor " + arg, Args: []string{v}, Raw: v, File: p.name, Line: line})
}

// respawn is stanza_respawn: "respawn", or "respawn limit COUNT INTERVAL"
// or "respawn limit unlimited". COUNT is an int in Upstart: a value past
// it wraps, and what wraps below zero is refused.
func (p *parser) respawn(c *cursor, _ string, line int) error {
	if !hasToken(p.file, c) {
		_ = skipComment(p.file, c)
		p.add(&Stanza{Name: "respawn", File: p.name, Line: line})
		return nil
	}
	a := *c
	arg, err := nextToken(p.file, &a, cCNLWS, false)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	if arg != "limit" {
		return p.fail(c, lexError(errUnknownStanza), "respawn "+arg)
	}
	limit, err := p.value(c, &a)
	if err != nil {
		return err
	}
	args := []string{limit}
	if limit != "unlimited" {
		if n := strtol(limit); !n.ok || int32(n.i) < 0 {
			return p.fail(c, lexError(errIllegalLimit), limit)
		}
		interval, err := p.value(c, &a)
		if err != nil {
			return err
		}
		if n := strtol(interval); !n.ok || n.i < 0 {
			return p.fail(c, lexError(errIllegalInterval), interval)
		}
		args = append(args, interval)
	}
	return p.finish(c, &a, &Stanza{Name: "respawn limit", Args: args, Raw: strings.Join(args, " "), File: p.name, Line: line})
}

// normal is stanza_normal: "normal exit STATUS|SIGNAL...".
func (p *parser) normal(c *cursor, _ string, line int) error {
	a := *c
	arg, err := nextToken(p.file, &a, cCNLWS, false)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	if arg != "exit" {
		return p.fail(c, lexError(errUnknownStanza), "normal "+arg)
	}
	var args []string
	for {
		v, err := p.value(c, &a)
		if err != nil {
			return err
		}
		if _, ok := signalNumber(v); !ok {
			if n := strtoul(v, 10); !n.ok || n.u > 1<<31-1 {
				return p.fail(c, lexError(errIllegalExit), v)
			}
		}
		args = append(args, v)
		if !hasToken(p.file, &a) {
			break
		}
	}
	return p.finish(c, &a, &Stanza{Name: "normal exit", Args: args, Raw: strings.Join(args, " "), File: p.name, Line: line})
}

// console is stanza_console: none, output, owner or log.
func (p *parser) console(c *cursor, _ string, line int) error {
	a := *c
	arg, err := nextArg(p.file, &a)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	switch arg {
	case "none", "output", "owner", "log":
	default:
		return p.fail(c, lexError(errUnknownStanza), "console "+arg)
	}
	return p.finish(c, &a, &Stanza{Name: "console", Args: []string{arg}, Raw: arg, File: p.name, Line: line})
}

// umask is stanza_umask: octal, within 0777 once cut to a 32-bit mode_t.
func (p *parser) umask(c *cursor, _ string, line int) error {
	a := *c
	arg, err := nextArg(p.file, &a)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	if n := strtoul(arg, 8); !n.ok || uint32(n.u)&^0o777 != 0 {
		return p.fail(c, lexError(errIllegalUmask), arg)
	}
	return p.finish(c, &a, &Stanza{Name: "umask", Args: []string{arg}, Raw: arg, File: p.name, Line: line})
}

// nice is stanza_nice: -20 to 19 once cut to an int.
func (p *parser) nice(c *cursor, _ string, line int) error {
	a := *c
	arg, err := nextArg(p.file, &a)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	if n := strtol(arg); !n.ok || int32(n.i) < -20 || int32(n.i) > 19 {
		return p.fail(c, lexError(errIllegalNice), arg)
	}
	return p.finish(c, &a, &Stanza{Name: "nice", Args: []string{arg}, Raw: arg, File: p.name, Line: line})
}

// oom is stanza_oom: "oom score -1000..1000|never", or the older
// "oom -17..15|never".
func (p *parser) oom(c *cursor, _ string, line int) error {
	a := *c
	arg, err := nextArg(p.file, &a)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	switch arg {
	case "score":
		v, err := p.value(c, &a)
		if err != nil {
			return err
		}
		if v != "never" {
			if n := strtol(v); !n.ok || int32(n.i) < -1000 || int32(n.i) > 1000 {
				return p.fail(c, lexError(errIllegalOomScore), v)
			}
		}
		return p.finish(c, &a, &Stanza{Name: "oom score", Args: []string{v}, Raw: v, File: p.name, Line: line})
	case "never":
	default:
		if n := strtol(arg); !n.ok || int32(n.i) < -17 || int32(n.i) > 15 {
			return p.fail(c, lexError(errIllegalOom), arg)
		}
	}
	return p.finish(c, &a, &Stanza{Name: "oom", Args: []string{arg}, Raw: arg, File: p.name, Line: line})
}

// limits are the resources of stanza_limit, by their RLIMIT_ number.
var limits = map[string]int{
	"cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6, "nofile": 7,
	"memlock": 8, "as": 9, "sigpending": 11, "msgqueue": 12, "nice": 13, "rtprio": 14,
}

// limit is stanza_limit: "limit RESOURCE SOFT HARD", each "unlimited" or
// what strtoul takes.
func (p *parser) limit(c *cursor, _ string, line int) error {
	a := *c
	res, err := nextArg(p.file, &a)
	if err != nil {
		*c = a
		return p.fail(c, err, "")
	}
	if _, ok := limits[res]; !ok {
		return p.fail(c, lexError(errUnknownStanza), "limit "+res)
	}
	args := []string{res}
	for range 2 {
		v, err := p.value(c, &a)
		if err != nil {
			return err
		}
		if v != "unlimited" {
			if n := strtoul(v, 10); !n.ok {
				return p.fail(c, lexError(errIllegalLimit), v)
			}
		}
		args = append(args, v)
	}
	return p.finish(c, &a, &Stanza{Name: "limit", Args: args, Raw: strings.Join(args, " "), File: p.name, Line: line})
}

// cgroup is stanza_cgroup and parse_cgroup: a controller, then up to three
// more words.
func (p *parser) cgroup(c *cursor, _ string, line int) error {
	if !hasToken(p.file, c) {
		return p.fail(c, lexError(errExpectedToken), "")
	}
	var args []string
	for len(args) < 4 {
		v, err := nextArg(p.file, c)
		if err != nil {
			return p.fail(c, err, "")
		}
		args = append(args, v)
		if !hasToken(p.file, c) {
			break
		}
	}
	if err := skipComment(p.file, c); err != nil {
		return p.fail(c, err, p.word(c))
	}
	p.add(&Stanza{Name: "cgroup", Args: args, Raw: strings.Join(args, " "), File: p.name, Line: line})
	return nil
}

// signals are the names nih_signal_from_name knows (libnih nih/signal.c)
// as glibc 2.36 on x86-64 defines them, by number; "SIG" before a name
// is dropped first. (glibc before 2.26, Ubuntu 14.04's 2.19, also had
// SIGUNUSED, 31: "UNUSED" is a signal there.)
var signals = map[string]int{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
	"USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
	"CLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24,
	"XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
}

// SignalName is the name of signal n without "SIG" (the first name
// glibc gives it: ABRT, not IOT), "" for a number that has none.
func SignalName(n int) string {
	for _, name := range []string{"HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
		"PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM",
		"PROF", "WINCH", "IO", "PWR", "SYS"} {
		if signals[name] == n {
			return name
		}
	}
	return ""
}

// LimitIndex is a limit stanza's resource as Class.Limits holds it
// (RLIMIT_ on Linux), -1 for a name Upstart does not know.
func LimitIndex(resource string) int {
	if n, ok := limits[resource]; ok {
		return n
	}
	return -1
}

// signalNumber is stanza_kill's reading of a signal: a name, or a number
// up to INT_MAX.
func signalNumber(s string) (int, bool) {
	if n, ok := signals[strings.TrimPrefix(s, "SIG")]; ok {
		return n, true
	}
	n := strtoul(s, 10)
	if !n.ok || n.u > 1<<31-1 {
		return 0, false
	}
	return int(n.u), true
}

// words splits a command into words, quotes removed, for the readers of
// exec lines; Upstart itself hands the command to /bin/sh or execvp.
func words(cmd string) []string {
	var out []string
	var cur strings.Builder
	in := false
	var q byte
	for i := 0; i < len(cmd); i++ {
		ch := cmd[i]
		switch {
		case q != 0:
			if ch == q {
				q = 0
			} else {
				cur.WriteByte(ch)
			}
		case ch == '"' || ch == '\'':
			q, in = ch, true
		case ch == ' ' || ch == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(ch)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}
