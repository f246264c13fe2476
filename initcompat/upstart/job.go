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

// Process is the stanza of a process ("main", "pre-start", "post-start",
// "pre-stop", "post-stop"): its exec or its script form, whichever the
// job holds; nil when it has none.
func (j *Job) Process(name string) *Stanza {
	exec, script := name+" exec", name+" script"
	if name == "main" {
		exec, script = "exec", "script"
	}
	if s := j.Get(exec); s != nil {
		return s
	}
	return j.Get(script)
}

// Merge is the job Upstart holds from a .conf's stanzas and its
// override's (override nil: there is none): conf_load_path_with_override
// (init/conf.c) parses the override into the class the .conf made, and
// parse_job's handlers (init/parse_job.c) set each value in turn. So the
// job keeps, in order:
//   - every env, export, emits, normal exit and cgroup stanza: their
//     handlers add to a list (env A=1 in the .conf and env B=2 in the
//     override give both);
//   - of every other stanza only the last of either file: its handler
//     replaces the value. exec and script set one process, as do
//     "pre-start exec" and "pre-start script"; oom and oom score one
//     score; limit one resource; manual and start on one start on
//     ("manual simply disregards any start on events seen previously",
//     and a start on after it sets one again).
//
// Get, All and Has then read the job as Upstart holds it; Class gives its
// values. A refused override keeps the stanzas before the refused line,
// as Upstart does: pass them (Parse returns them with its error).
func Merge(name string, conf, override []*Stanza) *Job {
	j := &Job{Name: name, Override: override != nil}
	all := append(append([]*Stanza(nil), conf...), override...)
	last := map[string]int{}
	for i, s := range all {
		last[slot(s)] = i
	}
	for i, s := range all {
		if k := slot(s); k == "" || last[k] == i {
			j.Stanzas = append(j.Stanzas, s)
		}
	}
	return j
}

// accumulate are the stanzas whose handlers add to a list.
var accumulate = map[string]bool{"env": true, "export": true, "emits": true, "normal exit": true, "cgroup": true}

// processes are the stanzas that take "exec ..." or "script ... end script".
var processes = map[string]bool{"pre-start": true, "post-start": true, "pre-stop": true, "post-stop": true}

// slot names the value of the job class a stanza sets, "" for those that
// add to a list: a later stanza of the same slot replaces it.
func slot(s *Stanza) string {
	switch {
	case accumulate[s.Name]:
		return ""
	case s.Name == "exec" || s.Name == "script":
		return "main"
	case s.Name == "manual":
		return "start on"
	case s.Name == "oom score":
		return "oom"
	case s.Name == "limit" && len(s.Args) > 0:
		return "limit " + s.Args[0]
	}
	if p, _, ok := strings.Cut(s.Name, " "); ok && processes[p] {
		return p
	}
	return s.Name
}
