//go:build linux

package unitscript

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
)

// awkProgram is the runtime's awk program, as the script holds it.
func awkProgram(t *testing.T) string {
	t.Helper()
	i := strings.Index(runtime, "\nic_awk='")
	if i < 0 {
		t.Fatal("no ic_awk in the runtime")
	}
	rest := runtime[i+len("\nic_awk='"):]
	j := strings.Index(rest, "'\n")
	if j < 0 {
		t.Fatal("ic_awk is not closed")
	}
	return rest[:j]
}

// awks are the awk implementations here: Debian's default mawk, and gawk
// and busybox where present. The script runs under whichever the image has.
func awks(t *testing.T) [][]string {
	var out [][]string
	for _, a := range [][]string{{"mawk"}, {"gawk"}, {"original-awk"}, {"busybox", "awk"}} {
		if _, err := exec.LookPath(a[0]); err == nil {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		t.Skip("no awk here")
	}
	return out
}

// viaShell runs the awk program as the runtime does and reads its quoted
// words back through the real dash: what the daemon's env(1) would get.
func viaShell(t *testing.T, awk []string, prog string, args []string, env []string) []string {
	t.Helper()
	script := `w=$("$@") || exit 9; eval "set -- $w"; for a; do printf '%s\0' "$a"; done`
	cmd := exec.Command("dash", append([]string{"-c", script, "sh"}, append(append(awk, args...), prog)...)...)
	// The program goes last only for the split mode; envfile passes a file.
	cmd.Args = append([]string{"dash", "-c", script, "sh"}, append(awk, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v", awk, err)
	}
	if len(out) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// envFileCases are env files with every state of env-file.c's parser.
var envFileCases = []string{
	"A=1\nB=2\n",
	"# comment\n; also\nA=plain value  \nB='single $x \\n'\nC=\"dq \\\" \\$ \\n \\\\ \"\nD=a\\\n b\n E = spaced\nno equals\n9BAD=x\nF=\"x\"y 'z'\nG=\nH=\"multi\nline\"\nA=second\nI=\"unterminated",
	"X=no newline at the end",
	"X='quoted'",
	"X=trailing\\",
	"#c\\\nY=after an escaped comment end\n",
	"K\tTAB = v\n",
	"CR=a\r\nNEXT=b\r\n",
	"QUOTE=it's\nQQ=\"it's\"\n",
	"",
}

func TestEnvFileAwkAgreesWithGo(t *testing.T) {
	prog := awkProgram(t)
	dir := t.TempDir()
	cases := append([]string(nil), envFileCases...)
	// Random files over the characters each state turns on.
	r := rand.New(rand.NewPCG(31, 7))
	alphabet := []string{"A", "b", "_", "1", "=", " ", "\t", "\n", "\r", "'", "\"", "\\", "#", ";", "$", "`", "x="}
	for range 300 {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, awk := range awks(t) {
		for i, c := range cases {
			p := filepath.Join(dir, "env")
			if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
			got := viaShell(t, awk, prog, []string{"-v", "mode=envfile", prog, p}, nil)
			var want []string
			for _, a := range systemd.ParseEnvFile([]byte(c)) {
				want = append(want, a.Name+"="+a.Value)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%v, case %d %q:\nawk %q\nGo  %q", awk, i, c, got, want)
			}
		}
	}
}

func TestSplitAwkAgreesWithGo(t *testing.T) {
	prog := awkProgram(t)
	cases := []string{`--a "b c" x`, `  one  `, `a\ b`, `'unbalanced`, `x\`, `\n`, "tab\there\nx", `it's`, `""`, `a""b`, `'$(id)'`}
	r := rand.New(rand.NewPCG(31, 8))
	alphabet := []string{"a", " ", "\t", "'", "\"", "\\", "$", "x y"}
	for range 300 {
		var b strings.Builder
		for range r.IntN(20) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, awk := range awks(t) {
		for _, c := range cases {
			got := viaShell(t, awk, prog, []string{"-v", "mode=split", prog}, []string{"ic_value=" + c})
			want := systemd.SplitVariable(c)
			if len(want) == 0 {
				want = nil
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%v %q: awk %q, Go %q", awk, c, got, want)
			}
		}
	}
}

// TestDataReadsBack sources the data of the hostile case in the real dash,
// with the runtime's verbs replaced by ones that print their words: each
// value comes back byte for byte, and nothing in it ran.
func TestDataReadsBack(t *testing.T) {
	c := loadCase(t, "testdata/hostile.txtar")
	res := Render(c.in)
	data := strings.TrimSuffix(string(res.Script), runtime)
	stub := data + `
ic_env() { printf 'env:%s\0' "$1"; }
ic_w() { printf 'w:%s\0' "$1"; }
ic_pl() { printf 'pl:%s\0' "$1"; }
ic_pv() { printf 'pv:%s\0' "$1"; }
ic_cmd() { :; }
ic_run() { :; }
printf 'workdir:%s\0' "$ic_workdir"
ic_environment
ic_exec_start
`
	out, err := exec.Command("dash", "-c", stub).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	want := []string{"workdir:/srv/it's here", "env:A=$(reboot)", "env:B=`halt`", "env:C=x'y", "env:D=line\nbreak", "env:E=; rm -rf /",
		"w:/usr/bin/printf", "w:%s\n", "w:`id`", "w:a'b", "w:", "pv:A"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if bytes.Contains(out, []byte("reboot:")) {
		t.Error("something ran")
	}
}

// TestRuntimeSplitAgreesWithGo runs the runtime's own ic_ws (the shell's
// split for plain values, the awk port for the rest) in dash on random
// values, against SplitVariable.
func TestRuntimeSplitAgreesWithGo(t *testing.T) {
	rt := strings.TrimSuffix(runtime, "ic_main \"$@\"\n")
	if rt == runtime {
		t.Fatal("the runtime no longer ends with ic_main \"$@\"")
	}
	cases := []string{"a b  c", "x'y z", "tab\there", "glob * ?", `back\slash w`, "", "   ", "a\nb", "*"}
	r := rand.New(rand.NewPCG(31, 9))
	alphabet := []string{"a", " ", "  ", "\t", "'", "\"", "\\", "*", "$x", "b c"}
	for range 200 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	script := rt + `
for v; do
	ic_quote "V=$v"; ic_envq=$ic_s
	ic_cmd ""; ic_w /bin/x; ic_ws V; ic_endword
	eval "set -- $ic_rest"
	for a; do printf '%s\001' "$a"; done
	printf '\002'
done`
	// The positional parameters carry the values; the loop reads "$@"
	// before each eval replaces them, so each value runs in a subshell.
	var out strings.Builder
	for _, c := range cases {
		b, err := exec.Command("dash", "-c", script, "sh", c).Output()
		if err != nil {
			t.Fatalf("%q: %v", c, err)
		}
		out.Write(b)
	}
	results := strings.Split(strings.TrimSuffix(out.String(), "\x02"), "\x02")
	for i, c := range cases {
		var got []string
		if results[i] != "" {
			got = strings.Split(strings.TrimSuffix(results[i], "\x01"), "\x01")
		}
		want := systemd.SplitVariable(c)
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: the runtime split it %q, systemd's grammar %q", c, got, want)
		}
	}
}

// TestRuntimeEnvFileAgreesWithGo runs the runtime's own ic_envfile (the
// shell's reader for plain files, the awk port for the rest) in dash on the
// env file cases and random files, against ParseEnvFile: the environment
// env(1) ends up with (the last assignment of a name wins) must be equal.
func TestRuntimeEnvFileAgreesWithGo(t *testing.T) {
	rt := strings.TrimSuffix(runtime, "ic_main \"$@\"\n")
	dir := t.TempDir()
	cases := append([]string(nil), envFileCases...)
	r := rand.New(rand.NewPCG(31, 10))
	alphabet := []string{"A", "b", "_", "1", "=", " ", "\n", "'", "\"", "\\", "#", ";", "$", "`", "x=", "\t"}
	for range 200 {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	script := rt + `
ic_envq=''
ic_envfile "$1" no || exit 9
eval "set -- $ic_envq"
for a; do printf '%s\001' "$a"; done`
	for i, c := range cases {
		p := filepath.Join(dir, "env")
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("dash", "-c", script, "sh", p).Output()
		if err != nil {
			t.Fatalf("case %d %q: %v", i, c, err)
		}
		got := map[string]string{}
		if len(out) > 0 {
			for _, kv := range strings.Split(strings.TrimSuffix(string(out), "\x01"), "\x01") {
				k, v, _ := strings.Cut(kv, "=")
				got[k] = v
			}
		}
		want := map[string]string{}
		for _, a := range systemd.ParseEnvFile([]byte(c)) {
			want[a.Name] = a.Value
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("case %d %q:\nruntime %q\nGo      %q", i, c, got, want)
		}
	}
}
