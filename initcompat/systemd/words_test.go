package systemd

import (
	"reflect"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/unit"
)

// The cases follow systemd's own: src/test/test-extract-word.c and the
// examples of systemd.service(5), "Command lines".
func TestSplitWords(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    []string
		unknown int
		err     bool
	}{
		{`a b  c`, []string{"a", "b", "c"}, 0, false},
		{`"VAR1=word1 word2" VAR2=word3 "VAR3=$word 5 6"`, []string{"VAR1=word1 word2", "VAR2=word3", "VAR3=$word 5 6"}, 0, false},
		{`'a b'"c d"e`, []string{"a bc de"}, 0, false},
		{`a\x41b \101 \ttab`, []string{"aAb", "A", "\ttab"}, 0, false},
		{`'it\'s'`, []string{"it's"}, 0, false},
		{`a\sb`, []string{"a b"}, 0, false},
		{`\d`, []string{`\d`}, 1, false},
		{`trailing\`, []string{`trailing\`}, 1, false},
		{`"open`, nil, 0, true},
		{`'x\`, nil, 0, true},
		{`\x00`, []string{`\x00`}, 1, false},
	} {
		got, unknown, err := SplitWords(c.in)
		if (err != nil) != c.err || !reflect.DeepEqual(got, c.want) || len(unknown) != c.unknown {
			t.Errorf("SplitWords(%q) = %q, %v unknown, %v; want %q, %d, err %v", c.in, got, unknown, err, c.want, c.unknown, c.err)
		}
	}
}

func TestSplitVariable(t *testing.T) {
	for in, want := range map[string][]string{
		`--a "b c" x`:  {"--a", "b c", "x"},
		`  one  `:      {"one"},
		`a\ b`:         {"a b"},
		`'unbalanced`:  {"unbalanced"},
		`x\`:           {"x"},
		`\n`:           {"n"},
		"tab\there\nx": {"tab", "here", "x"},
	} {
		if got := SplitVariable(in); !reflect.DeepEqual(got, want) {
			t.Errorf("SplitVariable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseExec(t *testing.T) {
	sp := Specifiers{Unit: "web@blue.service", Fragment: "/etc/systemd/system/web@.service"}
	cmds, warns, err := ParseExec(`-@/bin/sh x -c 'echo %i %%; date' ; +/bin/true \; ; !!/usr/bin/id`, sp)
	if err != nil || len(warns) != 0 {
		t.Fatal(err, warns)
	}
	want := []Command{
		{Ignore: true, Argv0: true, Path: "/bin/sh", Args: []string{"x", "-c", "echo blue %; date"}},
		{Privileged: true, Path: "/bin/true", Args: []string{";"}},
		{NoSetUID: true, AmbientOK: true, Path: "/usr/bin/id"},
	}
	if !reflect.DeepEqual(cmds, want) {
		t.Errorf("got %+v\nwant %+v", cmds, want)
	}
	if cmds[0].Prefixes() != "-@" || cmds[2].Prefixes() != "!!" {
		t.Errorf("prefixes %q %q", cmds[0].Prefixes(), cmds[2].Prefixes())
	}
	if _, _, err := ParseExec(`/bin/echo %Z`, sp); err == nil {
		t.Error("an unknown specifier was accepted")
	}
	if _, _, err := ParseExec(`/bin/echo "open`, sp); err == nil {
		t.Error("unbalanced quotes were accepted")
	}
	if cmds, _, _ := ParseExec(`/bin/echo %H`, sp); cmds[0].Args[0] != Placeholder('H') {
		t.Errorf("%%H: %q", cmds[0].Args)
	}
}

func TestExpandWord(t *testing.T) {
	for _, c := range []struct {
		in    string
		noEnv bool
		want  Word
	}{
		{"$OPTS", false, Word{Split: "OPTS"}},
		{"${OPTS}", false, Word{Parts: []Part{{Variable, "OPTS"}}}},
		{"--x=${A}/y$B", false, Word{Parts: []Part{{Literal, "--x="}, {Variable, "A"}, {Literal, "/y$B"}}}},
		{"$$HOME", false, Word{Parts: []Part{{Literal, "$HOME"}}}},
		{"a$$b", false, Word{Parts: []Part{{Literal, "a$b"}}}},
		{"${A:-x}", false, Word{Parts: []Part{{Literal, "${A:-x}"}}}},
		{"$OPTS", true, Word{Parts: []Part{{Literal, "$OPTS"}}}},
		{"h=" + Placeholder('H'), false, Word{Parts: []Part{{Literal, "h="}, {Runtime, "H"}}}},
	} {
		if got := ExpandWord(c.in, c.noEnv); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ExpandWord(%q, %v) = %+v, want %+v", c.in, c.noEnv, got, c.want)
		}
	}
}

// The file is the example of systemd.exec(5), EnvironmentFile=, plus the
// corners of env-file.c's states.
func TestParseEnvFile(t *testing.T) {
	in := "# comment\n; also\nA=plain value  \nB='single $x \\n'\nC=\"dq \\\" \\$ \\n \\\\ \"\nD=a\\\n b\n E = spaced\nno equals\n9BAD=x\nF=\"x\"y 'z'\nG=\nH=\"multi\nline\"\nA=second\nI=\"unterminated"
	got := ParseEnvFile([]byte(in))
	want := []Assignment{
		{"A", "second"}, {"B", `single $x \n`}, {"C", `dq " $ \n \ `}, {"D", "a b"}, {"E", "spaced"},
		{"F", "xy 'z'"}, {"G", ""}, {"H", "multi\nline"}, {"I", "unterminated"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestSpecifiers(t *testing.T) {
	sp := Specifiers{Unit: "foo-bar@a-b.service", Fragment: "/etc/systemd/system/foo-bar@.service"}
	for in, want := range map[string]string{
		"%n %N %p %P %i %I": "foo-bar@a-b.service foo-bar@a-b foo-bar foo/bar a-b a/b",
		"%j %t/%S %%":       "bar /run//var/lib %",
		"%f %Y":             "/a/b /etc/systemd/system",
		"%u:%U %h":          "root:0 /root",
	} {
		got, err := sp.Expand(in)
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestParseTimespan(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90": 90 * time.Second, "5s": 5 * time.Second, "1min 30s": 90 * time.Second, "500ms": 500 * time.Millisecond,
		"2h": 2 * time.Hour, "1.5s": 1500 * time.Millisecond, "infinity": Infinity, "3m": 3 * time.Minute, "10 sec": 10 * time.Second,
	} {
		if got, err := ParseTimespan(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "5 parsecs"} {
		if _, err := ParseTimespan(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLocateOptions(t *testing.T) {
	data := []byte("# c\n[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/a \\\n  b\n; c\nUser=u\nExecStart=\n[Install]\nWantedBy=multi-user.target\n")
	opts, err := Parse("x", data)
	if err != nil {
		t.Fatal(err)
	}
	got := LocateOptions(data, opts)
	want := []int{3, 6, 9, 10, 12}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines %v, want %v (%v)", got, want, func() []string {
			var s []string
			for _, o := range opts {
				s = append(s, o.Name)
			}
			return s
		}())
	}
	_ = unit.UnitOption{}
}
