//go:build linux

package unitscript

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
)

// FuzzRender: any unit go-systemd parses gives a script or a finding, never
// a panic, and every script is one dash parses. The golden units seed it.
func FuzzRender(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txtar")
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, fl := range ar.Files {
			if fl.Name == "unit" {
				f.Add(string(fl.Data))
			}
		}
	}
	dash, _ := exec.LookPath("dash")
	f.Fuzz(func(t *testing.T, text string) {
		opts, err := systemd.Parse("fuzz.service", []byte(text))
		if err != nil {
			return
		}
		res := Render(Input{Name: "fuzz", Unit: &systemd.Unit{Name: "fuzz.service", Fragment: "/etc/systemd/system/fuzz.service", Options: opts},
			Sources: nil, Enabled: true, Marker: "# fuzz"})
		if res.Script == nil {
			if !res.Skipped() || len(res.Findings) == 0 {
				t.Fatal("no script and no finding")
			}
			return
		}
		if !strings.HasSuffix(string(res.Script), runtime) {
			t.Fatal("the script does not end with the runtime")
		}
		if dash == "" {
			return
		}
		p := filepath.Join(t.TempDir(), "s")
		if err := os.WriteFile(p, res.Script, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(dash, "-n", p).CombinedOutput(); err != nil {
			t.Fatalf("dash -n: %v\n%s\n--- unit\n%s", err, out, text)
		}
	})
}

// TestRuntimeQuote holds the runtime's own quoting (ic_quote, the words it
// builds at run time from what it read then) to dash reading them back.
func TestRuntimeQuote(t *testing.T) {
	i := strings.Index(runtime, "\nic_quote() {")
	j := strings.Index(runtime[i:], "\n}\n")
	fn := runtime[i : i+j+3]
	words := []string{"", "plain", "it's", "'", "''", "a'b'c", "new\nline", "$(id)", "`id`", `\`, "tab\there", "'\\''"}
	var script strings.Builder
	script.WriteString(fn)
	for _, w := range words {
		script.WriteString("ic_quote " + shellQuote(w) + "\neval \"v=$ic_s\"\nprintf '%s\\0' \"$v\"\n")
	}
	out, err := exec.Command("dash", "-c", script.String()).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for k, w := range words {
		if k >= len(got) || got[k] != w {
			t.Errorf("%q came back as %q", w, got)
		}
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
