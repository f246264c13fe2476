//go:build linux

package lsb

import (
	"bytes"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stub records how it was called in /log: FG when it could read a line
// of the standard input the script was started with, BG when its input
// is /dev/null, which sh gives a command it puts in the background
// (POSIX 2.9.3.1: "the standard input for an asynchronous list ... shall
// be considered to be assigned to /dev/null"); then its name and words,
// tab-separated. The wrappers go on to what they run, as the real ones
// would; start-stop-daemon and everything else only record.
const stub = `#!/bin/sh
if IFS= read -r mode; then :; else mode=BG; fi
line=$mode
tab=$(printf '\t')
for a in "$0" "$@"; do line=$line$tab$a; done
# One write a line: stubs run at once, and their lines must not interleave.
printf '%s\n' "$line" >>/log
n=${0##*/}
case $n in
su|runuser)
	while [ $# -gt 0 ]; do
		case $1 in -c|--command) exec /bin/sh -c "$2" ;; esac
		shift
	done ;;
nohup|env|chpst)
	while [ $# -gt 0 ]; do
		case $1 in -*|*=*) shift ;; *) exec "$@" ;; esac
	done ;;
setsid)
	if [ "$1" = -f ]; then shift; "$@" </dev/null & exit 0; fi
	exec "$@" ;;
sudo)
	bg=
	while [ $# -gt 0 ]; do
		case $1 in -b) bg=1; shift ;; -u|-g) shift 2 ;; -*) shift ;; *) break ;; esac
	done
	if [ -n "$bg" ]; then "$@" </dev/null & exit 0; fi
	[ $# -gt 0 ] && exec "$@" ;;
dirname) case $1 in */*) echo "${1%/*}" ;; *) echo . ;; esac ;;
basename) echo "${1##*/}" ;;
esac
exit 0
`

// The LSB and Red Hat function libraries the cases source, reduced to
// what they need: log functions that print nothing, and Red Hat's daemon,
// which records its words like a program would.
const lsbFunctions = `log_daemon_msg() { :; }
log_end_msg() { :; }
log_progress_msg() { :; }
log_action_msg() { :; }
log_success_msg() { :; }
log_failure_msg() { :; }
log_warning_msg() { :; }
vlog_end_msg() { :; }
status_of_proc() { :; }
`
const rhFunctions = `daemon() {
	if IFS= read -r mode; then :; else mode=BG; fi
	{ printf '%s\tdaemon' "$mode"; for a in "$@"; do printf '\t%s' "$a"; done; printf '\n'; } >>/log
}
killproc() { :; }
status() { :; }
`

// chroot builds a root holding dash (with its libraries), stubs for every
// command the reader saw run and those the cases use, the files the case
// sources, and the real /lib/init/init-d-script when the machine has it.
func oracleRoot(t *testing.T, c startCase, st Start) string {
	t.Helper()
	root := t.TempDir()
	put := func(p string, data []byte, mode os.FileMode) {
		t.Helper()
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	copyIn := func(p string) {
		t.Helper()
		data, err := os.ReadFile(p)
		if err != nil {
			t.Skipf("no %s: %v", p, err)
		}
		put(p, data, 0o755)
	}
	for _, p := range []string{"/usr/bin/dash", "/usr/bin/mkdir", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"} {
		copyIn(p)
	}
	// mkdir is the real one (with its libraries): scripts redirect into
	// the directories they make.
	if out, err := exec.Command("ldd", "/usr/bin/mkdir").Output(); err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			for _, f := range strings.Fields(l) {
				if strings.HasPrefix(f, "/") {
					copyIn(f)
				}
			}
		}
	}
	for _, l := range [][2]string{{"bin", "usr/bin"}, {"sbin", "usr/sbin"}, {"usr/bin/sh", "dash"}} {
		_ = os.MkdirAll(filepath.Join(root, path.Dir(l[0])), 0o755)
		if err := os.Symlink(l[1], filepath.Join(root, l[0])); err != nil {
			t.Fatal(err)
		}
	}
	put("dev/null", nil, 0o666) // replaced by the real node below
	_ = os.Remove(filepath.Join(root, "dev/null"))
	if out, err := exec.Command("mknod", "-m", "666", filepath.Join(root, "dev/null"), "c", "1", "3").CombinedOutput(); err != nil {
		t.Skipf("mknod /dev/null: %v %s", err, out)
	}
	put("lib/lsb/init-functions", []byte(lsbFunctions), 0o644)
	put("etc/rc.d/init.d/functions", []byte(lsbFunctions+rhFunctions), 0o644)
	put("lib/init/vars.sh", nil, 0o644)
	if data, err := os.ReadFile("/lib/init/init-d-script"); err == nil {
		put("lib/init/init-d-script", data, 0o755)
	}
	names := map[string]bool{}
	for _, n := range []string{"start-stop-daemon", "su", "runuser", "sudo", "nohup", "setsid", "env", "chpst", "dirname", "basename",
		"cat", "chown", "chmod", "kill", "sleep", "rm", "touch", "id", "pgrep", "ps", "find", "logger"} {
		names[n] = true
	}
	paths := map[string]bool{}
	for _, r := range st.Runs {
		for _, w := range r.Argv[:min(1, len(r.Argv))] {
			switch {
			case !w.Known:
			case strings.HasPrefix(w.Text, "/"):
				paths[w.Text] = true
			case w.Text != "" && !strings.ContainsAny(w.Text, " /\t"):
				names[w.Text] = true
			}
		}
	}
	for _, call := range st.Calls {
		if call.Program != "" {
			paths[call.Program] = true
		}
	}
	for n := range names {
		if n != "daemon" && n != "mkdir" {
			put("usr/bin/"+n, []byte(stub), 0o755)
		}
	}
	for p := range paths {
		if p != "/bin/sh" && p != "/usr/bin/sh" && p != "/usr/bin/dash" && !strings.HasPrefix(p, "/etc/init.d/") {
			put(p, []byte(stub), 0o755)
		}
	}
	for p, data := range c.files {
		put(p, data, 0o644)
	}
	put("etc/init.d/case", c.script, 0o755)
	for _, d := range []string{"tmp", "run", "var/run", "var/log", "var/lib", "opt"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o777); err != nil {
			t.Fatal(err)
		}
	}
	put("input", bytes.Repeat([]byte("FG\n"), 4096), 0o644)
	put("log", nil, 0o666)
	return root
}

// TestStartOracleDash runs each start case under dash, chrooted, with the
// programs it runs replaced by stubs that record their words and whether
// the shell waited for them, and holds the reader to it: every call the
// reader finds ran with the words it read, waited for or not as it says,
// and every start-stop-daemon --start that ran is one of its calls.
func TestStartOracleDash(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}
	if _, err := exec.LookPath("chroot"); err != nil {
		t.Skip("no chroot")
	}
	agree, compared := 0, 0
	for _, c := range loadStartCases(t) {
		t.Run(c.name, func(t *testing.T) {
			st := ReadStart(c.script, c.defaults)
			root := oracleRoot(t, c, st)
			in, err := os.Open(filepath.Join(root, "input"))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = in.Close() }()
			cmd := exec.Command("chroot", root, "/usr/bin/dash", "/etc/init.d/case", "start")
			cmd.Stdin = in
			cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Logf("dash: %v (the case's script ends so)", err)
				}
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("dash did not finish:\n%s", out.String())
			}
			time.Sleep(100 * time.Millisecond) // background stubs write their line
			logData, err := os.ReadFile(filepath.Join(root, "log"))
			if err != nil {
				t.Fatal(err)
			}
			ran := map[string]string{} // words -> FG or BG
			var ssdStarts []string
			for _, l := range strings.Split(strings.TrimSpace(string(logData)), "\n") {
				mode, words, ok := strings.Cut(l, "\t")
				if !ok {
					continue
				}
				words = normalise(words)
				ran[words] = mode
				if strings.HasPrefix(words, "start-stop-daemon\t") && isSSDStart(words) {
					ssdStarts = append(ssdStarts, words)
				}
			}
			mine := map[string]bool{}
			for _, call := range st.Calls {
				r := runOf(st, call)
				if r == nil || underSSD(call.Via) {
					continue // what start-stop-daemon runs, the stub does not
				}
				words := normalise(joinWords(r.Argv))
				if words == "" {
					continue // a word the reader does not know: nothing to compare
				}
				mine[words] = true
				compared++
				mode, ok := ran[words]
				wantMode := "FG"
				if r.Background {
					wantMode = "BG"
				}
				switch {
				case !ok:
					t.Errorf("line %d: the reader's call %q did not run under dash; dash ran:\n%s", call.Line, words, logData)
				case mode != wantMode:
					t.Errorf("line %d: %q ran %s under dash, the reader says %s", call.Line, words, mode, wantMode)
				default:
					agree++
				}
			}
			for _, s := range ssdStarts {
				if !mine[s] && !matchesSome(st, s) {
					t.Errorf("dash ran %q, which the reader did not find", s)
				}
			}
		})
	}
	t.Logf("%d calls compared with dash: %d agree", compared, agree)
}

// runOf finds the run a call was read from: the start-stop-daemon
// command itself, or the command put in the background or run through a
// wrapper.
func runOf(st Start, c Call) *Run {
	for i := range st.Runs {
		r := &st.Runs[i]
		if r.Line != c.Line {
			continue
		}
		p, _ := r.Program()
		switch {
		case c.SSD != nil && base(p) == "start-stop-daemon":
			return r
		case c.SSD == nil && base(p) == "daemon" && strings.HasPrefix(c.Seen, "daemon "):
			return r
		case c.SSD == nil && (p == c.Program || p == c.Name) && p != "" && strings.Join(r.Via, ",") == strings.Join(c.Via, ","):
			return r
		}
	}
	return nil
}

func joinWords(ws []Word) string {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		if !w.Known {
			return ""
		}
		parts = append(parts, w.Text)
	}
	return strings.Join(parts, "\t")
}

// normalise takes a command's name without its directory (the stub
// sees the path it was run by, the reader the word written).
func normalise(words string) string {
	name, rest, _ := strings.Cut(words, "\t")
	if strings.HasPrefix(name, "/usr/bin/") || strings.HasPrefix(name, "/usr/sbin/") || strings.HasPrefix(name, "/bin/") || strings.HasPrefix(name, "/sbin/") {
		if n := path.Base(name); isWrapper(n) || n == "start-stop-daemon" {
			name = n
		}
	}
	if rest == "" {
		return name
	}
	return name + "\t" + rest
}

func isSSDStart(words string) bool {
	fs := strings.Split(words, "\t")
	argv := make([]Word, len(fs))
	for i, f := range fs {
		argv[i] = Word{Text: f, Known: true}
	}
	s := ParseSSD(argv)
	return s.Start && !s.Test
}

func underSSD(via []string) bool {
	for _, v := range via {
		if strings.HasPrefix(v, "start-stop-daemon ") {
			return true
		}
	}
	return false
}

// matchesSome reports whether a start-stop-daemon call dash ran is one
// the reader found with words it could not know: its known words appear
// in dash's, in order, an unknown run standing for any number.
func matchesSome(st Start, ran string) bool {
	got := strings.Split(ran, "\t")
	for _, c := range st.Calls {
		if c.SSD == nil {
			continue
		}
		r := runOf(st, c)
		if r == nil {
			continue
		}
		if matchWords(r.Argv[1:], got[1:]) {
			return true
		}
	}
	return false
}

func matchWords(pat []Word, got []string) bool {
	if len(pat) == 0 {
		return len(got) == 0
	}
	switch w := pat[0]; {
	case w.Many:
		for i := 0; i <= len(got); i++ {
			if matchWords(pat[1:], got[i:]) {
				return true
			}
		}
		return false
	case !w.Known:
		return len(got) > 0 && matchWords(pat[1:], got[1:])
	default:
		return len(got) > 0 && got[0] == w.Text && matchWords(pat[1:], got[1:])
	}
}
