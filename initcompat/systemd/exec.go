package systemd

import (
	"fmt"
	"strings"
)

// Command is one command line of ExecStart= and its kin, as
// systemd.service(5) ("Command lines") defines it.
type Command struct {
	Ignore     bool // "-": a failure is ignored
	Argv0      bool // "@": the second word is argv[0]
	Privileged bool // "+": no User=, no sandboxing
	NoSetUID   bool // "!": no User= change
	AmbientOK  bool // "!!": "!" only where ambient capabilities are missing
	NoEnv      bool // ":": no environment variable substitution
	Shell      bool // "|": run through the user's login shell (systemd 258)
	// Path is the executable: absolute, or a name systemd looks up in its
	// fixed search path (systemd 239 and later).
	Path string
	// Args are the words after the path (with argv[0] first when Argv0),
	// unquoted, unescaped, specifiers resolved (runtime ones as
	// Placeholder).
	Args []string
}

// Prefixes gives the command's prefix characters back, as written.
func (c Command) Prefixes() string {
	var b strings.Builder
	for _, p := range []struct {
		on bool
		s  string
	}{{c.Ignore, "-"}, {c.Argv0, "@"}, {c.Privileged, "+"}, {c.AmbientOK, "!!"}, {c.NoSetUID && !c.AmbientOK, "!"}, {c.NoEnv, ":"}, {c.Shell, "|"}} {
		if p.on {
			b.WriteString(p.s)
		}
	}
	return b.String()
}

// ParseExec reads one ExecStart=-style value into its command lines
// (src/core/load-fragment.c, config_parse_exec): the first word's prefix
// characters, then the words; a lone ";" starts another command line and
// "\;" is a literal ";". Specifiers are resolved word by word after
// unquoting, as config_parse_exec does. warnings lists what systemd
// would warn about and go on.
func ParseExec(value string, sp Specifiers) (cmds []Command, warnings []string, err error) {
	r := &wordReader{s: value, cunesc: true}
	for r.skipSpace() {
		first, _, err := r.next()
		if err != nil {
			return nil, warnings, err
		}
		var c Command
		f := first
	prefix:
		for f != "" {
			switch {
			case f[0] == '-' && !c.Ignore:
				c.Ignore = true
			case f[0] == '@' && !c.Argv0:
				c.Argv0 = true
			case f[0] == ':' && !c.NoEnv:
				c.NoEnv = true
			case f[0] == '+' && !c.Privileged && !c.NoSetUID:
				c.Privileged = true
			case strings.HasPrefix(f, "!!") && !c.Privileged && !c.NoSetUID:
				c.NoSetUID, c.AmbientOK = true, true
				f = f[1:]
			case f[0] == '!' && !c.Privileged && !c.NoSetUID:
				c.NoSetUID = true
			case f[0] == '|' && !c.Shell:
				c.Shell = true
			default:
				break prefix
			}
			f = f[1:]
		}
		if f == "" {
			return nil, warnings, fmt.Errorf("empty executable name in %q", first)
		}
		if c.Path, err = sp.Expand(f); err != nil {
			return nil, warnings, err
		}
		for r.skipSpace() {
			rest := r.s[r.i:]
			if rest[0] == ';' && (len(rest) == 1 || strings.IndexByte(whitespace, rest[1]) >= 0) {
				r.i++
				break
			}
			literalSemi := strings.HasPrefix(rest, `\;`) && (len(rest) == 2 || strings.IndexByte(whitespace, rest[2]) >= 0)
			if literalSemi {
				r.i += 2
				c.Args = append(c.Args, ";")
				continue
			}
			w, _, err := r.next()
			if err != nil {
				return nil, warnings, err
			}
			if w, err = sp.Expand(w); err != nil {
				return nil, warnings, err
			}
			c.Args = append(c.Args, w)
		}
		if c.Argv0 && len(c.Args) == 0 {
			return nil, warnings, fmt.Errorf("%q has \"@\" but no argv[0] word after it", first)
		}
		for _, u := range r.Unknown {
			warnings = append(warnings, fmt.Sprintf("unknown escape %s kept verbatim", u))
		}
		r.Unknown = nil
		cmds = append(cmds, c)
	}
	return cmds, warnings, nil
}

// PartKind says what a piece of a word is when the command runs.
type PartKind int

const (
	// Literal text.
	Literal PartKind = iota
	// Variable is ${NAME}: the variable's value, whitespace and all.
	Variable
	// Runtime is a runtime specifier (its letter).
	Runtime
)

// Part is one piece of a word.
type Part struct {
	Kind PartKind
	Text string
}

// Word is one word of a command line as the command will get it: either a
// variable split into words (Split, for "$NAME" alone), or the joined
// parts.
type Word struct {
	Split string
	Parts []Part
}

// ExpandWord reads the environment references of one word, as systemd's
// replace_env_argv and replace_env do (src/basic/env-util.c): a word that
// is "$NAME" alone becomes the variable's value split into words
// (SplitVariable; none when unset); elsewhere "${NAME}" is the value as
// one piece and "$$" is "$"; "$NAME" inside a longer word is literal.
// noEnv (the ":" prefix) keeps the word as it is.
func ExpandWord(w string, noEnv bool) Word {
	if !noEnv && len(w) > 1 && w[0] == '$' && w[1] != '{' && w[1] != '$' {
		return Word{Split: w[1:]}
	}
	var out Word
	lit := func(s string) {
		for s != "" {
			i := strings.IndexByte(s, 0)
			if i < 0 || i+1 >= len(s) {
				out.add(Part{Literal, s})
				return
			}
			out.add(Part{Literal, s[:i]})
			out.add(Part{Runtime, s[i+1 : i+2]})
			s = s[i+2:]
		}
	}
	if noEnv {
		lit(w)
		return out
	}
	start := 0
	for i := 0; i < len(w); i++ {
		if w[i] != '$' || i+1 >= len(w) {
			continue
		}
		switch w[i+1] {
		case '$':
			lit(w[start : i+1])
			start = i + 2
			i++
		case '{':
			end := strings.IndexByte(w[i+2:], '}')
			if end < 0 {
				continue
			}
			name := w[i+2 : i+2+end]
			if strings.IndexByte(name, ':') >= 0 {
				// "${A:-b}" is extended syntax, unsupported for command
				// lines: systemd leaves it as written.
				continue
			}
			lit(w[start:i])
			out.add(Part{Variable, name})
			i += 2 + end
			start = i + 1
		}
	}
	lit(w[start:])
	return out
}

func (w *Word) add(p Part) {
	if p.Kind == Literal && p.Text == "" {
		return
	}
	if n := len(w.Parts); n > 0 && p.Kind == Literal && w.Parts[n-1].Kind == Literal {
		w.Parts[n-1].Text += p.Text
		return
	}
	w.Parts = append(w.Parts, p)
}

// Vars lists the variables a word reads.
func (w Word) Vars() []string {
	if w.Split != "" {
		return []string{w.Split}
	}
	var out []string
	for _, p := range w.Parts {
		if p.Kind == Variable {
			out = append(out, p.Text)
		}
	}
	return out
}
