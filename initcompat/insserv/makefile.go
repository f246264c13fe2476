package insserv

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The three files, in /etc/init.d (insserv.c, DEPENDENCY_PATH and makedep).
const (
	BootFile  = "/etc/init.d/.depend.boot"
	StartFile = "/etc/init.d/.depend.start"
	StopFile  = "/etc/init.d/.depend.stop"
)

// Makefile is one .depend file as insserv writes it (makedep) and startpar
// reads it (makeboot.c, parse_makefile): a TARGETS line, an INTERACTIVE
// line, and a "TARGET: DEP..." line for each target with dependencies,
// in TARGETS order.
type Makefile struct {
	// NoInteractive: .depend.stop has no INTERACTIVE line (makedep).
	NoInteractive bool
	Targets       []string
	Interactive   []string
	Lines         []Line
}

// Line is "Target: Deps..." (startpar runs Target after each of Deps).
type Line struct {
	Target string
	Deps   []string
}

// wordRE is a name insserv writes into the files: a script's name in
// /etc/init.d (the names its filter in main lets through).
var wordRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+@-]*$`)

// maxMakefile caps what is parsed: the files of a real image are a few
// KiB; a hostile one cannot make the planner hold more.
const maxMakefile = 1 << 20

// ParseMakefile reads a file insserv wrote. It fails on anything insserv
// does not write, byte for byte: the file is then not insserv's state,
// and initcompat leaves it alone.
func ParseMakefile(data []byte) (*Makefile, error) {
	if len(data) > maxMakefile {
		return nil, fmt.Errorf("over %d bytes", maxMakefile)
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) < 2 || lines[len(lines)-1] != "" {
		return nil, fmt.Errorf("not a TARGETS line, an INTERACTIVE line (but in .depend.stop) and dependency lines, each ending in a newline")
	}
	lines = lines[:len(lines)-1]
	m := &Makefile{}
	words := func(l, prefix string) ([]string, error) {
		rest, ok := strings.CutPrefix(l, prefix)
		if !ok {
			return nil, fmt.Errorf("line %q: want %q", l, prefix)
		}
		if rest == "" {
			return nil, nil
		}
		if !strings.HasPrefix(rest, " ") {
			return nil, fmt.Errorf("line %q: want a space after %q", l, prefix)
		}
		w := strings.Split(rest[1:], " ")
		for _, x := range w {
			if !wordRE.MatchString(x) {
				return nil, fmt.Errorf("line %q: %q is not a script name", l, x)
			}
		}
		return w, nil
	}
	var err error
	if m.Targets, err = words(lines[0], "TARGETS ="); err != nil {
		return nil, err
	}
	rest := lines[1:]
	if len(rest) > 0 && strings.HasPrefix(rest[0], "INTERACTIVE =") {
		if m.Interactive, err = words(rest[0], "INTERACTIVE ="); err != nil {
			return nil, err
		}
		rest = rest[1:]
	} else {
		m.NoInteractive = true
	}
	for _, l := range rest {
		t, rest, ok := strings.Cut(l, ":")
		if !ok || !wordRE.MatchString(t) {
			return nil, fmt.Errorf("line %q: want TARGET: DEPS", l)
		}
		deps, err := words(rest, "")
		if err != nil || len(deps) == 0 {
			return nil, fmt.Errorf("line %q: want TARGET: DEPS", l)
		}
		m.Lines = append(m.Lines, Line{t, deps})
	}
	// insserv lists only targets in the lines (makedep), each line once.
	targets := map[string]bool{}
	for _, t := range m.Targets {
		if targets[t] {
			return nil, fmt.Errorf("TARGETS lists %s twice", t)
		}
		targets[t] = true
	}
	seen := map[string]bool{}
	for _, l := range m.Lines {
		if !targets[l.Target] || seen[l.Target] {
			return nil, fmt.Errorf("line %q: not a target, or its second line", l.Target)
		}
		seen[l.Target] = true
		for _, d := range l.Deps {
			if !targets[d] {
				return nil, fmt.Errorf("line %q: %s is not a target", l.Target, d)
			}
		}
	}
	if got := m.Render(); got != string(data) {
		return nil, fmt.Errorf("not as insserv writes it")
	}
	return m, nil
}

// Render writes the file as insserv's makedep does.
func (m *Makefile) Render() string {
	var b strings.Builder
	b.WriteString("TARGETS =")
	for _, t := range m.Targets {
		b.WriteString(" " + t)
	}
	b.WriteString("\n")
	if !m.NoInteractive {
		b.WriteString("INTERACTIVE =")
		for _, t := range m.Interactive {
			b.WriteString(" " + t)
		}
		b.WriteString("\n")
	}
	for _, l := range m.Lines {
		b.WriteString(l.Target + ":")
		for _, d := range l.Deps {
			b.WriteString(" " + d)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Clone is a deep copy.
func (m *Makefile) Clone() *Makefile {
	c := &Makefile{NoInteractive: m.NoInteractive, Targets: slices.Clone(m.Targets), Interactive: slices.Clone(m.Interactive)}
	for _, l := range m.Lines {
		c.Lines = append(c.Lines, Line{l.Target, slices.Clone(l.Deps)})
	}
	return c
}

// Edges are the dependency lines as a set: target -> its deps.
func (m *Makefile) Edges() map[string][]string {
	out := map[string][]string{}
	for _, l := range m.Lines {
		out[l.Target] = append(out[l.Target], l.Deps...)
	}
	return out
}

// add puts target into the file with deps (each a target of the file
// already), and adds target to the lines of each of dependents: a new
// target goes after its last dependency in TARGETS (insserv lists by
// start depth), its line among the lines in TARGETS order.
func (m *Makefile) add(target string, deps, dependents []string, interactive bool) {
	if slices.Contains(m.Targets, target) {
		return
	}
	at := 0
	for i, t := range m.Targets {
		if slices.Contains(deps, t) {
			at = i + 1
		}
	}
	m.Targets = slices.Insert(m.Targets, at, target)
	if interactive && !m.NoInteractive {
		m.Interactive = append(m.Interactive, target)
	}
	if len(deps) > 0 {
		m.setLine(target, deps)
	}
	for _, d := range dependents {
		l := m.line(d)
		if l == nil {
			m.setLine(d, []string{target})
			continue
		}
		if !slices.Contains(l.Deps, target) {
			l.Deps = append(l.Deps, target)
		}
	}
}

func (m *Makefile) line(t string) *Line {
	for i := range m.Lines {
		if m.Lines[i].Target == t {
			return &m.Lines[i]
		}
	}
	return nil
}

// setLine inserts the line of t in TARGETS order.
func (m *Makefile) setLine(t string, deps []string) {
	pos := slices.Index(m.Targets, t)
	at := len(m.Lines)
	for i, l := range m.Lines {
		if slices.Index(m.Targets, l.Target) > pos {
			at = i
			break
		}
	}
	m.Lines = slices.Insert(m.Lines, at, Line{t, deps})
}

// strip takes names out of the file: their targets, lines and every
// mention; a line left without dependencies goes, as insserv writes none.
func (m *Makefile) strip(names map[string]bool) {
	drop := func(s []string) []string {
		return slices.DeleteFunc(s, func(x string) bool { return names[x] })
	}
	m.Targets = drop(m.Targets)
	m.Interactive = drop(m.Interactive)
	m.Lines = slices.DeleteFunc(m.Lines, func(l Line) bool { return names[l.Target] })
	for i := range m.Lines {
		m.Lines[i].Deps = drop(m.Lines[i].Deps)
	}
	m.Lines = slices.DeleteFunc(m.Lines, func(l Line) bool { return len(l.Deps) == 0 })
}
