package lsb

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// Verdict is what reading a program tells about the process it runs in.
type Verdict int

const (
	// VerdictUnknown means reading cannot tell.
	VerdictUnknown Verdict = iota
	// VerdictDetaches means the program leaves its first process (forks and
	// lets it exit, or puts its work in the background), so the one who
	// started it gets control back while it runs on.
	VerdictDetaches
	// VerdictForeground means the program stays in the process it was started
	// as for as long as it runs.
	VerdictForeground
)

func (v Verdict) String() string {
	switch v {
	case VerdictDetaches:
		return "detaches"
	case VerdictForeground:
		return "stays in the foreground"
	}
	return "unknown"
}

// Program is what the snapshot holds of a program file.
type Program struct {
	Path string
	// Head is the file's first bytes, all of it when Whole; nil when the
	// snapshot does not have the file.
	Head  []byte
	Whole bool
	// Tail is its last bytes (where an ELF keeps its section headers),
	// and Size its size.
	Tail []byte
	Size int64
	// Markers are the names of GoSpawnMarkers found in the whole file;
	// Probed says the file was searched for them.
	Markers []string
	Probed  bool
}

// Lookup gives what the snapshot holds of the program at an absolute
// path (links followed inside the image), or false.
type Lookup func(path string) (Program, bool)

// Invocation is how the program is run: its arguments and the directory
// it starts in (start-stop-daemon --chdir), which a script named by a
// relative path is found from.
type Invocation struct {
	Args []Word
	Dir  string
}

// Class is the verdict on a program, and what it rests on.
type Class struct {
	Verdict Verdict
	Kind    ProgramKind
	// Basis names what decided: "flags" (the program's documented
	// options, daemonTable), "elf" (its imports), "go" (its symbol
	// names), "script" (the shell script read as shell), "" when
	// nothing did.
	Basis string
	// Evidence says it for a person, a line a fact.
	Evidence []string
}

// maxClassifyDepth bounds how far a wrapper script is followed to the
// program it runs (script -> exec'd script -> program).
const maxClassifyDepth = 4

// Classify reads a program: the daemon options its documentation names
// (daemonTable), for an ELF what it imports from the C library or, built
// by Go, which of Go's process-starting functions it links, for a "#!"
// script its interpreter and, for a shell script, the script itself.
func Classify(p Program, inv Invocation, look Lookup) Class {
	return classify(p, inv, look, 0)
}

func classify(p Program, inv Invocation, look Lookup, depth int) Class {
	name := path.Base(p.Path)
	if fam := interpreterFamily(name); fam != "" && (p.Head == nil || KindOf(p.Head) == ELFProgram) {
		// An interpreter's own file says nothing of the script it runs.
		return classifyInterpreted(p.Path, fam, inv, look, depth)
	}
	if p.Head == nil {
		return Class{Evidence: []string{p.Path + " is not in the snapshot"}}
	}
	kind := KindOf(p.Head)
	switch kind {
	case ELFProgram:
		return classifyELF(p, name, inv)
	case ScriptProgram:
		return classifyScript(p, name, inv, look, depth)
	}
	return Class{Kind: kind, Evidence: []string{p.Path + " is neither an ELF program nor a #! script: execve(2) refuses it (ENOEXEC)"}}
}

func classifyELF(p Program, name string, inv Invocation) Class {
	c := Class{Kind: ELFProgram}
	facts := readELF(p)
	impl := "c"
	if facts.goProgram {
		impl = "go"
	}
	if e, ok := lookupFlags(name, impl); ok {
		v, why := e.judge(inv.Args)
		c.Verdict, c.Basis = v, "flags"
		c.Evidence = append(c.Evidence, fmt.Sprintf("%s: %s (%s)", p.Path, why, e.source))
		return c
	}
	switch {
	case facts.goProgram && !p.Probed:
		c.Evidence = append(c.Evidence, p.Path+" is a Go program, and the snapshot did not search it for the functions Go starts processes with")
	case facts.goProgram && len(p.Markers) > 0:
		c.Evidence = append(c.Evidence, fmt.Sprintf("%s is a Go program that links %s: it can start a process, so whether it re-executes itself to detach is its own choice", p.Path, joinNames(p.Markers)))
	case facts.goProgram && len(facts.imports) > 0:
		c.Evidence = append(c.Evidence, fmt.Sprintf("%s is a Go program that imports %s from the C library (cgo)", p.Path, joinNames(facts.imports)))
	case facts.goProgram:
		c.Verdict, c.Basis = VerdictForeground, "go"
		c.Evidence = append(c.Evidence, fmt.Sprintf("%s is a Go program that links neither %s: the Go runtime never forks in place, so without them it cannot leave the process it was started as", p.Path, joinNames(GoSpawnMarkers)))
	case facts.err != nil:
		c.Evidence = append(c.Evidence, p.Path+": "+facts.err.Error())
	case !facts.dynamic:
		c.Evidence = append(c.Evidence, p.Path+" is linked statically: its imports do not show what it calls")
	case len(facts.imports) == 0:
		c.Verdict, c.Basis = VerdictForeground, "elf"
		c.Evidence = append(c.Evidence, p.Path+" imports none of fork, vfork, clone, daemon, posix_spawn, system, popen, the exec family or syscall: it cannot make another process, so it stays in the one it was started as")
	default:
		c.Evidence = append(c.Evidence, fmt.Sprintf("%s imports %s: it can make another process, so whether it detaches is up to it (and its options)", p.Path, joinNames(facts.imports)))
	}
	return c
}

// interpreterFamily names the language of an interpreter's base name.
func interpreterFamily(name string) string {
	switch {
	case name == "sh" || name == "bash" || name == "dash" || name == "ksh" || name == "mksh" || name == "zsh" || name == "busybox":
		return "sh"
	case strings.HasPrefix(name, "python"):
		return "python"
	case strings.HasPrefix(name, "perl"):
		return "perl"
	case strings.HasPrefix(name, "ruby"):
		return "ruby"
	case name == "node" || name == "nodejs":
		return "node"
	case name == "java":
		return "java"
	}
	return ""
}

// classifyInterpreted judges an interpreter started on a script
// ("--exec /usr/bin/python -- SickBeard.py --daemon").
func classifyInterpreted(interp, fam string, inv Invocation, look Lookup, depth int) Class {
	script, rest, ok := scriptArg(inv.Args)
	if !ok {
		return Class{Kind: ELFProgram, Evidence: []string{interp + " is an interpreter, and the script it runs is not in its arguments"}}
	}
	if !strings.HasPrefix(script, "/") {
		if inv.Dir == "" {
			if e, ok := lookupFlags(path.Base(script), fam); ok {
				return flagsClass(e, path.Base(script), rest, ScriptProgram)
			}
			return Class{Kind: ScriptProgram, Evidence: []string{fmt.Sprintf("%s runs %s, a path relative to a directory the call does not name", interp, script)}}
		}
		script = path.Join(inv.Dir, script)
	}
	if e, ok := lookupFlags(path.Base(script), fam); ok {
		return flagsClass(e, script, rest, ScriptProgram)
	}
	sp, found := Program{Path: script}, false
	if look != nil {
		sp, found = look(script)
		sp.Path = script
	}
	if fam == "sh" && found && depth < maxClassifyDepth {
		return classifyShell(sp, Invocation{Args: rest, Dir: inv.Dir}, look, depth+1)
	}
	return Class{Kind: ScriptProgram, Evidence: []string{fmt.Sprintf("%s runs the %s script %s: initcompat reads no %s, and the daemon options of %s are not in its table", interp, fam, script, fam, path.Base(script))}}
}

// scriptArg finds the script an interpreter is given: the first word
// that is not an option ("-u", "-W ignore" are Python's, "-w" Perl's).
func scriptArg(args []Word) (string, []Word, bool) {
	for i, a := range args {
		if !a.Known || a.Many {
			return "", nil, false
		}
		switch {
		case a.Text == "-m" || a.Text == "-c" || a.Text == "-e" || a.Text == "-jar":
			return "", nil, false // a module, a program text, a jar: no script file
		case a.Text == "-W" || a.Text == "-X":
			continue
		case strings.HasPrefix(a.Text, "-"):
			continue
		}
		return a.Text, args[i+1:], true
	}
	return "", nil, false
}

func flagsClass(e daemonFlags, prog string, args []Word, kind ProgramKind) Class {
	v, why := e.judge(args)
	return Class{Verdict: v, Kind: kind, Basis: "flags", Evidence: []string{fmt.Sprintf("%s: %s (%s)", prog, why, e.source)}}
}

// shebang reads a "#!" line: the interpreter and its one argument, and
// for "#!/usr/bin/env NAME" the name env runs.
func shebang(head []byte) (string, string) {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	fields := strings.Fields(strings.TrimPrefix(string(line), "#!"))
	if len(fields) == 0 {
		return "", ""
	}
	interp := fields[0]
	arg := ""
	if len(fields) > 1 {
		arg = fields[1]
	}
	if path.Base(interp) == "env" {
		for _, f := range fields[1:] {
			if !strings.HasPrefix(f, "-") && !strings.Contains(f, "=") {
				return f, ""
			}
		}
	}
	return interp, arg
}

func classifyScript(p Program, name string, inv Invocation, look Lookup, depth int) Class {
	interp, _ := shebang(p.Head)
	fam := interpreterFamily(path.Base(interp))
	if e, ok := lookupFlags(name, fam); ok {
		return flagsClass(e, p.Path, inv.Args, ScriptProgram)
	}
	if fam == "sh" && depth < maxClassifyDepth {
		return classifyShell(p, inv, look, depth+1)
	}
	if fam == "" {
		fam = interp
	}
	return Class{Kind: ScriptProgram, Evidence: []string{fmt.Sprintf("%s is a %s script: initcompat reads no %s, and its daemon options are not in initcompat's table", p.Path, fam, fam)}}
}

// classifyShell reads a shell script run as a program. It stays in the
// foreground when it loops forever in the foreground, or ends by exec'ing
// a program that does; it detaches when it puts its work in the
// background and nothing after keeps it. Anything else is unknown.
func classifyShell(p Program, inv Invocation, look Lookup, depth int) Class {
	c := Class{Kind: ScriptProgram}
	if !p.Whole {
		c.Evidence = append(c.Evidence, p.Path+" is a shell script larger than the part the snapshot keeps")
		return c
	}
	st := readAction(p.Head, "", nil)
	if st.Unread != "" {
		c.Evidence = append(c.Evidence, p.Path+": "+st.Unread)
		return c
	}
	if len(st.Forever) > 0 {
		c.Verdict, c.Basis = VerdictForeground, "script"
		c.Evidence = append(c.Evidence, fmt.Sprintf("%s:%d loops forever in the foreground (a while loop on a condition that is always true, with no break, return or exit)", p.Path, st.Forever[0]))
		return c
	}
	for _, r := range st.Runs {
		if r.Background || len(r.Via) == 0 || !strings.HasPrefix(r.Via[len(r.Via)-1], "exec (") {
			continue
		}
		prog, ok := r.Program()
		if !ok || !strings.HasPrefix(prog, "/") {
			c.Evidence = append(c.Evidence, fmt.Sprintf("%s:%d execs a program the text does not name by path", p.Path, r.Line))
			return c
		}
		sub := Program{Path: prog}
		if look != nil {
			if q, found := look(prog); found {
				sub = q
				sub.Path = prog
			}
		}
		inner := classify(sub, Invocation{Args: args(r), Dir: inv.Dir}, look, depth)
		inner.Evidence = append([]string{fmt.Sprintf("%s:%d execs %s, which takes its process", p.Path, r.Line, prog)}, inner.Evidence...)
		if inner.Basis == "elf" {
			// An exec'd program that imports no fork stays, but it may
			// also simply end: only a daemon's documented options, its
			// Go symbols, or a script that loops say that it runs on.
			inner.Verdict = VerdictUnknown
			inner.Evidence = append(inner.Evidence, "(whether it runs on or ends, its imports do not say)")
		}
		return inner
	}
	for _, call := range st.Calls {
		if call.Detach == Detaches && !st.Waits {
			c.Verdict, c.Basis = VerdictDetaches, "script"
			c.Evidence = append(c.Evidence, fmt.Sprintf("%s:%d %s", p.Path, call.Line, call.Seen))
			return c
		}
	}
	c.Evidence = append(c.Evidence, p.Path+" neither loops forever, nor execs a program, nor puts one in the background")
	return c
}
