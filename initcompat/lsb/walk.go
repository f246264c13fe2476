package lsb

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/pattern"
	"mvdan.cc/sh/v3/syntax"
)

// Word is one word of a command after expansion. Known is false when the
// text depends on what only the running system has (a command's output,
// a variable set from one, a glob); Many marks an unquoted unknown
// expansion, which may stand for any number of words, none included.
type Word struct {
	Text  string
	Known bool
	Many  bool
	// Alts, for an unknown word, are the texts it may have (before
	// splitting), when branches the reading could not decide each set
	// a known one.
	Alts []string
}

// Run is one command a script runs on the path read, as sh would run it:
// its words expanded, and how the shell waits for it.
type Run struct {
	Line int
	Argv []Word
	// Background: the shell does not wait for it ("&" on it or on a list
	// around it; POSIX 2.9.3.1 Asynchronous Lists).
	Background bool
	// InSubst: it runs inside $(...) or `...`; the shell reading the
	// substitution waits until every process holding its standard output
	// has closed it (POSIX 2.6.3 Command Substitution), background or not.
	InSubst bool
	// StdoutRedirected: its standard output is not inherited (">", ">>",
	// "&>" or ">&" on fd 1).
	StdoutRedirected bool
	// Via says what ran it, outermost first: "do_start (line 30)",
	// "su -c (line 12)".
	Via []string
}

// Program is the first word of the run, when it is known.
func (r Run) Program() (string, bool) {
	if len(r.Argv) == 0 || !r.Argv[0].Known || r.Argv[0].Many {
		return "", false
	}
	return r.Argv[0].Text, true
}

// flow is how a list of statements ended on the path read.
type flow int

const (
	flowNext   flow = iota // on to the next statement
	flowReturn             // return (or the end of a function body by break/continue)
	flowExit               // exit, or exec of a program: nothing after runs
)

// walker reads a script the way sh would run one action of it, without
// running anything. Every branch whose condition the text cannot decide
// is read (the variables each sets are merged: known only when every
// branch agrees), every function is found before the walk starts (so a
// call reaches a function defined further down), and files the script
// sources are read as data: their assignments, never their commands.
type walker struct {
	funcs    map[string]fn
	active   map[string]int
	defaults Defaults
	b        *budget
	runs     []Run
	notes    []string
	sourced  int
	maxRuns  int
	// top is the script's own statements, which Debian's init-d-script
	// sources again; initD is set once it has.
	top   []*syntax.Stmt
	initD bool
	// forever holds the lines of loops that never end on the path read;
	// waited says a "wait" builtin ran in the foreground.
	forever []int
	waited  bool
}

// fn is a function of the script; line > 0 when its text is not the
// script's own (a string parsed again, the init-d-script model), whose
// lines all count as that one.
type fn struct {
	body *syntax.Stmt
	line int
}

// frame is the context of the statements being read.
type frame struct {
	env         *env
	bg, subst   bool
	stdoutRedir bool
	via         []string
	depth       int
	data        bool // a sourced file: assignments only
	line        int  // > 0: a string parsed again, whose lines are all this one
}

func (f frame) at(n syntax.Node) int {
	if f.line > 0 {
		return f.line
	}
	return int(n.Pos().Line())
}

func (w *walker) note(format string, args ...any) {
	if len(w.notes) < 64 {
		w.notes = append(w.notes, fmt.Sprintf(format, args...))
	}
}

// collectFuncs records every function definition in stmts, nested ones
// included; the first definition of a name wins until the walk reaches a
// later one.
func (w *walker) collectFuncs(stmts []*syntax.Stmt, line int) {
	syntax.Walk(&syntax.File{Stmts: stmts}, func(n syntax.Node) bool {
		if fd, ok := n.(*syntax.FuncDecl); ok && fd.Name != nil {
			if _, seen := w.funcs[fd.Name.Value]; !seen {
				w.funcs[fd.Name.Value] = fn{body: fd.Body, line: line}
			}
		}
		return true
	})
}

func (w *walker) stmts(list []*syntax.Stmt, f frame) flow {
	for _, s := range list {
		if fl := w.stmt(s, f); fl != flowNext {
			return fl
		}
	}
	return flowNext
}

func (w *walker) stmt(s *syntax.Stmt, f frame) flow {
	if !w.b.step() {
		return flowExit
	}
	if s.Background || s.Coprocess {
		f.bg = true
	}
	for _, r := range s.Redirs {
		if redirectsStdout(r) {
			f.stdoutRedir = true
		}
		// The words of a redirection are expanded (a $(...) in them
		// runs); a here-document's body is data, never commands.
		if r.Word != nil && !f.data {
			w.substs(r.Word, f)
		}
	}
	if s.Cmd == nil {
		return flowNext
	}
	fl := w.command(s.Cmd, f)
	if f.bg {
		// An asynchronous list runs in a subshell: its exit or its
		// assignments do not reach the script.
		return flowNext
	}
	return fl
}

// redirectsStdout reports a redirection that gives fd 1 a new file.
func redirectsStdout(r *syntax.Redirect) bool {
	switch r.Op {
	case syntax.RdrOut, syntax.AppOut, syntax.RdrClob, syntax.DplOut:
		return r.N == nil || r.N.Value == "1"
	case syntax.RdrAll, syntax.AppAll:
		return true
	}
	return false
}

func (w *walker) command(c syntax.Command, f frame) flow {
	switch c := c.(type) {
	case *syntax.CallExpr:
		return w.call(c, f)
	case *syntax.DeclClause:
		return w.decl(c, f)
	case *syntax.Block:
		return w.stmts(c.Stmts, f)
	case *syntax.Subshell:
		g := f
		g.env = f.env.clone()
		if w.stmts(c.Stmts, g) == flowExit && !f.data {
			return flowNext // exit leaves the subshell only
		}
		return flowNext
	case *syntax.IfClause:
		return w.ifClause(c, f)
	case *syntax.CaseClause:
		return w.caseClause(c, f)
	case *syntax.BinaryCmd:
		return w.binary(c, f)
	case *syntax.WhileClause:
		if d := w.decide(c.Cond, f); (d == 1 && !c.Until || d == 0 && c.Until) && !f.bg && !f.subst && !w.leaves(c.Do) {
			w.forever = append(w.forever, f.at(c))
		}
		return w.loop(c.Cond, c.Do, f)
	case *syntax.ForClause:
		if wi, ok := c.Loop.(*syntax.WordIter); ok && wi.Name != nil {
			f.env.vars[wi.Name.Value] = unknownValue
		}
		return w.loop(nil, c.Do, f)
	case *syntax.FuncDecl:
		if c.Name != nil && !f.data {
			w.funcs[c.Name.Value] = fn{body: c.Body, line: f.line}
		}
	case *syntax.TimeClause:
		if c.Stmt != nil {
			return w.stmt(c.Stmt, f)
		}
	case *syntax.CoprocClause:
		if c.Stmt != nil {
			f.bg = true
			w.stmt(c.Stmt, f)
		}
	}
	return flowNext
}

// branches reads each list as a path that may run, from the same
// variables, and leaves f.env with what is known after any of them ran.
// The result is flowExit only when every path exits.
func (w *walker) branches(f frame, lists ...[]*syntax.Stmt) flow {
	var merged *env
	all := flowExit
	for _, list := range lists {
		g := f
		g.env = f.env.clone()
		fl := w.stmts(list, g)
		if fl != flowExit {
			if merged == nil {
				merged = g.env
			} else {
				merged.merge(g.env)
			}
		}
		all = min(all, fl)
	}
	if merged != nil {
		*f.env = *merged
	}
	if all == flowReturn && len(lists) > 0 {
		return flowReturn
	}
	return all
}

func (w *walker) ifClause(c *syntax.IfClause, f frame) flow {
	if w.stmts(c.Cond, f) == flowExit {
		return flowExit
	}
	var elseList []*syntax.Stmt
	if c.Else != nil {
		elseList = []*syntax.Stmt{{Cmd: c.Else, Position: c.Else.Position}}
	}
	switch w.decide(c.Cond, f) {
	case 1:
		return w.stmts(c.Then, f)
	case 0:
		return w.stmts(elseList, f)
	}
	if c.Else == nil {
		w.branches(f, c.Then, nil)
		return flowNext
	}
	return w.branches(f, c.Then, elseList)
}

// decide evaluates a condition the text alone settles: "[ X = Y ]",
// "[ X != Y ]", "[ -n X ]", "[ -z X ]" on known words, and true, false
// and ":". 1 is true, 0 false, -1 undecided.
func (w *walker) decide(cond []*syntax.Stmt, f frame) int {
	if len(cond) == 0 {
		return 1 // an else: an IfClause without a condition
	}
	if len(cond) != 1 {
		return -1
	}
	switch c := cond[0].Cmd.(type) {
	case *syntax.Subshell:
		if !cond[0].Negated && !cond[0].Background {
			return w.decide(c.Stmts, f)
		}
	case *syntax.Block:
		if !cond[0].Negated && !cond[0].Background {
			return w.decide(c.Stmts, f)
		}
	}
	call, ok := cond[0].Cmd.(*syntax.CallExpr)
	if !ok || cond[0].Background {
		return -1
	}
	x := expander{env: f.env.clone(), b: w.b}
	args := x.fields(call.Args)
	for _, a := range args {
		if !a.known || a.splat {
			return -1
		}
	}
	r := -1
	switch {
	case len(args) == 1 && (args[0].s == "true" || args[0].s == ":"):
		r = 1
	case len(args) == 1 && args[0].s == "false":
		r = 0
	case len(args) == 2 && args[0].s == "is_call_implemented" && w.initD:
		_, ok := w.funcs[args[1].s]
		r = 0
		if ok {
			r = 1
		}
	case len(args) >= 2 && (args[0].s == "[" && args[len(args)-1].s == "]" || args[0].s == "test"):
		t := args[1:]
		if args[0].s == "[" {
			t = args[1 : len(args)-1]
		}
		r = testWords(t)
		if r < 0 && len(t) == 2 && w.defaults != nil && strings.HasPrefix(t[1].s, "/") {
			// "[ -r /etc/default/NAME ]": a file the caller gives is
			// there and readable.
			switch t[0].s {
			case "-r", "-f", "-e", "-s":
				if w.defaults(t[1].s) != nil {
					r = 1
				}
			}
		}
	}
	if r >= 0 && cond[0].Negated {
		r = 1 - r
	}
	return r
}

func testWords(t []field) int {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	switch {
	case len(t) == 3 && (t[1].s == "=" || t[1].s == "=="):
		return b(t[0].s == t[2].s)
	case len(t) == 3 && t[1].s == "!=":
		return b(t[0].s != t[2].s)
	case len(t) == 2 && t[0].s == "-n":
		return b(t[1].s != "")
	case len(t) == 2 && t[0].s == "-z":
		return b(t[1].s == "")
	case len(t) == 1:
		return b(t[0].s != "")
	}
	return -1
}

func (w *walker) caseClause(c *syntax.CaseClause, f frame) flow {
	x := expander{env: f.env, b: w.b}
	word := x.str(c.Word)
	w.substs(c.Word, f)
	if word.known {
		for i, item := range c.Items {
			for _, p := range item.Patterns {
				pv := x.patternStr(p)
				if !pv.known || !w.b.match(len(word.s), len(pv.s)) {
					// Cannot tell whether this item matches: it and
					// the rest may run.
					return w.caseFrom(c, i, f)
				}
				if matchPattern(pv.s, word.s) {
					return w.stmts(item.Stmts, f)
				}
			}
		}
		return flowNext
	}
	return w.caseFrom(c, 0, f)
}

// caseFrom reads the items from the i-th on as paths of which at most
// one runs (or none, when no pattern matches).
func (w *walker) caseFrom(c *syntax.CaseClause, i int, f frame) flow {
	lists := make([][]*syntax.Stmt, 0, len(c.Items)-i+1)
	catchAll := false
	for _, item := range c.Items[i:] {
		lists = append(lists, item.Stmts)
		for _, p := range item.Patterns {
			if p.Lit() == "*" {
				catchAll = true
			}
		}
	}
	if !catchAll {
		lists = append(lists, nil)
	}
	return w.branches(f, lists...)
}

var patternCache = map[string]*regexp.Regexp{}

// matchPattern matches a case pattern as sh does (POSIX 2.13).
func matchPattern(pat, s string) bool {
	if len(pat) > maxPattern {
		return false
	}
	expr, err := pattern.Regexp(pat, pattern.EntireString)
	if err != nil {
		return pat == s
	}
	rx, ok := patternCache[expr]
	if !ok {
		if rx, err = regexp.Compile("(?s)" + expr); err != nil {
			return false
		}
		if len(patternCache) < 512 {
			patternCache[expr] = rx
		}
	}
	return rx.MatchString(s)
}

func (w *walker) binary(c *syntax.BinaryCmd, f frame) flow {
	switch c.Op {
	case syntax.AndStmt, syntax.OrStmt:
		if fl := w.stmt(c.X, f); fl != flowNext {
			return fl
		}
		// Whether the right side runs depends on the left's status.
		d := w.decide([]*syntax.Stmt{c.X}, f)
		if c.Op == syntax.OrStmt && d >= 0 {
			d = 1 - d
		}
		switch d {
		case 1:
			return w.stmt(c.Y, f)
		case 0:
			return flowNext
		}
		w.branches(f, []*syntax.Stmt{c.Y}, nil)
		return flowNext
	case syntax.Pipe, syntax.PipeAll:
		// Each command of a pipeline runs in a subshell; all but the
		// last write into the pipe, not the inherited output.
		g := f
		g.env = f.env.clone()
		g.stdoutRedir = true
		w.stmt(c.X, g)
		h := f
		h.env = f.env.clone()
		w.stmt(c.Y, h)
	}
	return flowNext
}

// loop reads a loop's body once, as a path that may run; a body that
// may run several times makes every variable it sets unknown after.
func (w *walker) loop(cond, body []*syntax.Stmt, f frame) flow {
	if w.stmts(cond, f) == flowExit {
		return flowExit
	}
	g := f
	g.env = f.env.clone()
	w.stmts(body, g)
	for k, v := range g.env.vars {
		if old, ok := f.env.vars[k]; !ok || !same(old, v) {
			f.env.vars[k] = unknownValue
		}
	}
	return flowNext
}

func (w *walker) decl(c *syntax.DeclClause, f frame) flow {
	x := expander{env: f.env, b: w.b}
	for _, a := range c.Args {
		if a.Name == nil || a.Naked {
			continue
		}
		if a.Array != nil || a.Index != nil {
			f.env.vars[a.Name.Value] = unknownValue
			continue
		}
		if !f.data {
			w.substs(a.Value, f)
		}
		f.env.vars[a.Name.Value] = x.str(a.Value)
	}
	return flowNext
}

// substs reads the commands of every command substitution in word: they
// run, with the substitution's pipe as their standard output.
func (w *walker) substs(word *syntax.Word, f frame) {
	if word == nil || f.data {
		return
	}
	syntax.Walk(word, func(n syntax.Node) bool {
		cs, ok := n.(*syntax.CmdSubst)
		if !ok {
			return true
		}
		g := f
		g.env = f.env.clone()
		g.subst, g.stdoutRedir = true, false
		w.stmts(cs.Stmts, g)
		return false
	})
}

func (w *walker) call(c *syntax.CallExpr, f frame) flow {
	x := expander{env: f.env, b: w.b}
	if len(c.Args) == 0 {
		for _, a := range c.Assigns {
			if a.Name == nil {
				continue
			}
			if !f.data {
				w.substs(a.Value, f)
			}
			v := unknownValue
			if a.Array == nil && a.Index == nil {
				v = x.str(a.Value)
				if a.Append {
					old, ok := f.env.vars[a.Name.Value]
					switch {
					case !ok:
					case !old.known || !v.known || len(old.s)+len(v.s) > maxValue:
						v = unknownValue
					default:
						v = known(old.s + v.s)
					}
				}
			}
			f.env.vars[a.Name.Value] = v
		}
		return flowNext
	}
	for _, a := range c.Args {
		w.substs(a, f)
	}
	argv := x.fields(c.Args)
	if len(argv) == 0 {
		return flowNext
	}
	if f.data {
		return w.dataCommand(argv, f)
	}
	return w.run(argv, f, int(c.Pos().Line()))
}

// dataCommand is a command of a sourced file: only what sets variables
// counts (export/readonly with assignments are DeclClauses); a nested
// "." is read as data too.
func (w *walker) dataCommand(argv []field, f frame) flow {
	if argv[0].known && (argv[0].s == "." || argv[0].s == "source") {
		w.source(argv, f, 0)
	}
	if argv[0].known && argv[0].s == "unset" {
		for _, a := range argv[1:] {
			if a.known {
				delete(f.env.vars, a.s)
			}
		}
	}
	return flowNext
}

// run handles one command with its words expanded: a builtin that
// changes what the shell knows, a function of the script, or a program,
// recorded as a Run and, when it runs other commands (su -c, sh -c,
// nohup, start-stop-daemon ...), read through.
func (w *walker) run(argv []field, f frame, line int) flow {
	if f.line > 0 {
		line = f.line
	}
	if !argv[0].known || argv[0].splat {
		w.record(argv, f, line)
		return flowNext
	}
	name := argv[0].s
	switch name {
	case "exit":
		return flowExit
	case "return":
		return flowReturn
	case ".", "source":
		w.source(argv, f, line)
		if w.initD && !f.data {
			return flowExit // init-d-script ran the action and exits
		}
		return flowNext
	case "call":
		if w.initD && len(argv) > 1 && argv[1].known {
			// init-d-script's call: NAME_override when the script
			// defines it, else NAME.
			if o, ok := w.funcs[argv[1].s+"_override"]; ok {
				return w.function(argv[1].s+"_override", o, argv[2:], f, line)
			}
			return w.run(argv[1:], f, line)
		}
	case "eval":
		w.again(joinFields(argv[1:]), "eval", f, line)
		return flowNext
	case "exec":
		if len(argv) == 1 {
			return flowNext
		}
		g := f
		g.via = append(append([]string(nil), f.via...), fmt.Sprintf("exec (line %d)", line))
		w.run(argv[1:], g, line)
		return flowExit
	case "command", "builtin":
		if len(argv) > 1 && !strings.HasPrefix(argv[1].s, "-") {
			return w.run(argv[1:], f, line)
		}
		return flowNext
	case "set":
		if len(argv) > 1 && argv[1].known && argv[1].s == "--" {
			f.env.args = valuesOf(argv[2:])
		}
		return flowNext
	case "shift":
		if len(f.env.args) > 0 {
			f.env.args = f.env.args[1:]
		}
		return flowNext
	case "unset":
		for _, a := range argv[1:] {
			if a.known {
				delete(f.env.vars, a.s)
			}
		}
		return flowNext
	case "read", "getopts":
		for _, a := range argv[1:] {
			if a.known && syntax.ValidName(a.s) {
				f.env.vars[a.s] = unknownValue
			}
		}
		return flowNext
	case "export", "readonly", "local", "typeset", "declare":
		// The bash parser makes these DeclClauses; the POSIX one leaves
		// them commands whose words are NAME=VALUE.
		for _, a := range argv[1:] {
			k, v, ok := strings.Cut(a.s, "=")
			if a.known && ok && syntax.ValidName(k) {
				f.env.vars[k] = known(v)
			} else if ok && syntax.ValidName(k) {
				f.env.vars[k] = unknownValue
			}
		}
		return flowNext
	case "wait":
		if !f.bg {
			w.waited = true
		}
		return flowNext
	case "cd", ":", "true", "false", "echo", "printf", "[", "test", "trap", "umask", "ulimit", "break", "continue":
		if name == "break" || name == "continue" {
			return flowReturn
		}
		return flowNext
	}
	if fun, ok := w.funcs[name]; ok && !strings.Contains(name, "/") {
		return w.function(name, fun, argv[1:], f, line)
	}
	w.record(argv, f, line)
	w.through(argv, f, line)
	return flowNext
}

// function reads a call of a function of the script, with its
// arguments as the positional parameters. Its variables are the
// script's (sh has no other scope, and "local" ones are read the same).
func (w *walker) function(name string, fun fn, args []field, f frame, line int) flow {
	if f.depth >= maxDepth || w.active[name] > 1 {
		w.note("line %d: %s not followed (calls nest too deep)", line, name)
		return flowNext
	}
	w.active[name]++
	defer func() { w.active[name]-- }()
	g := f
	g.depth++
	g.line = fun.line
	g.via = append(append([]string(nil), f.via...), fmt.Sprintf("%s (line %d)", name, line))
	saved := f.env.args
	f.env.args = valuesOf(args)
	fl := w.stmt(fun.body, g)
	f.env.args = saved
	if fl == flowExit {
		return flowExit
	}
	return flowNext
}

// source reads a file the script sources, as data: its assignments set
// the script's variables; its commands are not run, its functions not
// defined. Only files the caller's Defaults gives are read.
func (w *walker) source(argv []field, f frame, line int) {
	if len(argv) < 2 || !argv[1].known || w.defaults == nil {
		return
	}
	p := argv[1].s
	if (p == "/lib/init/init-d-script" || p == "/usr/lib/init/init-d-script") && !f.data {
		w.initDScript(f, line)
		return
	}
	if f.depth >= maxDepth || w.sourced >= maxSourced {
		w.note("line %d: %s not read (too many sourced files)", line, p)
		return
	}
	data := w.defaults(p)
	if data == nil {
		return
	}
	w.sourced++
	file, err := parse(data, p)
	if err != nil {
		w.note("line %d: %s not read: %v", line, p, err)
		return
	}
	g := f
	g.data, g.depth, g.line = true, f.depth+1, line
	w.stmts(file.Stmts, g)
}

// again parses s, a string the shell will parse again (eval, su -c,
// sh -c), and reads it where it runs.
func (w *walker) again(s field, how string, f frame, line int) {
	if !s.known || s.splat {
		w.note("line %d: %s of a string initcompat cannot read", line, how)
		w.record([]field{{s: how, known: true}, s}, f, line)
		return
	}
	if f.depth >= maxDepth {
		w.note("line %d: %s not followed (nested too deep)", line, how)
		return
	}
	if !w.b.reparse(len(s.s)) {
		return
	}
	file, err := parse([]byte(s.s), how)
	if err != nil {
		w.note("line %d: %s string does not parse: %v", line, how, err)
		return
	}
	g := f
	g.depth++
	g.line = line
	g.via = append(append([]string(nil), f.via...), fmt.Sprintf("%s (line %d)", how, line))
	g.env = f.env.clone()
	w.collectFuncs(file.Stmts, line)
	w.stmts(file.Stmts, g)
}

func (w *walker) record(argv []field, f frame, line int) {
	if len(w.runs) >= w.maxRuns {
		if w.b.spent == "" {
			w.b.spent = fmt.Sprintf("more than %d commands", w.maxRuns)
		}
		return
	}
	words := make([]Word, len(argv))
	for i, a := range argv {
		words[i] = Word{Text: a.s, Known: a.known && !a.splat, Many: a.splat, Alts: a.alts}
	}
	w.runs = append(w.runs, Run{Line: line, Argv: words, Background: f.bg, InSubst: f.subst,
		StdoutRedirected: f.stdoutRedir, Via: f.via})
}

// through reads the commands a program runs in turn: the command string
// of su -c, runuser -c and sh -c, parsed again; the command line that
// nohup, env, nice and their kind execute. start-stop-daemon is read by
// ReadStart from the recorded run.
func (w *walker) through(argv []field, f frame, line int) {
	inner, how, ok := unwrap(argv)
	if !ok {
		if len(argv) > 0 && argv[0].known && isWrapper(base(argv[0].s)) {
			// A wrapper whose command the text does not show: the
			// command it runs is unknown, but it runs there.
			g := f
			g.via = append(append([]string(nil), f.via...), fmt.Sprintf("%s (line %d)", base(argv[0].s), line))
			w.record([]field{{splat: true}}, g, line)
		}
		return
	}
	g := f
	if how.background {
		g.bg = true
	}
	if how.shell {
		if len(inner) == 0 {
			return
		}
		w.again(inner[0], how.name, g, line)
		return
	}
	if len(inner) == 0 {
		return
	}
	g.via = append(append([]string(nil), f.via...), fmt.Sprintf("%s (line %d)", how.name, line))
	if f.depth >= maxDepth {
		return
	}
	g.depth++
	w.record(inner, g, line)
	w.through(inner, g, line)
}

func valuesOf(fs []field) []value {
	out := make([]value, 0, len(fs))
	for _, a := range fs {
		if a.splat {
			return nil
		}
		out = append(out, value{s: a.s, known: a.known})
	}
	return out
}

// joinFields joins words with spaces, as eval and sh -c "$*" see them.
func joinFields(fs []field) field {
	parts := make([]string, 0, len(fs))
	for _, a := range fs {
		if !a.known || a.splat {
			return field{}
		}
		parts = append(parts, a.s)
	}
	return field{s: strings.Join(parts, " "), known: true}
}

// base is a command name without its directory.
func base(s string) string { return path.Base(s) }

// initDModel is what Debian's /lib/init/init-d-script (sysvinit-utils
// 3.06, init-d-script(5)) does for the start action once it has sourced
// the script, in the terms the reader follows: NAME, DESC, COMMAND_NAME
// and PIDFILE given their defaults, /etc/default/$NAME sourced, "none"
// taken for empty; do_start calls do_start_prepare and do_start_cleanup
// when the script defines them, and do_start_cmd (or the script's
// do_start_cmd_override), which runs start-stop-daemon --start with
// PIDFILE, COMMAND_NAME, DAEMON, START_ARGS and DAEMON_ARGS.
const initDModel = `do_start_cmd() {
	start-stop-daemon --start --quiet ${PIDFILE:+--pidfile "$PIDFILE"} ${COMMAND_NAME:+--name "$COMMAND_NAME"} ${DAEMON:+--exec "$DAEMON"} $START_ARGS -- $DAEMON_ARGS
}
do_start() {
	if is_call_implemented do_start_prepare; then call do_start_prepare; fi
	call do_start_cmd
	if is_call_implemented do_start_cleanup; then call do_start_cleanup; fi
}
`

// initDAfter is what init-d-script does between sourcing the script and
// running the action.
const initDAfter = `: ${NAME:=${DAEMON##*/}}
: ${DESC:=$NAME}
: ${COMMAND_NAME:=${NAME}}
if [ none = "$PIDFILE" ]; then PIDFILE=; elif [ -z "$PIDFILE" ]; then PIDFILE=/var/run/$NAME.pid; fi
[ -r "/etc/default/${NAME}" ] && . "/etc/default/${NAME}"
[ none = "$DAEMON" ] && DAEMON=
[ none = "$COMMAND_NAME" ] && COMMAND_NAME=
`

// initDScript reads a script built on init-d-script: the framework
// sources the script again (INIT_D_SCRIPT_SOURCED=true, so its variables
// and functions are set and its call of the framework skipped), then
// runs "call do_ACTION".
func (w *walker) initDScript(f frame, line int) {
	if w.initD || w.top == nil {
		return
	}
	w.initD = true
	model, err := parse([]byte(initDModel), "init-d-script")
	if err != nil {
		w.note("init-d-script's model does not parse: %v", err)
		return
	}
	w.collectFuncs(model.Stmts, line)
	g := f
	g.via = append(append([]string(nil), f.via...), fmt.Sprintf("init-d-script (line %d)", line))
	action := unknownValue
	if len(f.env.args) > 0 {
		action = f.env.args[0]
	}
	// It unsets the settings (so that none comes from the environment),
	// sources the script, then gives them their defaults.
	for _, v := range []string{"DAEMON", "DAEMON_ARGS", "DESC", "NAME", "COMMAND_NAME", "PIDFILE", "RELOAD_ARGS", "RELOAD_SIGNAL", "START_ARGS", "STOP_ARGS"} {
		delete(f.env.vars, v)
	}
	f.env.vars["INIT_D_SCRIPT_SOURCED"] = known("true")
	w.stmts(w.top, f)
	if after, err := parse([]byte(initDAfter), "init-d-script"); err == nil {
		m := f
		m.line = line
		w.stmts(after.Stmts, m)
	}
	if !action.known {
		w.note("line %d: init-d-script runs an action the text does not name", line)
		return
	}
	w.run([]field{{s: "call", known: true}, {s: "do_" + action.s, known: true}}, g, line)
}

// leaves reports whether a loop body may end the loop or the shell: a
// break, return or exit anywhere in it, an exec, or a function call
// (which may do any of them).
func (w *walker) leaves(body []*syntax.Stmt) bool {
	found := false
	syntax.Walk(&syntax.File{Stmts: body}, func(n syntax.Node) bool {
		if found {
			return false
		}
		if call, ok := n.(*syntax.CallExpr); ok && len(call.Args) > 0 {
			name := call.Args[0].Lit()
			switch name {
			case "break", "return", "exit", "exec", "", "eval", ".", "source":
				found = true
			}
			if _, ok := w.funcs[name]; ok {
				found = true
			}
		}
		return true
	})
	return found
}
