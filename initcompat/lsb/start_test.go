package lsb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// startCase is one testdata/start/*.txtar: a script reproducing a
// pattern of a public init script (each file's comment cites it; none is
// copied), the files it sources, and what its start action does.
type startCase struct {
	name     string
	script   []byte
	files    map[string][]byte
	want     map[string]string
	defaults Defaults
}

func loadStartCases(t testing.TB) []startCase {
	t.Helper()
	paths, err := filepath.Glob("testdata/start/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	var out []startCase
	for _, p := range paths {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := startCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar"), files: map[string][]byte{}, want: map[string]string{}}
		if len(strings.TrimSpace(string(a.Comment))) == 0 {
			t.Errorf("%s: no comment citing the pattern", p)
		}
		for _, f := range a.Files {
			switch {
			case f.Name == "script":
				c.script = f.Data
			case f.Name == "want":
				for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
					k, v, _ := strings.Cut(l, ":")
					c.want[strings.TrimSpace(k)] = strings.TrimSpace(v)
				}
			case strings.HasPrefix(f.Name, "/"):
				c.files[f.Name] = f.Data
			}
		}
		files := c.files
		c.defaults = func(p string) []byte { return files[p] }
		out = append(out, c)
	}
	return out
}

var detachNames = map[Detach]string{NoStart: "none", Detaches: "detaches", RunsProgram: "runs-program", Undecided: "undecided"}

// words shows expanded words as the want files write them: "?" for an
// unknown word, "?*" for an unknown run of words.
func words(ws []Word) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		switch {
		case w.Many:
			parts[i] = "?*"
		case !w.Known:
			parts[i] = "?"
		default:
			parts[i] = w.Text
		}
	}
	return strings.Join(parts, " ")
}

// TestReadStart holds each case's start action to what its want file
// says: whether it detaches, the line and program of the call decided on,
// the program's arguments and what ran it, when the want file names them.
func TestReadStart(t *testing.T) {
	for _, c := range loadStartCases(t) {
		t.Run(c.name, func(t *testing.T) {
			st := ReadStart(c.script, c.defaults)
			got := map[string]string{"detach": detachNames[st.Detach]}
			if st.Detach != NoStart {
				got["line"] = itoa(st.Line)
				got["program"] = st.Program
			}
			var decided *Call
			for i := range st.Calls {
				if st.Calls[i].Line == st.Line && st.Calls[i].Program == st.Program && st.Calls[i].Detach == st.Detach {
					decided = &st.Calls[i]
					break
				}
			}
			if decided != nil {
				got["args"] = words(decided.Args)
				got["via"] = strings.Join(decided.Via, ", ")
				got["name"] = decided.Name
			}
			for k, want := range c.want {
				if k == "judge" {
					continue // TestJudgeStartCases
				}
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
			if _, ok := c.want["program"]; !ok && st.Program != "" {
				t.Errorf("program = %q, and the want file names none", st.Program)
			}
			if t.Failed() {
				t.Logf("evidence:\n%s", strings.Join(st.Evidence(), "\n"))
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n))
}

func fmtInt(n int) string {
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// The old reader's forms the cases above do not hold: bundled short
// options, a value glued to its option, and the typographic quotes a blog
// copy leaves (sh keeps them as part of the word).
func TestParseSSDForms(t *testing.T) {
	w := func(s ...string) []Word {
		out := []Word{{Text: "start-stop-daemon", Known: true}}
		for _, x := range s {
			out = append(out, Word{Text: x, Known: true})
		}
		return out
	}
	s := ParseSSD(w("-Sbm", "-p", "/run/x.pid", "-x", "/usr/local/bin/x"))
	if !s.Start || !s.Background || !s.MakePidfile || s.Pidfile != "/run/x.pid" || s.Program() != "/usr/local/bin/x" {
		t.Errorf("bundled: %+v", s)
	}
	s = ParseSSD(w("-S", "-p/run/y.pid", "--exec=/usr/bin/y", "--", "-a"))
	if s.Pidfile != "/run/y.pid" || s.Exec != "/usr/bin/y" || len(s.Args) != 1 || s.Args[0].Text != "-a" {
		t.Errorf("glued: %+v", s)
	}
	s = ParseSSD(w("--start", "--startas", "/bin/sh", "--exec", "/usr/bin/z"))
	if s.Program() != "/bin/sh" {
		t.Errorf("--startas beats --exec: %q", s.Program())
	}
	s = ParseSSD([]Word{{Text: "start-stop-daemon", Known: true}, {Text: "--start", Known: true}, {Many: true}, {Text: "--exec", Known: true}, {Text: "/x", Known: true}})
	if !s.Unread {
		t.Error("an unknown run of words among the options is not marked unread")
	}
	st := ReadStart([]byte("DAEMON_ARGS=“sysvinit”\nstart-stop-daemon --start --exec /opt/d -- $DAEMON_ARGS\n"), nil)
	if len(st.Calls) != 1 || words(st.Calls[0].Args) != "“sysvinit”" {
		t.Errorf("typographic quotes: %+v", st.Calls)
	}
}

func TestKindOfAndForks(t *testing.T) {
	for head, want := range map[string]ProgramKind{"\x7fELF\x02\x01": ELFProgram, "#!/usr/bin/env bash\n": ScriptProgram, "MZ": OtherProgram} {
		if got := KindOf([]byte(head)); got != want {
			t.Errorf("KindOf(%q) = %d, want %d", head, got, want)
		}
	}
	if KindOf(nil) != UnknownProgram {
		t.Error("KindOf(nil) is not unknown")
	}
	// The field report's hello.sh: a loop in the foreground.
	loop := "#!/usr/bin/env bash\nfilename=$1\nwhile (true); do\n  sleep 1\n  date >> /opt/daemon_test/${filename}.log 2>&1\ndone\n"
	if ScriptForks([]byte(loop)) {
		t.Error("the loop script is taken for one that backgrounds")
	}
	for _, s := range []string{"#!/bin/sh\n/usr/bin/real &\n", "#!/bin/sh\nnohup /usr/bin/real >/dev/null\n", "#!/bin/sh\nexec setsid /usr/bin/real\n",
		"#!/bin/sh\ncat <<EOF\nnot & a command\nEOF\n/usr/bin/real &\n"} {
		if !ScriptForks([]byte(s)) {
			t.Errorf("%q is not seen to background", s)
		}
	}
	if ScriptForks([]byte("#!/bin/sh\ncat <<EOF\n/usr/bin/real &\nEOF\nexec /usr/bin/real\n")) {
		t.Error("a here-document's text is taken for a command")
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }
