package lsb

import (
	"fmt"
	"sort"
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
	// NoStart means no start call initcompat recognises (no
	// start-stop-daemon --start, daemon, command put in the background, or
	// command run through su, runuser, sudo, nohup, setsid, chpst or exec):
	// nothing is decided.
	NoStart Detach = iota
	// Detaches means the start action puts the daemon in the background itself.
	Detaches
	// RunsProgram means the start action runs Program and waits for it; it
	// returns only when Program forks and its first process exits.
	RunsProgram
	// Undecided means a start call whose options the text does not show
	// whole (an unquoted "$SSD_OPTS" the script never sets may hold
	// --background), or a script initcompat could not read.
	Undecided
)

func (d Detach) String() string {
	switch d {
	case Detaches:
		return "detaches"
	case RunsProgram:
		return "runs its program and waits for it"
	case Undecided:
		return "undecided"
	}
	return "no start call"
}

// Call is one start call of a start action.
type Call struct {
	Line   int
	Detach Detach
	// Program is the absolute path the call executes, with the script's
	// variables (and those of the files it sources) expanded; "" when the
	// text cannot tell.
	Program string
	// Name is the command as written when it names no absolute path
	// ("memcached", looked up in PATH when the call runs).
	Name string
	// Args are the words the program is given.
	Args []Word
	// Seen says what the call is, for a person.
	Seen string
	// Via says what ran it: the functions called and the wrappers.
	Via []string
	// SSD is the start-stop-daemon call, when it is one.
	SSD *SSD
}

// Start is what a script's start action does, read the way sh and
// start-stop-daemon(8) would run it, without running anything.
type Start struct {
	Detach Detach
	// Line is the 1-based line of the call decided on (the first one that
	// does not detach, else the first that does).
	Line int
	// Program is the path the call executes; "" when it cannot be known
	// from the text.
	Program string
	// Seen says what the call is, for a person: "start-stop-daemon --start
	// without --background".
	Seen string
	// Vars are the variables as the start action leaves them (known
	// values only).
	Vars map[string]string
	// Calls are every start call, in the order they run.
	Calls []Call
	// Runs are every command the start action runs, calls included.
	Runs []Run
	// Notes say what the reading did not follow, and Unread why it could
	// not read the script at all ("" when it could).
	Notes  []string
	Unread string
	// Forever holds the lines of loops that never end, read in the
	// foreground; Waits says the "wait" builtin runs in the foreground.
	Forever []int
	Waits   bool
}

// Defaults returns the content of a file the script sources (the
// skeleton's "[ -r /etc/default/$NAME ] && . /etc/default/$NAME"), or nil.
// What it returns is read as data: assignments only.
type Defaults func(path string) []byte

// maxRuns bounds the commands one reading records.
const maxRuns = 4096

// ReadStart reads script's start action: what sh does running
// "/etc/init.d/NAME start". Every start call is considered (the --test
// probe of the skeleton aside): the script detaches only when each of
// them does, since any one that waits keeps the generated unit activating.
func ReadStart(script []byte, defaults Defaults) Start {
	return readAction(script, "start", defaults)
}

// ReadAction reads what sh does running the script with action as its
// first argument ("stop", "status", ...).
func ReadAction(script []byte, action string, defaults Defaults) Start {
	return readAction(script, action, defaults)
}

func readAction(script []byte, action string, defaults Defaults) Start {
	st := Start{Vars: map[string]string{}}
	file, err := parse(script, "script")
	if err != nil {
		st.Detach, st.Unread = Undecided, "the script does not parse as sh: "+err.Error()
		return st
	}
	w := &walker{funcs: map[string]fn{}, active: map[string]int{}, defaults: defaults, b: &budget{}, maxRuns: maxRuns}
	w.collectFuncs(file.Stmts, 0)
	w.top = file.Stmts
	e := newEnv()
	e.args = []value{known(action)}
	e.zero = unknownValue
	w.stmts(file.Stmts, frame{env: e})
	st.Runs, st.Notes, st.Forever, st.Waits = w.runs, w.notes, w.forever, w.waited
	for k, v := range e.vars {
		if v.known {
			st.Vars[k] = v.s
		}
	}
	if w.b.spent != "" {
		st.Unread = "reading " + w.b.spent
	}
	st.Calls = calls(w.runs)
	st.decide()
	return st
}

// decide sets the summary fields from the calls: the first call that
// does not detach, else the first that does.
func (st *Start) decide() {
	var first *Call
	for i := range st.Calls {
		c := &st.Calls[i]
		if c.Detach == RunsProgram || c.Detach == Undecided {
			first = c
			break
		}
		if first == nil {
			first = c
		}
	}
	switch {
	case st.Unread != "" && (first == nil || first.Detach == Detaches):
		// A reading that stopped early cannot say that nothing waits.
		st.Detach, st.Seen = Undecided, st.Unread
		if first != nil {
			st.Line = first.Line
		}
	case first != nil:
		st.Detach, st.Line, st.Program, st.Seen = first.Detach, first.Line, first.Program, first.Seen
	}
}

// calls picks the start calls out of the runs: start-stop-daemon --start
// (not its --test probe), Red Hat's daemon function, any command put in
// the background, and the command a wrapper runs (su, runuser, sudo,
// sh -c, nohup, setsid, chpst, exec and their kind) when it is the last
// the wrapper runs in the foreground, since the wrapper, and the script,
// wait for it.
func calls(runs []Run) []Call {
	var out []Call
	lastOf := map[string]int{} // wrapper (its via) -> index in out of its last foreground run
	for _, r := range runs {
		prog, ok := r.Program()
		name := ""
		if ok {
			name = base(prog)
		}
		viaKey := strings.Join(r.Via, "\x00")
		switch {
		case name == "start-stop-daemon":
			s := ParseSSD(r.Argv)
			if !s.Start || s.Test || s.Stop || s.Status {
				continue
			}
			c := Call{Line: r.Line, Args: s.Args, Via: r.Via, SSD: &s}
			c.setProgram(s.Program())
			switch {
			case r.Background && (!r.InSubst || r.StdoutRedirected):
				c.Detach, c.Seen = Detaches, `start-stop-daemon --start put in the background with "&"`
			case s.Background:
				c.Detach, c.Seen = Detaches, "start-stop-daemon --start --background (it forks before it executes the program)"
			case s.Unread:
				c.Detach, c.Seen = Undecided, "start-stop-daemon --start with options initcompat cannot read (an unquoted variable the script does not set may hold --background)"
			default:
				c.Detach, c.Seen = RunsProgram, "start-stop-daemon --start without --background (it executes the program in its own process, which the script waits for)"
			}
			out = append(out, c)
		case name == "daemon" && !ok2(r):
			c := Call{Line: r.Line, Detach: RunsProgram, Via: r.Via,
				Seen: "daemon (initscripts' functions) runs the program and waits for it"}
			p, a := daemonFuncProgram(r.Argv[1:])
			c.setProgram(p)
			c.Args = a
			if r.Background {
				c.Detach, c.Seen = Detaches, `daemon put in the background with "&"`
			}
			out = append(out, c)
		case len(r.Via) > 0 && strings.HasPrefix(r.Via[len(r.Via)-1], "start-stop-daemon "):
			continue // the program start-stop-daemon runs: its call is the start-stop-daemon one
		case r.Background && r.InSubst && !r.StdoutRedirected:
			c := Call{Line: r.Line, Detach: RunsProgram, Args: args(r), Via: r.Via,
				Seen: `a command put in the background inside $(...) with its standard output still the substitution's pipe: sh waits until that pipe closes (POSIX 2.6.3)`}
			c.setProgram(prog)
			out = append(out, c)
		case r.Background:
			if isWrapper(name) {
				continue // its inner command is recorded, as a run of its own
			}
			c := Call{Line: r.Line, Detach: Detaches, Args: args(r), Via: r.Via,
				Seen: `a command put in the background (the shell does not wait for it)` + viaText(r.Via)}
			c.setProgram(prog)
			out = append(out, c)
		case isWrapper(name):
			continue
		case len(r.Via) > 0 && isWrapperVia(r.Via[len(r.Via)-1]):
			c := Call{Line: r.Line, Detach: RunsProgram, Args: args(r), Via: r.Via,
				Seen: "run in the foreground through " + r.Via[len(r.Via)-1] + ", which the script waits for"}
			c.setProgram(prog)
			if i, seen := lastOf[viaKey]; seen {
				out[i] = c // only the last one the wrapper runs is the daemon
				continue
			}
			lastOf[viaKey] = len(out)
			out = append(out, c)
		}
	}
	return out
}

// ok2 is false for a run that is Red Hat's daemon function (not the
// daemon(1) program, which is named by a path).
func ok2(r Run) bool {
	p, _ := r.Program()
	return strings.Contains(p, "/")
}

// daemonFuncProgram finds the program of initscripts' daemon() (Red Hat
// /etc/rc.d/init.d/functions: "daemon [--check base] [--user user]
// [--pidfile pidfile] [--force] [+/-nicelevel] program [arguments]").
func daemonFuncProgram(argv []Word) (string, []Word) {
	for i := 0; i < len(argv); i++ {
		w := argv[i]
		if !w.Known {
			return "", nil
		}
		switch {
		case w.Text == "--check" || w.Text == "--user" || w.Text == "--pidfile":
			i++
		case strings.HasPrefix(w.Text, "-") || strings.HasPrefix(w.Text, "+"):
		default:
			return w.Text, argv[i+1:]
		}
	}
	return "", nil
}

func args(r Run) []Word {
	if len(r.Argv) < 2 {
		return nil
	}
	return r.Argv[1:]
}

// setProgram records what the call executes: an absolute path as the
// Program, a bare name (looked up in PATH when it runs) as the Name.
func (c *Call) setProgram(p string) {
	if strings.HasPrefix(p, "/") {
		c.Program = p
		return
	}
	c.Name = p
}

// isWrapper reports a command that runs another one (read through by
// the walker), whose inner command is the call.
func isWrapper(name string) bool {
	if _, ok := wrapperOpts[name]; ok {
		return true
	}
	switch name {
	case "su", "runuser", "sh", "bash", "dash", "ksh", "zsh", "mksh", "busybox":
		return true
	}
	return false
}

// isWrapperVia reports a Via element that is a wrapper (not a function
// call and not eval, which run in the script's own shell).
func isWrapperVia(v string) bool {
	name, _, _ := strings.Cut(v, " (line ")
	name = strings.TrimSuffix(name, " -c")
	return name == "exec" || isWrapper(name) || name == "start-stop-daemon"
}

func viaText(via []string) string {
	if len(via) == 0 {
		return ""
	}
	return " (via " + strings.Join(via, ", ") + ")"
}

// Evidence is the start calls as lines a person reads.
func (st Start) Evidence() []string {
	var out []string
	for _, c := range st.Calls {
		p := c.Program
		if p == "" {
			p = "a program the text does not name"
		}
		out = append(out, fmt.Sprintf("line %d: %s: %s", c.Line, p, c.Seen))
	}
	if st.Unread != "" {
		out = append(out, st.Unread)
	}
	out = append(out, st.Notes...)
	return out
}

// Programs lists, sorted and once each, the absolute paths the start
// calls execute: what the snapshot must hold for Classify.
func (st Start) Programs() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range st.Calls {
		if c.Program != "" && !seen[c.Program] {
			seen[c.Program] = true
			out = append(out, c.Program)
		}
	}
	sort.Strings(out)
	return out
}

// ReadScript reads a shell script run as a program (a daemon's
// "#!/bin/sh" wrapper): what its top level runs, with no arguments.
func ReadScript(script []byte) Start {
	return readAction(script, "", nil)
}
