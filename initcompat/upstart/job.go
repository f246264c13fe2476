// Package upstart reads Upstart job files (/etc/init/NAME.conf) and their
// overrides as Upstart 1.x does: stanzas, multi-line script blocks,
// backslash continuations, quoting, and event expressions that run over
// several lines inside parentheses.
package upstart

import (
	"fmt"
	"strings"
)

// Stanza is one parsed stanza with where it came from.
type Stanza struct {
	Name string   // "exec", "pre-start", "start on", "respawn limit", ...
	Args []string // words after the name, quotes removed
	Raw  string   // the rest of the line as written (exec, start on, ...)
	Body string   // script body for "script", "pre-start script", ...
	File string
	Line int
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

// ParseError locates what could not be read.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// processes are the stanzas that take "exec ..." or "script ... end script".
var processes = map[string]bool{"pre-start": true, "post-start": true, "pre-stop": true, "post-stop": true}

// arity gives the number of words a stanza takes (-1: any, at least one).
var arity = map[string]int{
	"description": -1, "author": -1, "version": -1, "usage": -1, "emits": -1,
	"respawn": 0, "task": 0, "manual": 0, "expect": 1, "normal exit": -1,
	"nice": 1, "umask": 1, "chdir": 1, "chroot": 1, "setuid": 1, "setgid": 1,
	"env": -1, "export": -1, "console": 1, "instance": -1, "limit": 3,
	"kill signal": 1, "kill timeout": 1, "reload signal": 1, "respawn limit": -1,
	"oom score": 1, "oom": 1, "apparmor load": 1, "apparmor switch": 1, "cgroup": -1,
}

// Parse reads a job file. file names it in errors.
func Parse(file string, data []byte) ([]*Stanza, error) {
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	var out []*Stanza
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := lines[i]
		// Backslash continuation joins the next line.
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, "\\") + " " + lines[i]
		}
		words, err := split(line)
		if err != nil {
			return nil, &ParseError{file, lineNo, err.Error()}
		}
		if len(words) == 0 {
			continue
		}
		st := &Stanza{File: file, Line: lineNo}
		name, rest := words[0], words[1:]
		// Two-word stanza names.
		if len(rest) > 0 {
			switch two := name + " " + rest[0]; two {
			case "start on", "stop on", "normal exit", "kill signal", "kill timeout", "reload signal",
				"respawn limit", "oom score", "apparmor load", "apparmor switch":
				name, rest = two, rest[1:]
			}
		}
		st.Name = name
		switch {
		case name == "script" || (processes[name] && len(rest) == 1 && rest[0] == "script"):
			if name != "script" {
				st.Name = name + " script"
			}
			body, end, err := block(lines, i+1)
			if err != nil {
				return nil, &ParseError{file, lineNo, err.Error()}
			}
			st.Body, i = body, end
		case name == "exec" || (processes[name] && len(rest) > 0 && rest[0] == "exec"):
			if name != "exec" {
				st.Name = name + " exec"
				rest = rest[1:]
			}
			if len(rest) == 0 {
				return nil, &ParseError{file, lineNo, "exec needs a command"}
			}
			st.Raw = rawAfter(line, map[bool]int{true: 1, false: 2}[name == "exec"])
			st.Args = rest
		case name == "start on" || name == "stop on":
			raw := rawAfter(line, 2)
			// An expression continues while its parentheses are open.
			for depth(raw) > 0 && i+1 < len(lines) {
				i++
				raw += " " + strings.TrimSpace(stripComment(lines[i]))
			}
			if depth(raw) != 0 {
				return nil, &ParseError{file, lineNo, "unbalanced parentheses in " + name}
			}
			st.Raw = strings.Join(strings.Fields(raw), " ")
			if st.Raw == "" {
				return nil, &ParseError{file, lineNo, name + " needs an event"}
			}
		default:
			if msg := checkArity(name, rest); msg != "" {
				return nil, &ParseError{file, lineNo, msg}
			}
			if msg := checkValue(name, rest); msg != "" {
				return nil, &ParseError{file, lineNo, msg}
			}
			st.Args = rest
			st.Raw = rawAfter(line, len(strings.Fields(name)))
		}
		out = append(out, st)
	}
	return out, nil
}

// checkArity says what is wrong with the arguments of a one-line stanza
// (init(5) gives each its count), "" when nothing is.
func checkArity(name string, rest []string) string {
	n, known := arity[name]
	switch {
	case !known:
		return fmt.Sprintf("unknown stanza %q", name)
	case name == "respawn limit":
		if len(rest) == 2 || (len(rest) == 1 && rest[0] == "unlimited") {
			return ""
		}
		return fmt.Sprintf("respawn limit takes COUNT INTERVAL or unlimited, got %q", strings.Join(rest, " "))
	case len(rest) == n || (n == -1 && len(rest) > 0):
		return ""
	}
	return fmt.Sprintf("%s takes %s, got %q", name, argWord(n), strings.Join(rest, " "))
}

func argWord(n int) string {
	switch n {
	case -1:
		return "at least one word"
	case 0:
		return "no argument"
	case 1:
		return "one argument"
	}
	return fmt.Sprintf("%d arguments", n)
}

// block reads script lines up to "end script".
func block(lines []string, from int) (string, int, error) {
	var body []string
	for i := from; i < len(lines); i++ {
		if f := strings.Fields(lines[i]); len(f) == 2 && f[0] == "end" && f[1] == "script" {
			return strings.Join(body, "\n") + "\n", i, nil
		}
		body = append(body, lines[i])
	}
	return "", 0, fmt.Errorf("script block without \"end script\"")
}

// rawAfter returns the line after its first n words, without a trailing
// comment, as written.
func rawAfter(line string, n int) string {
	s := strings.TrimSpace(stripComment(line))
	for k := 0; k < n; k++ {
		s = strings.TrimLeft(s, " \t")
		if i := strings.IndexAny(s, " \t"); i >= 0 {
			s = s[i:]
		} else {
			s = ""
		}
	}
	return strings.TrimSpace(s)
}

// stripComment removes a "#" comment outside quotes.
func stripComment(line string) string {
	var q rune
	for i, r := range line {
		switch {
		case q != 0 && r == q:
			q = 0
		case q == 0 && (r == '"' || r == '\''):
			q = r
		case q == 0 && r == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return line[:i]
		}
	}
	return line
}

func depth(s string) int {
	d := 0
	for _, r := range s {
		switch r {
		case '(':
			d++
		case ')':
			d--
		}
	}
	return d
}

// split breaks a line into words as Upstart's parser does: whitespace
// separates, quotes group and are removed, "#" starts a comment.
func split(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var q rune
	for _, r := range line {
		switch {
		case q != 0:
			if r == q {
				q = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			q, inWord = r, true
		case r == '#' && !inWord:
			return words, nil
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if q != 0 {
		return nil, fmt.Errorf("unterminated %c quote", q)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// Merge applies an override: each stanza name it sets replaces every
// stanza of that name in the job (process stanzas by their process).
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
