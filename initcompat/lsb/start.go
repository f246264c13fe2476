package lsb

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
)

// Detach says whether an init script's start action returns while its
// daemon runs on. It matters under systemd because systemd-sysv-generator(8)
// makes every script a Type=forking unit (ExecStart=/etc/init.d/NAME start,
// RemainAfterExit=yes, TimeoutSec=5min, KillMode=process): the unit is
// "activating" until the script exits, and a script that waits for its
// daemon never does.
type Detach int

const (
	// NoStart means no start action initcompat recognises (no start-stop-daemon
	// --start, daemon, nohup or "&"): nothing is decided.
	NoStart Detach = iota
	// Detaches means the start action puts the daemon in the background itself.
	Detaches
	// RunsProgram means the start action runs Program and waits for it; it
	// returns only when Program forks and its first process exits.
	RunsProgram
)

// Start is what a script's start action does, read the way sh and
// start-stop-daemon(8) would run it, without running anything.
type Start struct {
	Detach Detach
	// Line is the 1-based line of the call decided on (the first one that
	// does not detach, else the first that does).
	Line int
	// Program is the path the call executes, with the script's variables
	// (and those of /etc/default/NAME it sources) expanded; "" when it
	// cannot be known from the text.
	Program string
	// Seen says what the call is, for a person: "start-stop-daemon --start
	// without --background".
	Seen string
	// Vars are the variables as the script sets them at its top level.
	Vars map[string]string
}

// Defaults returns the content of a file the script sources (the
// skeleton's "[ -r /etc/default/$NAME ] && . /etc/default/$NAME"), or nil.
type Defaults func(path string) []byte

var (
	assignRE = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)
	sourceRE = regexp.MustCompile(`(?:^|&&|;|\bthen)\s*(?:\.|source)\s+(\S+)\s*(?:;|$|\|\||&&|\bfi\b)`)
	varRE    = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)
)

// ReadStart reads script's start action. Every start-stop-daemon --start
// call is considered (the --test probe of the skeleton aside): the script
// detaches only when each of them does, since any one that waits keeps the
// generated unit activating.
func ReadStart(script []byte, defaults Defaults) Start {
	lines := logicalLines(script)
	st := Start{Vars: map[string]string{}}
	for _, l := range lines {
		readAssignments(l.text, st.Vars, defaults)
	}
	var detached *Start
	for _, l := range lines {
		c, ok := readCall(l.text, st.Vars)
		if !ok {
			continue
		}
		c.Line, c.Vars = l.n, st.Vars
		if c.Detach == RunsProgram {
			return c
		}
		if detached == nil {
			detached = &c
		}
	}
	if detached != nil {
		return *detached
	}
	return st
}

type line struct {
	n    int
	text string
}

// logicalLines joins backslash continuations (sh(1): a backslash-newline is
// removed before the line is split into words) and drops comments.
func logicalLines(script []byte) []line {
	sc := bufio.NewScanner(bytes.NewReader(script))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []line
	var cur strings.Builder
	start, n := 0, 0
	for sc.Scan() {
		n++
		t := strings.TrimRight(sc.Text(), " \t\r")
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(t, `\`) {
			cur.WriteString(strings.TrimSuffix(t, `\`) + " ")
			continue
		}
		cur.WriteString(t)
		text := stripComment(cur.String())
		cur.Reset()
		if strings.TrimSpace(text) != "" {
			out = append(out, line{n: start, text: text})
		}
	}
	return out
}

// stripComment drops a "#" that starts a word, outside quotes.
func stripComment(s string) string {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"':
			q = c
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t' || s[i-1] == ';'):
			return s[:i]
		}
	}
	return s
}

// readAssignments records NAME=value and follows a sourced defaults file.
// A value is taken as the shell would for the skeleton's simple forms
// (quoted or bare, $VAR and ${VAR} expanded); anything with a command
// substitution is left unknown.
func readAssignments(text string, vars map[string]string, defaults Defaults) {
	if m := assignRE.FindStringSubmatch(text); m != nil {
		v := strings.TrimSpace(m[2])
		if strings.ContainsAny(v, "`") || strings.Contains(v, "$(") || strings.Contains(v, "${") && strings.ContainsAny(v, ":-+?") {
			delete(vars, m[1])
			return
		}
		vars[m[1]] = unquote(expand(v, vars))
		return
	}
	if defaults == nil {
		return
	}
	for _, m := range sourceRE.FindAllStringSubmatch(text, -1) {
		p := unquote(expand(m[1], vars))
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "$") {
			continue
		}
		for _, dl := range logicalLines(defaults(p)) {
			if dm := assignRE.FindStringSubmatch(dl.text); dm != nil {
				readAssignments(dl.text, vars, nil)
			}
		}
	}
}

func expand(s string, vars map[string]string) string {
	return varRE.ReplaceAllStringFunc(s, func(ref string) string {
		m := varRE.FindStringSubmatch(ref)
		name := m[1] + m[2]
		if v, ok := vars[name]; ok {
			return v
		}
		return ref
	})
}

// unquote removes shell quotes, and the typographic ones a blog copy
// leaves (the field report's DAEMON_ARGS=“sysvinit”).
func unquote(s string) string {
	r := strings.NewReplacer(`"`, "", `'`, "", "“", "", "”", "")
	return r.Replace(strings.TrimSpace(s))
}
