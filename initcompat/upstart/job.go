// Package upstart reads Upstart job files (/etc/init/NAME.conf) and their
// overrides as Upstart 1.13.2 does (parse.go, lex.go: init/parse_job.c
// and libnih's nih/config.c ported one for one): stanzas, script blocks,
// backslash continuations, quoting, comments, and event expressions that
// run over several lines inside parentheses (on.go). A file Upstart
// refuses is a *ParseError with Upstart's line and message. Apply gives
// the job class Upstart holds (class.go).
package upstart

import (
	"fmt"
	"strings"
)

// Stanza is one parsed stanza with where it came from.
type Stanza struct {
	Name string   // "exec", "pre-start exec", "start on", "respawn limit", "oom score", ...
	Args []string // the values Upstart takes, dequoted (exec: the command's words)
	Raw  string   // exec: the command as Upstart keeps it; start on: the expression; else the values
	Body string   // a script block's lines as written (CRLF read as LF)
	// Block is the script as Upstart runs it: the leading whitespace its
	// lines share with the first removed (nih_config_parse_block).
	Block string
	On    *On // start on, stop on: the expression as Upstart builds it
	File  string
	Line  int
}

// Where is "file:line", for findings.
func (s *Stanza) Where() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// Job is a job file, with its override applied.
type Job struct {
	Name     string
	Stanzas  []*Stanza
	Override bool // an override file was merged
}

// Get returns the last stanza of that name, or nil.
func (j *Job) Get(name string) *Stanza {
	var out *Stanza
	for _, s := range j.Stanzas {
		if s.Name == name {
			out = s
		}
	}
	return out
}

// All returns every stanza of that name, in order.
func (j *Job) All(name string) []*Stanza {
	var out []*Stanza
	for _, s := range j.Stanzas {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// Has reports whether a stanza of that name is present.
func (j *Job) Has(name string) bool { return j.Get(name) != nil }

// Merge applies an override: each stanza name it sets replaces every
// stanza of that name in the job (process stanzas by their process).
//
// Upstart does not replace by name: it parses the override into the job
// class the .conf made, stanza after stanza (see Load and Class), so env,
// export, emits and normal exit accumulate (a .conf's env A=1 and an
// override's env B=2 give both; Merge keeps B=2 alone), a .conf's manual
// is undone by an override's start on, and a refused override keeps the
// stanzas before the refused line. Merge stays for the readers of
// []*Stanza; Load gives what Upstart holds.
func Merge(name string, conf, override []*Stanza) *Job {
	j := &Job{Name: name}
	if override == nil {
		j.Stanzas = conf
		return j
	}
	j.Override = true
	replaced := map[string]bool{}
	for _, s := range override {
		replaced[key(s.Name)] = true
	}
	for _, s := range conf {
		if !replaced[key(s.Name)] {
			j.Stanzas = append(j.Stanzas, s)
		}
	}
	j.Stanzas = append(j.Stanzas, override...)
	return j
}

// processes are the stanzas that take "exec ..." or "script ... end script".
var processes = map[string]bool{"pre-start": true, "post-start": true, "pre-stop": true, "post-stop": true}

// key groups stanzas that replace each other: "exec" and "script" are
// both the main process; "pre-start exec" and "pre-start script" both
// pre-start.
func key(name string) string {
	switch name {
	case "exec", "script":
		return "main"
	}
	if p, _, ok := strings.Cut(name, " "); ok && processes[p] {
		return p
	}
	return name
}
