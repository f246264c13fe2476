package lsb

import "strings"

// daemonFlags is what a program's own documentation says about
// detaching: the options that make it detach or keep it in the
// foreground, and what it does with neither.
type daemonFlags struct {
	// names are the base names the program goes by.
	names []string
	// kind is what the program must be for the entry to apply: an ELF
	// built from C ("c"), a Go program ("go"), or a script for an
	// interpreter ("python", "perl").
	kind string
	// detach and foreground are options; "-d" also matches a bundle of
	// short options holding d ("-dv") and "--daemon" matches
	// "--daemon=...".
	detach, foreground []string
	// byDefault is the verdict with neither kind of option.
	byDefault Verdict
	// source cites the documentation or code the entry reads.
	source string
}

// daemonTable holds the daemons the held-out corpus (issue 33, items 7
// to 9) runs, each read from its own manual or source. A program not in
// it is judged by what its file shows, or not at all.
var daemonTable = []daemonFlags{
	{
		names: []string{"memcached"}, kind: "c",
		detach: []string{"-d", "--daemon"}, byDefault: VerdictForeground,
		source: `memcached -h (1.6.18): "-d, --daemon  run as a daemon"; memcached.c calls daemonize() only then`,
	},
	{
		names: []string{"start-memcached"}, kind: "perl",
		byDefault: VerdictDetaches,
		source:    `Debian's and memcached's scripts/start-memcached (memcached/memcached @0a52343efea5abfc13489832da0e127461b646e4): fork(), setsid(), fork() again, the parent writes the pid file and exits, the child execs memcached`,
	},
	{
		names: []string{"nutcracker"}, kind: "c",
		detach: []string{"-d", "--daemonize"}, byDefault: VerdictForeground,
		source: `nutcracker -h (0.5.0): "-d, --daemonize : run as a daemon"`,
	},
	{
		names: []string{"shairport-sync"}, kind: "c",
		detach: []string{"-d", "--daemon", "-j"}, byDefault: VerdictForeground,
		source: `shairport-sync(7) (3.3.8): "-d | --daemon  Instruct shairport-sync to demonise itself", "-j ... it will just demonise itself"`,
	},
	{
		names: []string{"hd-idle"}, kind: "c",
		foreground: []string{"-d"}, byDefault: VerdictDetaches,
		source: `hd-idle(8) (Debian hd-idle 1.05, the C program): "-d  Debug mode. This will prevent hd-idle from becoming a daemon"`,
	},
	{
		names: []string{"hd-idle"}, kind: "go",
		byDefault: VerdictForeground,
		source:    `adelolmo/hd-idle (the Go rewrite) main.go @c87bc6e9ce96dde0a3b159a6315eef36d728c5e5: its options (-t -s -a -i -I -c -p -l -d -h) hold none that detaches, -d is debug output; its Debian script gained --background in 20fd2da041e0ae1d9475fadc79734e65c3163e28 ("fix force hd-idle into background")`,
	},
	{
		names: []string{"supervisord"}, kind: "python",
		foreground: []string{"-n", "--nodaemon"}, byDefault: VerdictDetaches,
		source: `supervisord(1) and supervisor/options.py (4.2.5): "-n, --nodaemon" runs it in the foreground; without it (and without nodaemon=true in its configuration, which initcompat does not read) it daemonizes (options.py daemonize(): os.fork, os.setsid)`,
	},
	{
		names: []string{"fail2ban-client", "fail2ban-server"}, kind: "python",
		detach: []string{"-b"}, foreground: []string{"-f"}, byDefault: VerdictDetaches,
		source: `fail2ban-client -h (fail2ban/client/fail2bancmdline.py, 1.0.2): "-b  start server in background (default)", "-f  start server in foreground"`,
	},
	{
		names: []string{"SickBeard.py"}, kind: "python",
		detach: []string{"-d", "--daemon"}, byDefault: VerdictForeground,
		source: `midgetspy/Sick-Beard SickBeard.py @171a607e41b7347a74cc815f6ecce7968d9acccf: "-d --daemon  Run as double forked daemon"; daemonize() forks twice only then`,
	},
}

// lookupFlags finds the entry for a program by its base name and kind.
func lookupFlags(name, kind string) (daemonFlags, bool) {
	for _, e := range daemonTable {
		if e.kind != kind {
			continue
		}
		for _, n := range e.names {
			if n == name {
				return e, true
			}
		}
	}
	return daemonFlags{}, false
}

// judge applies the entry to the program's arguments. The last of the
// options that decide wins, as getopt-style parsers leave it. A word
// with alternatives (branches that set it differently) is judged with
// each; they must agree. Any other unknown word among the options leaves
// the verdict unknown, since it may be one of them.
func (e daemonFlags) judge(args []Word) (Verdict, string) {
	if len(e.detach) == 0 && len(e.foreground) == 0 {
		return e.byDefault, "whatever its arguments, it " + e.byDefault.String()
	}
	combos := [][]Word{nil}
	for _, a := range args {
		if !a.Many || len(a.Alts) == 0 {
			for i := range combos {
				combos[i] = append(combos[i], a)
			}
			continue
		}
		if len(combos)*len(a.Alts) > 64 {
			return VerdictUnknown, "its arguments take too many values to weigh"
		}
		var next [][]Word
		for _, c := range combos {
			for _, alt := range a.Alts {
				n := append([]Word(nil), c...)
				for _, f := range strings.Fields(alt) {
					n = append(n, Word{Text: f, Known: true})
				}
				next = append(next, n)
			}
		}
		combos = next
	}
	v, why := e.judgeWords(combos[0])
	for _, c := range combos[1:] {
		if w, _ := e.judgeWords(c); w != v {
			return VerdictUnknown, "the values its arguments may take (from branches initcompat cannot decide) lead to different answers"
		}
	}
	if len(combos) > 1 && v != VerdictUnknown {
		why += ", whichever value its arguments take"
	}
	return v, why
}

func (e daemonFlags) judgeWords(args []Word) (Verdict, string) {
	v, why := e.byDefault, "without an option that changes it, it "+e.byDefault.String()
	for _, a := range args {
		if a.Many || !a.Known {
			if v == e.byDefault {
				return VerdictUnknown, "its arguments hold words initcompat cannot read, which may be one of its daemon options"
			}
			continue
		}
		if a.Text == "--" {
			break
		}
		switch {
		case hasOption(a.Text, e.detach):
			v, why = VerdictDetaches, "given "+a.Text+", it "+VerdictDetaches.String()
		case hasOption(a.Text, e.foreground):
			v, why = VerdictForeground, "given "+a.Text+", it "+VerdictForeground.String()
		}
	}
	return v, why
}

func hasOption(arg string, opts []string) bool {
	for _, o := range opts {
		switch {
		case arg == o, strings.HasPrefix(o, "--") && strings.HasPrefix(arg, o+"="):
			return true
		case len(o) == 2 && o[0] == '-' && len(arg) > 2 && arg[0] == '-' && arg[1] != '-' &&
			strings.IndexByte(arg[1:], o[1]) >= 0 && isLetters(arg[1:]):
			return true
		}
	}
	return false
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}
