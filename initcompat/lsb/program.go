package lsb

import (
	"strings"
)

// ProgramKind is what the start call executes, from its first bytes.
type ProgramKind int

const (
	// UnknownProgram means its content is not in the snapshot.
	UnknownProgram ProgramKind = iota
	// ELFProgram means a compiled program; whether it forks is its own choice.
	ELFProgram
	// ScriptProgram means "#!" (execve(2) runs the interpreter on it).
	ScriptProgram
	// OtherProgram means neither, which execve(2) refuses (ENOEXEC).
	OtherProgram
)

// KindOf reads the first bytes of a program.
func KindOf(head []byte) ProgramKind {
	switch {
	case head == nil:
		return UnknownProgram
	case strings.HasPrefix(string(head), "\x7fELF"):
		return ELFProgram
	case strings.HasPrefix(string(head), "#!"):
		return ScriptProgram
	}
	return OtherProgram
}

// Interpreters are programs that run a script named on their command line
// in the foreground ("--startas /bin/bash -- /opt/x/run.sh").
var Interpreters = map[string]bool{"sh": true, "bash": true, "dash": true, "python": true, "python3": true, "perl": true, "ruby": true, "node": true}

// ScriptForks says whether a daemon script may put work in the background
// itself: a command put in the background, or one run through nohup,
// setsid, daemonize, start-stop-daemon or daemon. Then it may exit while
// its daemon runs on.
func ScriptForks(script []byte) bool {
	r := ReadScript(script)
	if r.Unread != "" {
		return true
	}
	for _, run := range r.Runs {
		if run.Background {
			return true
		}
		p, _ := run.Program()
		switch base(p) {
		case "nohup", "setsid", "daemonize", "start-stop-daemon", "daemon":
			return true
		}
	}
	return false
}
