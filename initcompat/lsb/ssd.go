package lsb

import (
	"regexp"
	"strings"
)

// ssdArg lists start-stop-daemon(8) options that take a value (dpkg
// utils/start-stop-daemon.c, longopts[]), so that their values are not read
// as flags or as the program.
var ssdArg = map[string]bool{
	"-p": true, "--pidfile": true, "-x": true, "--exec": true, "-a": true, "--startas": true,
	"-n": true, "--name": true, "-u": true, "--user": true, "-g": true, "--group": true,
	"-c": true, "--chuid": true, "-r": true, "--chroot": true, "-d": true, "--chdir": true,
	"-N": true, "--nicelevel": true, "-P": true, "--procsched": true, "-I": true, "--iosched": true,
	"-k": true, "--umask": true, "-R": true, "--retry": true, "-s": true, "--signal": true,
	"-O": true, "--output": true, "--ppid": true, "--notify-timeout": true,
}

// ssdShort are the short flags without a value, which getopt lets a
// script bundle ("-Sbm").
const ssdShort = "SKTHVtoqvbCm"

var (
	// A command ended by a lone "&" runs asynchronously (POSIX sh, 2.9.3
	// Lists): the shell does not wait for it, whether the list ends there
	// or goes on ("cmd & echo $! >pid"). "2>&1", "&>" and "&&" are not that.
	backgroundRE = regexp.MustCompile(`(?:^|[^&>|])&(?:\s|$|;|\))`)
	// Red Hat's daemon() (initscripts, /etc/rc.d/init.d/functions) runs
	// its program in the foreground and returns when the program does.
	daemonRE = regexp.MustCompile(`(?:^|;|&&|\|\||\bthen|\bdo)\s*daemon\s+(.*)$`)
)

// readCall reads one logical line as a start call: start-stop-daemon
// --start, daemon, or a command put in the background.
func readCall(text string, vars map[string]string) (Start, bool) {
	if i := wordIndex(text, "start-stop-daemon"); i >= 0 {
		st, ok := readSSD(command(text[i:]), vars)
		if ok && st.Detach == RunsProgram && backgroundRE.MatchString(text) {
			st.Detach, st.Seen = Detaches, `start-stop-daemon --start put in the background with "&"`
		}
		return st, ok
	}
	if backgroundRE.MatchString(text) {
		return Start{Detach: Detaches, Seen: `a command ended by "&" (the shell does not wait for it)`}, true
	}
	if m := daemonRE.FindStringSubmatch(text); m != nil {
		prog := ""
		for _, w := range strings.Fields(expand(command(m[1]), vars)) {
			w = unquote(w)
			if w == "" || strings.HasPrefix(w, "-") || strings.HasPrefix(w, "+") || strings.HasPrefix(w, "--") {
				continue
			}
			prog = w
			break
		}
		return Start{Detach: RunsProgram, Program: prog, Seen: "daemon (initscripts' functions) runs the program and waits for it"}, true
	}
	return Start{}, false
}

// readSSD reads a start-stop-daemon call; only --start counts, and the
// --test probe starts nothing.
func readSSD(cmd string, vars map[string]string) (Start, bool) {
	words := strings.Fields(expand(cmd, vars))
	var start, test, background bool
	var exec, startas string
	for i := 1; i < len(words); i++ {
		w := unquote(words[i])
		if w == "--" {
			break
		}
		name, val, hasVal := strings.Cut(w, "=")
		if !strings.HasPrefix(w, "--") {
			name, hasVal = w, false
		}
		if ssdArg[name] && !hasVal && i+1 < len(words) {
			i++
			val = unquote(words[i])
		}
		switch name {
		case "-S", "--start":
			start = true
		case "-t", "--test":
			test = true
		case "-b", "--background":
			background = true
		case "-x", "--exec":
			exec = val
		case "-a", "--startas":
			startas = val
		default:
			if len(name) > 2 && name[0] == '-' && name[1] != '-' && strings.Trim(name[1:], ssdShort) == "" {
				start = start || strings.Contains(name, "S")
				test = test || strings.Contains(name, "t")
				background = background || strings.Contains(name, "b")
			}
		}
	}
	if !start || test {
		return Start{}, false
	}
	// --startas names what is executed; --exec alone is both the program
	// matched and the one executed (start-stop-daemon(8), --startas).
	prog := startas
	if prog == "" {
		prog = exec
	}
	if strings.Contains(prog, "$") {
		prog = ""
	}
	if background {
		return Start{Detach: Detaches, Program: prog, Seen: "start-stop-daemon --start --background (it forks before it executes the program)"}, true
	}
	return Start{Detach: RunsProgram, Program: prog, Seen: "start-stop-daemon --start without --background (it executes the program in its own process, which the script waits for)"}, true
}

// command cuts s at the end of its first simple command.
func command(s string) string {
	for _, sep := range []string{"||", "&&", ";", "|", ")", ">", "<"} {
		if i := strings.Index(s, sep); i >= 0 {
			s = s[:i]
		}
	}
	return s
}

// wordIndex finds w as a whole word of s.
func wordIndex(s, w string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return -1
		}
		i += off
		before := i == 0 || strings.ContainsRune(" \t;&|(`$/", rune(s[i-1]))
		end := i + len(w)
		after := end == len(s) || strings.ContainsRune(" \t;&|)", rune(s[end]))
		if before && after {
			return i
		}
		off = end
	}
}

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

// ScriptForks says whether a daemon script puts work in the background
// itself ("&", nohup, setsid, start-stop-daemon, daemon): then it may exit
// while its daemon runs, and initcompat cannot say which.
func ScriptForks(script []byte) bool {
	for _, l := range logicalLines(script) {
		if backgroundRE.MatchString(l.text) || daemonRE.MatchString(l.text) {
			return true
		}
		for _, w := range []string{"nohup", "setsid", "start-stop-daemon", "daemonize"} {
			if wordIndex(l.text, w) >= 0 {
				return true
			}
		}
	}
	return false
}
