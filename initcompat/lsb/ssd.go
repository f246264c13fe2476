package lsb

import (
	"strings"
)

// ssdArg lists start-stop-daemon(8) options that take a value (dpkg
// utils/start-stop-daemon.c, longopts[] and the getopt string
// "HKSVa:n:op:qr:s:tu:vx:c:N:P:I:k:bmR:g:d:O:"), so that their values are
// not read as flags or as the program.
var ssdArg = map[string]bool{
	"-p": true, "--pidfile": true, "-x": true, "--exec": true, "-a": true, "--startas": true,
	"-n": true, "--name": true, "-u": true, "--user": true, "-g": true, "--group": true,
	"-c": true, "--chuid": true, "-r": true, "--chroot": true, "-d": true, "--chdir": true,
	"-N": true, "--nicelevel": true, "-P": true, "--procsched": true, "-I": true, "--iosched": true,
	"-k": true, "--umask": true, "-R": true, "--retry": true, "-s": true, "--signal": true,
	"-O": true, "--output": true, "--ppid": true, "--notify-timeout": true, "--remove-pidfile": false,
}

// SSD is one start-stop-daemon call, read as dpkg's start-stop-daemon.c
// reads its options.
type SSD struct {
	Start, Stop, Status, Test bool
	// Background: --background, which forks (and detaches) before it
	// executes the program; without it start-stop-daemon executes the
	// program in its own process, and the caller waits for that.
	Background  bool
	MakePidfile bool
	Exec        string // --exec ("" when its word is unknown)
	Startas     string // --startas ("" when its word is unknown)
	// StartasGiven: --startas is on the command line (its value known or
	// not).
	StartasGiven bool
	Pidfile      string
	Chuid        string // --chuid (or --user with --start)
	Name         string // --name
	User         string // --user
	Chdir        string // --chdir
	// Args are the words after "--", given to the program.
	Args []Word
	// Unread: a word among the options is unknown (an unquoted "$OPTS"
	// the text does not set), so an option may hide there.
	Unread bool
}

// Program is what start-stop-daemon executes: --startas, else --exec
// (start-stop-daemon(8): "--startas pathname ... If not specified,
// defaults to the argument given to --exec").
func (s SSD) Program() string {
	if s.StartasGiven {
		return s.Startas
	}
	return s.Exec
}

// ParseSSD reads a start-stop-daemon command line (argv[0] is the
// command itself).
func ParseSSD(argv []Word) SSD {
	var s SSD
	for i := 1; i < len(argv); i++ {
		w := argv[i]
		if !w.Known {
			// One unknown word is one unknown option; an unquoted
			// unknown expansion may be any number of them.
			s.Unread = true
			continue
		}
		if w.Text == "--" {
			s.Args = append([]Word(nil), argv[i+1:]...)
			break
		}
		name, val, hasVal := strings.Cut(w.Text, "=")
		if !strings.HasPrefix(w.Text, "--") {
			name, hasVal = w.Text, false
		}
		switch {
		case ssdArg[name] && !hasVal:
			if i+1 < len(argv) {
				i++
				// An unquoted unknown expansion in a value's place
				// ("--exec $DAEMON", DAEMON=$(command -v foo)) is taken
				// as the one word it is written as: only one in an
				// option's place may hide options.
				val = argv[i].Text
				if !argv[i].Known {
					val = ""
				}
			}
		case len(name) > 2 && name[0] == '-' && name[1] != '-' && !ssdArg[name[:2]]:
			// Bundled short options ("-Sbm"); a short option that takes
			// a value ends the bundle with it ("-bp/run/x.pid").
			bundle := name[1:]
			for j := 0; j < len(bundle); j++ {
				if o := "-" + bundle[j:j+1]; ssdArg[o] {
					val = bundle[j+1:]
					if val == "" && i+1 < len(argv) {
						i++
						val = argv[i].Text
					}
					s.set(o, val)
					break
				}
				s.set("-"+bundle[j:j+1], "")
			}
			continue
		case len(name) > 2 && name[0] == '-' && name[1] != '-':
			// "-p/run/x.pid": a short option with its value attached.
			name, val = name[:2], name[2:]
		}
		s.set(name, val)
	}
	return s
}

func (s *SSD) set(name, val string) {
	switch name {
	case "-S", "--start":
		s.Start = true
	case "-K", "--stop":
		s.Stop = true
	case "-T", "--status":
		s.Status = true
	case "-t", "--test":
		s.Test = true
	case "-b", "--background":
		s.Background = true
	case "-m", "--make-pidfile":
		s.MakePidfile = true
	case "-x", "--exec":
		s.Exec = val
	case "-a", "--startas":
		s.Startas, s.StartasGiven = val, true
	case "-p", "--pidfile":
		s.Pidfile = val
	case "-c", "--chuid":
		s.Chuid = val
	case "-u", "--user":
		s.User = val
	case "-n", "--name":
		s.Name = val
	case "-d", "--chdir":
		s.Chdir = val
	}
}

// wrapper says how a command runs the command it is given.
type wrapper struct {
	name string
	// shell: the command is a string sh parses again (su -c, sh -c).
	shell bool
	// background: the wrapper returns while the command runs on
	// (setsid -f, sudo -b, daemonize, start-stop-daemon --background).
	background bool
}

// wrapperOpts lists, per wrapper, its options that take a value (from
// each tool's manual: su(1) and runuser(1) of util-linux, sudo(8),
// env(1), nice(1), ionice(1), timeout(1), stdbuf(1) of coreutils,
// chpst(8) of runit, chroot(8), setsid(1), daemonize(1), nohup(1)).
var wrapperOpts = map[string]string{
	"su":        "-c --command -s --shell -g --group -G --supp-group -w --whitelist-environment",
	"runuser":   "-c --command -s --shell -g --group -G --supp-group -u --user -w --whitelist-environment",
	"sudo":      "-u --user -g --group -C --close-from -D --chdir -h --host -p --prompt -r --role -t --type -T --command-timeout -U --other-user",
	"env":       "-u --unset -C --chdir -S --split-string",
	"nice":      "-n --adjustment",
	"ionice":    "-c --class -n --classdata -p --pid -P --pgid -u --uid",
	"timeout":   "-k --kill-after -s --signal",
	"stdbuf":    "-i --input -o --output -e --error",
	"chpst":     "-u -U -b -e -/ -n -l -L -m -d -o -p -f -c -r -t",
	"chroot":    "--userspec --groups",
	"setsid":    "",
	"nohup":     "",
	"daemonize": "-a -c -e -E -o -p -l -u",
	"setuidgid": "",
	"authbind":  "",
	"taskset":   "",
}

// unwrap finds the command another command runs: for su, runuser and
// sh -c the string they parse again, for the others the command line
// they execute.
func unwrap(argv []field) ([]field, wrapper, bool) {
	if len(argv) == 0 || !argv[0].known {
		return nil, wrapper{}, false
	}
	name := base(argv[0].s)
	switch name {
	case "sh", "bash", "dash", "ksh", "zsh", "mksh", "busybox":
		return unwrapShell(argv, name)
	case "su", "runuser":
		return unwrapSu(argv, name)
	case "start-stop-daemon":
		s := ParseSSD(wordsOf(argv))
		if !s.Start || s.Test || s.Program() == "" {
			return nil, wrapper{}, false
		}
		inner := append([]field{{s: s.Program(), known: true}}, fieldsOf(s.Args)...)
		return inner, wrapper{name: "start-stop-daemon", background: s.Background}, true
	}
	opts, ok := wrapperOpts[name]
	if !ok {
		return nil, wrapper{}, false
	}
	takes := map[string]bool{}
	for _, o := range strings.Fields(opts) {
		takes[o] = true
	}
	how := wrapper{name: name}
	i := 1
	// setuidgid, envuidgid: the user comes first; taskset: the mask;
	// chroot: the new root; timeout: the duration.
	for ; i < len(argv); i++ {
		a := argv[i]
		if !a.known {
			return nil, wrapper{}, false
		}
		if a.s == "--" {
			i++
			break
		}
		if name == "env" && strings.Contains(a.s, "=") && !strings.HasPrefix(a.s, "-") {
			continue
		}
		if !strings.HasPrefix(a.s, "-") || a.s == "-" {
			break
		}
		opt, _, hasVal := strings.Cut(a.s, "=")
		if takes[opt] && !hasVal {
			i++
		}
		switch {
		case name == "setsid" && (a.s == "-f" || a.s == "--fork"):
			how.background = true
		case name == "sudo" && (a.s == "-b" || a.s == "--background"):
			how.background = true
		}
	}
	switch name {
	case "setuidgid", "chroot", "timeout", "taskset":
		i++ // their first operand is not the command
	case "daemonize":
		how.background = true
	}
	if i >= len(argv) {
		return nil, wrapper{}, false
	}
	return argv[i:], how, true
}

// unwrapShell reads "sh -c STRING" (the string is a script) and
// "sh FILE ARGS" (FILE is the program).
func unwrapShell(argv []field, name string) ([]field, wrapper, bool) {
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if !a.known {
			return nil, wrapper{}, false
		}
		switch {
		case a.s == "-c":
			if i+1 < len(argv) {
				return argv[i+1 : i+2], wrapper{name: name + " -c", shell: true}, true
			}
			return nil, wrapper{}, false
		case a.s == "--":
			return argv[i+1:], wrapper{name: name}, i+1 < len(argv)
		case strings.HasPrefix(a.s, "-") || strings.HasPrefix(a.s, "+"):
			if strings.Contains(a.s, "c") && !strings.HasPrefix(a.s, "--") && !strings.HasPrefix(a.s, "+") {
				if i+1 < len(argv) {
					return argv[i+1 : i+2], wrapper{name: name + " -c", shell: true}, true
				}
				return nil, wrapper{}, false
			}
			if a.s == "-o" || a.s == "+o" {
				i++
			}
		default:
			return argv[i:], wrapper{name: name}, true
		}
	}
	return nil, wrapper{}, false
}

// unwrapSu reads su and runuser: "-c STRING" (anywhere, as getopt
// permutes) is a command sh parses again; runuser's "-u USER -- CMD ARGS"
// executes CMD.
func unwrapSu(argv []field, name string) ([]field, wrapper, bool) {
	takes := map[string]bool{}
	for _, o := range strings.Fields(wrapperOpts[name]) {
		takes[o] = true
	}
	user := false
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if !a.known {
			return nil, wrapper{}, false
		}
		switch {
		case a.s == "-c" || a.s == "--command":
			if i+1 < len(argv) {
				return argv[i+1 : i+2], wrapper{name: name + " -c", shell: true}, true
			}
			return nil, wrapper{}, false
		case strings.HasPrefix(a.s, "--command="):
			v := argv[i]
			v.s = strings.TrimPrefix(v.s, "--command=")
			return []field{v}, wrapper{name: name + " -c", shell: true}, true
		case a.s == "--":
			if name == "runuser" && user && i+1 < len(argv) {
				return argv[i+1:], wrapper{name: name}, true
			}
		case a.s == "-u" || a.s == "--user":
			user = true
			i++
		case strings.HasPrefix(a.s, "-") && len(a.s) > 1:
			opt, _, hasVal := strings.Cut(a.s, "=")
			if takes[opt] && !hasVal {
				i++
			}
		}
	}
	return nil, wrapper{}, false
}

func wordsOf(fs []field) []Word {
	out := make([]Word, len(fs))
	for i, a := range fs {
		out[i] = Word{Text: a.s, Known: a.known && !a.splat, Many: a.splat, Alts: a.alts}
	}
	return out
}

func fieldsOf(ws []Word) []field {
	out := make([]field, len(ws))
	for i, w := range ws {
		out[i] = field{s: w.Text, known: w.Known, splat: w.Many, alts: w.Alts}
	}
	return out
}
