package lsb

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/pattern"
	"mvdan.cc/sh/v3/syntax"
)

// The reader's bounds. An init script is text from the image, so every
// read and every expansion is bounded in memory and in steps: a script or
// a sourced /etc/default file crafted to grow (V1=$V0$V0 ... V40) stops
// at these, and what the reader could not follow is reported as unknown,
// never guessed.
const (
	// MaxScript is the most of one script (or sourced file, or string
	// parsed again: su -c, sh -c, eval) the reader parses. Init scripts are
	// a few KiB; the largest of Debian bookworm's is under 40 KiB.
	MaxScript = 1 << 20
	// maxNesting bounds how deep brackets nest before the parser (which
	// recurses) is asked to read a script: 10,000 levels of "$(" would cost
	// it a stack of hundreds of MiB.
	maxNesting = 256
	// maxValue is the longest value a variable keeps; a longer expansion
	// makes the value unknown.
	maxValue = 64 << 10
	// maxExpanded is what all expansions of one reading may produce in all.
	maxExpanded = 8 << 20
	// maxSteps bounds the statements one reading visits (function bodies
	// are visited at each call).
	maxSteps = 200_000
	// maxDepth bounds nested calls, sourced files and strings parsed again.
	maxDepth = 24
	// maxFields bounds the words one command expands to.
	maxFields = 4096
	// maxSourced bounds the files one reading sources.
	maxSourced = 32
	// maxReparsed bounds the strings one reading parses again (eval,
	// su -c, sh -c): each parse allocates a parser.
	maxReparsed = 512
	// maxMatchWork bounds pattern matching (case items, ${v#pat}): a
	// match costs about the value's length times the pattern's, Go's
	// regexp being linear in each.
	maxMatchWork = 8 << 20
)

// value is a shell string as far as reading the text can know it.
type value struct {
	s     string
	known bool
	// alts are the values it may have when it is not known: the known
	// values of the branches that set it (at most maxAlts).
	alts []string
}

// maxAlts bounds the values an unknown one may have.
const maxAlts = 8

// same reports two values equal.
func same(a, b value) bool {
	if a.known != b.known || a.s != b.s || len(a.alts) != len(b.alts) {
		return false
	}
	for i := range a.alts {
		if a.alts[i] != b.alts[i] {
			return false
		}
	}
	return true
}

// either is what a variable holds after a branch set it to a and another
// to b: a when they agree, else unknown with the values it may have.
func either(a, b value) value {
	if same(a, b) {
		return a
	}
	var alts []string
	for _, v := range []value{a, b} {
		switch {
		case v.known:
			alts = append(alts, v.s)
		case len(v.alts) > 0:
			alts = append(alts, v.alts...)
		default:
			return unknownValue
		}
	}
	out := value{}
	seen := map[string]bool{}
	for _, s := range alts {
		if !seen[s] {
			seen[s] = true
			out.alts = append(out.alts, s)
		}
	}
	if len(out.alts) > maxAlts {
		return unknownValue
	}
	return out
}

var unknownValue = value{}

func known(s string) value { return value{s: s, known: true} }

// field is one word of a command after expansion. An unknown field that
// came from an unquoted expansion ("$DAEMON_ARGS") may stand for any
// number of words, none included: splat says so.
type field struct {
	s     string
	known bool
	splat bool
	alts  []string // an unquoted expansion of a value with alternatives
}

// parse reads src as a shell program, in the dialect its #! line names
// (bash for #!/bin/bash, else POSIX sh, the way dash reads /bin/sh
// scripts), falling back to the other when that one refuses it.
func parse(src []byte, name string) (*syntax.File, error) {
	if len(src) > MaxScript {
		return nil, fmt.Errorf("%d bytes, more than the %d the reader parses", len(src), MaxScript)
	}
	if d := nesting(src); d > maxNesting {
		return nil, fmt.Errorf("brackets nest %d deep, more than the %d the reader follows", d, maxNesting)
	}
	first, second := syntax.LangPOSIX, syntax.LangBash
	if line, _, _ := bytes.Cut(src, []byte("\n")); bytes.HasPrefix(line, []byte("#!")) &&
		(bytes.Contains(line, []byte("bash")) || bytes.Contains(line, []byte("ksh"))) {
		first, second = second, first
	}
	f, err := syntax.NewParser(syntax.Variant(first)).Parse(bytes.NewReader(src), name)
	if err == nil {
		return f, nil
	}
	if f2, err2 := syntax.NewParser(syntax.Variant(second)).Parse(bytes.NewReader(src), name); err2 == nil {
		return f2, nil
	}
	return nil, err
}

// nesting is an upper bound of how deep brackets and quotes nest in src,
// counted without parsing: every opener adds a level and every closer
// removes one, so it never says less than the parser would see.
func nesting(src []byte) int {
	depth, most := 0, 0
	for _, c := range src {
		switch c {
		case '(', '{', '[', '`':
			depth++
			most = max(most, depth)
		case ')', '}', ']':
			depth = max(0, depth-1)
		}
	}
	return most
}

// budget is what one reading may still spend; every expansion and every
// statement visited takes from it, and once spent the reading stops and
// says so.
type budget struct {
	expanded int
	steps    int
	reparsed int
	matching int
	spent    string
}

// match records a pattern match's cost; false once the budget is spent.
func (b *budget) match(value, pattern int) bool {
	if b.spent != "" {
		return false
	}
	b.matching += (value + 1) * (pattern + 1)
	if b.matching > maxMatchWork {
		b.spent = fmt.Sprintf("pattern matching passed %d steps", maxMatchWork)
		return false
	}
	return true
}

// reparse records a string parsed again; false once the budget is spent.
func (b *budget) reparse(n int) bool {
	if b.spent != "" {
		return false
	}
	b.reparsed++
	if b.reparsed > maxReparsed {
		b.spent = fmt.Sprintf("stopped after parsing %d strings again (eval, su -c, sh -c)", maxReparsed)
		return false
	}
	return b.grow(n)
}

func (b *budget) step() bool {
	if b.spent != "" {
		return false
	}
	b.steps++
	if b.steps > maxSteps {
		b.spent = fmt.Sprintf("stopped after %d statements", maxSteps)
		return false
	}
	return true
}

// grow records n bytes produced by an expansion; false once the budget
// is spent.
func (b *budget) grow(n int) bool {
	if b.spent != "" {
		return false
	}
	b.expanded += n
	if b.expanded > maxExpanded {
		b.spent = fmt.Sprintf("expansions passed %d bytes", maxExpanded)
		return false
	}
	return true
}

// env is the variables of the shell being read. A variable missing from
// vars is unset (systemd starts a unit's ExecStart= with a nearly empty
// environment, so a variable the script never sets expands to "").
type env struct {
	vars map[string]value
	args []value // $1 ...
	zero value   // $0
}

func newEnv() *env { return &env{vars: map[string]value{}} }

func (e *env) clone() *env {
	c := &env{vars: make(map[string]value, len(e.vars)), args: e.args, zero: e.zero}
	for k, v := range e.vars {
		c.vars[k] = v
	}
	return c
}

// merge makes e what is known after either e or o ran: a variable both
// give the same known value keeps it, any other is unknown.
func (e *env) merge(o *env) {
	for k, v := range e.vars {
		w, ok := o.vars[k]
		if !ok {
			w = known("") // unset expands to nothing
		}
		e.vars[k] = either(v, w)
	}
	for k, w := range o.vars {
		if _, ok := e.vars[k]; !ok {
			e.vars[k] = either(known(""), w)
		}
	}
	if len(e.args) != len(o.args) {
		e.args = nil
	}
}

// lookup expands a parameter name: a variable, a positional or a special
// parameter.
func (e *env) lookup(name string) (value, bool) {
	switch {
	case name == "0":
		return e.zero, true
	case name == "#":
		return known(fmt.Sprint(len(e.args))), true
	case len(name) == 1 && name[0] >= '1' && name[0] <= '9':
		i := int(name[0] - '1')
		if i < len(e.args) {
			return e.args[i], true
		}
		return value{}, false
	case name == "@" || name == "*":
		parts := make([]string, 0, len(e.args))
		for _, a := range e.args {
			if !a.known {
				return unknownValue, true
			}
			parts = append(parts, a.s)
		}
		return known(strings.Join(parts, " ")), true
	case name == "?" || name == "$" || name == "!" || name == "-" || !syntax.ValidName(name):
		return unknownValue, true
	}
	v, ok := e.vars[name]
	return v, ok
}

// expander expands words against an env within a budget.
type expander struct {
	env *env
	b   *budget
	// pattern: the word is a pattern (a case item, a removal's), whose
	// glob characters are its own, not files to look up.
	pattern bool
}

// patternStr expands a pattern word.
func (x *expander) patternStr(w *syntax.Word) value {
	saved := x.pattern
	x.pattern = true
	defer func() { x.pattern = saved }()
	return x.str(w)
}

// segment is a run of a word after expansion: quoted text is never split
// into fields; unquoted text that came from an expansion is.
type segment struct {
	s        string
	known    bool
	quoted   bool
	expanded bool
	alts     []string
	// brk ends the field ("$@" gives a field a positional parameter);
	// vanish is a "$@" with none, which leaves no field at all.
	brk, vanish bool
}

// str expands w as an assignment's value or a here-string: no field
// splitting, no pathname expansion.
func (x *expander) str(w *syntax.Word) value {
	if w == nil {
		return known("")
	}
	segs := x.word(w, false)
	var b strings.Builder
	for _, s := range segs {
		if !s.known {
			return unknownValue
		}
		b.WriteString(s.s)
	}
	if b.Len() > maxValue || !x.b.grow(b.Len()) {
		return unknownValue
	}
	return known(b.String())
}

// fields expands the words of a command as sh does: each unquoted
// expansion split at blanks (the default IFS), quoted parts kept whole,
// an unquoted expansion to nothing dropped.
func (x *expander) fields(words []*syntax.Word) []field {
	var out []field
	for _, w := range words {
		if len(out) >= maxFields {
			return append(out, field{splat: true})
		}
		out = append(out, x.split(x.word(w, false))...)
	}
	return out
}

func (x *expander) split(segs []segment) []field {
	var out []field
	cur, have, curKnown := strings.Builder{}, false, true
	flush := func() {
		if have {
			out = append(out, field{s: cur.String(), known: curKnown})
		}
		cur.Reset()
		have, curKnown = false, true
	}
	for _, s := range segs {
		switch {
		case s.vanish:
			continue
		case s.brk:
			flush()
			continue
		case !s.known && s.expanded && !s.quoted:
			// An unquoted unknown expansion: any number of words.
			flush()
			out = append(out, field{splat: true, alts: s.alts})
		case !s.known:
			have, curKnown = true, false
		case s.expanded && !s.quoted:
			for i, part := range splitBlanks(s.s) {
				if i > 0 {
					flush()
				}
				if part != "" {
					cur.WriteString(part)
					have = true
				}
			}
			if s.s != "" && strings.ContainsAny(s.s[len(s.s)-1:], " \t\n") {
				flush()
			}
		default:
			cur.WriteString(s.s)
			have = true
			if s.quoted {
				have = true
			}
		}
	}
	flush()
	return out
}

// splitBlanks splits s at runs of blanks; a leading blank gives a first
// empty element (ending the field before it), so "a b" -> [a b], " a" ->
// ["" a].
func splitBlanks(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
	if s != "" && strings.ContainsAny(s[:1], " \t\n") {
		parts = append([]string{""}, parts...)
	}
	if len(parts) == 0 {
		return []string{""}
	}
	return parts
}

// word expands the parts of w; inQuotes is set inside "...".
func (x *expander) word(w *syntax.Word, inQuotes bool) []segment {
	var out []segment
	for i, p := range w.Parts {
		out = append(out, x.part(p, inQuotes, i == 0)...)
	}
	return out
}

func (x *expander) part(p syntax.WordPart, inQuotes, first bool) []segment {
	switch p := p.(type) {
	case *syntax.Lit:
		s := p.Value
		if !inQuotes {
			// A backslash outside quotes quotes the next character
			// (the parser keeps it in the literal); a glob character
			// left unquoted names files only the running system has.
			s = unescape(s)
			if !x.pattern && (isGlob(p.Value) || (first && strings.HasPrefix(p.Value, "~"))) {
				return []segment{{known: false}}
			}
		} else {
			s = unescapeDouble(s)
		}
		return []segment{{s: s, known: true, quoted: inQuotes}}
	case *syntax.SglQuoted:
		if p.Dollar {
			return []segment{{known: false, quoted: true}}
		}
		return []segment{{s: p.Value, known: true, quoted: true}}
	case *syntax.DblQuoted:
		if p.Dollar {
			return []segment{{known: false, quoted: true}}
		}
		var out []segment
		for _, q := range p.Parts {
			out = append(out, x.part(q, true, false)...)
		}
		if len(out) == 0 {
			out = append(out, segment{s: "", known: true, quoted: true})
		}
		return out
	case *syntax.ParamExp:
		if inQuotes && p.Param != nil && p.Param.Value == "@" && p.Exp == nil && !p.Length && !p.Excl && p.Index == nil && p.Slice == nil && p.Repl == nil {
			// "$@": each positional parameter a field of its own.
			if len(x.env.args) == 0 {
				return []segment{{vanish: true, known: true}}
			}
			var out []segment
			for i, a := range x.env.args {
				if i > 0 {
					out = append(out, segment{brk: true, known: true})
				}
				out = append(out, segment{s: a.s, known: a.known, quoted: true, expanded: true})
			}
			return out
		}
		v := x.param(p)
		return []segment{{s: v.s, known: v.known, quoted: inQuotes, expanded: true, alts: v.alts}}
	case *syntax.CmdSubst:
		v := x.subst(p)
		return []segment{{s: v.s, known: v.known, quoted: inQuotes, expanded: true}}
	}
	// Arithmetic, process substitution, extended globs, brace expansion:
	// not followed.
	return []segment{{known: false, quoted: inQuotes, expanded: true}}
}

// isGlob reports an unquoted pattern sh would expand against the running
// system's files: a "*" or "?", or a "[" closed later ("[" alone, the test
// command, is a plain word).
func isGlob(lit string) bool {
	if strings.ContainsAny(lit, "*?") {
		return true
	}
	i := strings.IndexByte(lit, '[')
	return i >= 0 && strings.IndexByte(lit[i+1:], ']') >= 0
}

// unescape drops the backslashes that quote a character outside quotes.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unescapeDouble drops the backslashes that quote $ ` " \ inside double
// quotes (POSIX 2.2.3); others stay.
func unescapeDouble(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// subst is a command substitution's value: the two the init scripts use
// for paths are computed ($(basename X), $(dirname X), as coreutils
// would); any other is unknown. The commands inside are read by the
// walker, not here.
func (x *expander) subst(c *syntax.CmdSubst) value {
	if len(c.Stmts) != 1 || c.Stmts[0].Background || len(c.Stmts[0].Redirs) > 0 {
		return unknownValue
	}
	call, ok := c.Stmts[0].Cmd.(*syntax.CallExpr)
	if !ok || len(call.Assigns) > 0 || len(call.Args) != 2 {
		return unknownValue
	}
	name := call.Args[0].Lit()
	arg := x.fields(call.Args[1:])
	if len(arg) != 1 || !arg[0].known || arg[0].s == "" {
		return unknownValue
	}
	switch name {
	case "basename":
		return known(baseName(arg[0].s))
	case "dirname":
		return known(dirName(arg[0].s))
	}
	return unknownValue
}

func baseName(s string) string {
	t := strings.TrimRight(s, "/")
	if t == "" {
		return "/"
	}
	return t[strings.LastIndexByte(t, '/')+1:]
}

func dirName(s string) string {
	t := strings.TrimRight(s, "/")
	if t == "" {
		return "/"
	}
	i := strings.LastIndexByte(t, '/')
	if i < 0 {
		return "."
	}
	t = strings.TrimRight(t[:i], "/")
	if t == "" {
		return "/"
	}
	return t
}

// param expands ${...}: plain, the default, assign, alternative and error
// forms, the length, and the four removals of a prefix or suffix; any
// other form is unknown.
func (x *expander) param(p *syntax.ParamExp) value {
	if p.Param == nil || p.Excl || p.Width || p.Index != nil || p.Slice != nil || p.Repl != nil || p.Names != 0 {
		return unknownValue
	}
	name := p.Param.Value
	v, set := x.env.lookup(name)
	if p.Length {
		if !set {
			return known("0")
		}
		if !v.known {
			return unknownValue
		}
		return known(fmt.Sprint(len([]rune(v.s))))
	}
	if p.Exp == nil {
		if !set {
			return known("")
		}
		return v
	}
	null := !set || (v.known && v.s == "")
	switch p.Exp.Op {
	case syntax.DefaultUnset, syntax.DefaultUnsetOrNull, syntax.AssignUnset, syntax.AssignUnsetOrNull,
		syntax.AlternateUnset, syntax.AlternateUnsetOrNull, syntax.ErrorUnset, syntax.ErrorUnsetOrNull:
		colon := p.Exp.Op == syntax.DefaultUnsetOrNull || p.Exp.Op == syntax.AssignUnsetOrNull ||
			p.Exp.Op == syntax.AlternateUnsetOrNull || p.Exp.Op == syntax.ErrorUnsetOrNull
		if set && !v.known && colon {
			return unknownValue // whether it is null is not known
		}
		empty := !set || (colon && null)
		switch p.Exp.Op {
		case syntax.AlternateUnset, syntax.AlternateUnsetOrNull:
			if empty {
				return known("")
			}
			return x.str(p.Exp.Word)
		case syntax.ErrorUnset, syntax.ErrorUnsetOrNull:
			if empty {
				return unknownValue // the shell exits here
			}
			return v
		}
		if !empty {
			return v
		}
		d := x.str(p.Exp.Word)
		if p.Exp.Op == syntax.AssignUnset || p.Exp.Op == syntax.AssignUnsetOrNull {
			if syntax.ValidName(name) {
				x.env.vars[name] = d
			}
		}
		return d
	case syntax.RemSmallPrefix, syntax.RemLargePrefix, syntax.RemSmallSuffix, syntax.RemLargeSuffix:
		if !set {
			return known("")
		}
		pat := x.patternStr(p.Exp.Word)
		if !v.known || !pat.known || !x.b.match(len(v.s), len(pat.s)) {
			return unknownValue
		}
		return remove(v.s, pat.s, p.Exp.Op)
	}
	return unknownValue
}

// maxPattern bounds a removal's pattern; with RE2's linear matching a
// removal then costs at most maxValue times maxPattern.
const maxPattern = 256

// remove applies ${v#pat}, ${v##pat}, ${v%pat} or ${v%%pat} as
// mvdan.cc/sh's expand package does (expand/param.go, removePattern): the
// shell pattern as a regular expression, anchored at the start or at the
// end, the shortest or the longest match removed.
func remove(v, pat string, op syntax.ParExpOperator) value {
	if len(pat) > maxPattern {
		return unknownValue
	}
	suffix := op == syntax.RemSmallSuffix || op == syntax.RemLargeSuffix
	small := op == syntax.RemSmallPrefix || op == syntax.RemSmallSuffix
	var mode pattern.Mode
	if small {
		mode |= pattern.Shortest
	}
	expr, err := pattern.Regexp(pat, mode)
	if err != nil {
		return unknownValue
	}
	switch {
	case suffix && small:
		expr = ".*(" + expr + ")$"
	case suffix:
		expr = "(" + expr + ")$"
	default:
		expr = "^(" + expr + ")"
	}
	rx, err := regexp.Compile("(?s)" + expr)
	if err != nil {
		return unknownValue
	}
	if loc := rx.FindStringSubmatchIndex(v); loc != nil {
		v = v[:loc[2]] + v[loc[3]:]
	}
	return known(v)
}
