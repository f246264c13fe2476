package upstart

import "fmt"

// Parse reads a job file as Upstart 1.13.2's parse_job does (init/
// parse_job.c over libnih's nih_config_parse_file): stanza by stanza, each
// handler taking exactly the tokens Upstart's takes and holding each value
// to the same test. Where Upstart refuses the file it returns the stanzas
// before the refused one and a *ParseError with Upstart's line and message
// ("Unknown stanza" for `expect forking`): Upstart loads no job from such
// a .conf, and keeps a job whose .override fails with the override's
// stanzas up to that line applied (see Apply).
func Parse(file string, data []byte) ([]*Stanza, error) {
	if len(data) > MaxJobBytes {
		return nil, &TooLargeError{File: file, Size: len(data)}
	}
	p := &parser{name: file, file: data}
	c := &cursor{pos: 0, line: 1}
	for c.pos < len(data) {
		for c.pos < len(data) && isIn(cWS, data[c.pos]) {
			c.pos++
		}
		if !hasToken(data, c) {
			_ = skipComment(data, c)
			continue
		}
		if err := p.stanza(c); err != nil {
			return p.out, err
		}
	}
	return p.out, nil
}

// MaxJobBytes is the largest job file Parse reads. Upstart reads any
// size; real jobs are a few KB (Ubuntu 14.04's largest, mountall.conf,
// under 2 KB), and reading costs up to about 50 bytes of memory a byte of
// job (an expression of one-letter events): 1 MiB bounds one hostile job
// to some 50 MiB.
const MaxJobBytes = 1 << 20

// TooLargeError is a job file past MaxJobBytes: initcompat does not read
// it (Upstart would).
type TooLargeError struct {
	File string
	Size int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: %d bytes, more than the %d bytes initcompat reads in a job file (Upstart itself would read it)", e.File, e.Size, MaxJobBytes)
}

// ParseError is a job file Upstart refuses: where and Upstart's words.
type ParseError struct {
	File string
	Line int
	Msg  string // as Upstart says it ("Unknown stanza")
	Near string // the word it stopped at, for people
}

func (e *ParseError) Error() string {
	s := fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	if e.Near != "" {
		s += fmt.Sprintf(" (at %q)", e.Near)
	}
	return s
}

// Log is the line Upstart's init logs for the file (init/conf.c,
// conf_reload_path): "FILE:LINE: MESSAGE", except for the errors
// conf_reload_path does not list (an illegal signal), which
// conf_load_path_with_override logs without a line.
func (e *ParseError) Log() string {
	if e.Msg == errIllegalSignal {
		return fmt.Sprintf("%s: Error while loading configuration file: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

type parser struct {
	name string
	file []byte
	out  []*Stanza
}

// fail is an error at the cursor's line.
func (p *parser) fail(c *cursor, err error, near string) error {
	return &ParseError{File: p.name, Line: c.line, Msg: err.Error(), Near: near}
}

// add records a stanza.
func (p *parser) add(st *Stanza) { p.out = append(p.out, st) }

// handlers are parse_job.c's stanzas table; each is called with the
// stanza's name and the line it starts on.
var handlers = map[string]func(p *parser, c *cursor, name string, line int) error{
	"instance": oneArg("instance"), "description": oneArg("description"), "author": oneArg("author"),
	"version": oneArg("version"), "env": oneArg("env"), "usage": oneArg("usage"),
	"chroot": oneArg("chroot"), "chdir": oneArg("chdir"), "setuid": oneArg("setuid"), "setgid": oneArg("setgid"),
	"export": manyArgs("export"), "emits": manyArgs("emits"),
	"start": (*parser).on, "stop": (*parser).on,
	"exec": (*parser).exec, "script": (*parser).script,
	"pre-start": (*parser).process, "post-start": (*parser).process, "pre-stop": (*parser).process, "post-stop": (*parser).process,
	"expect": (*parser).expect, "task": noArg("task"), "kill": (*parser).kill, "reload": (*parser).reload,
	"respawn": (*parser).respawn, "normal": (*parser).normal, "console": (*parser).console,
	"umask": (*parser).umask, "nice": (*parser).nice, "oom": (*parser).oom, "limit": (*parser).limit,
	"debug": bare("debug"), "manual": bare("manual"), "apparmor": (*parser).apparmor, "cgroup": (*parser).cgroup,
}

// stanza is nih_config_parse_stanza: the name (not dequoted), then its
// handler from the table.
func (p *parser) stanza(c *cursor) error {
	line := c.line
	name, err := nextToken(p.file, c, cCNLWS, false)
	if err != nil {
		return p.fail(c, err, "")
	}
	h, ok := handlers[name]
	if !ok {
		return p.fail(c, lexError(errUnknownStanza), name)
	}
	return h(p, c, name, line)
}
