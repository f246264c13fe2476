//go:build linux

package unitscript

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
)

var update = flag.Bool("update", false, "rewrite the expected scripts, links and findings in testdata")

// goldenCase is one testdata/*.txtar: the comment says what it
// reproduces and where the pattern was seen; "input" holds the name, the
// enablement and the scripts that exist ("scripts a b"); "unit" the unit
// file (and "dropin" one drop-in); "data", "links" and "findings" are
// what Render must give ("data" is the script up to its runtime).
type goldenCase struct {
	file string
	ar   *txtar.Archive
	in   Input
}

func loadCase(t *testing.T, file string) goldenCase {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	section := func(name string) []byte {
		for _, f := range ar.Files {
			if f.Name == name {
				return f.Data
			}
		}
		return nil
	}
	name := strings.TrimSuffix(filepath.Base(file), ".txtar")
	in := Input{Name: name, Enabled: true, Marker: "# initcompat test (written by initcompat; do not edit)"}
	scripts := map[string]bool{}
	for _, l := range strings.Split(string(section("input")), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "name":
			in.Name = f[1]
		case "disabled":
			in.Enabled = false
		case "scripts":
			for _, s := range f[1:] {
				scripts[s] = true
			}
		case "aliases":
			in.Aliases = f[1:]
		}
	}
	in.HasScript = func(n string) bool { return scripts[n] }
	unitName := in.Name + ".service"
	frag := "/etc/systemd/system/" + unitName
	u := &systemd.Unit{Name: unitName, Fragment: frag}
	for _, part := range []struct{ sec, path string }{{"unit", frag}, {"dropin", frag + ".d/override.conf"}} {
		data := section(part.sec)
		if data == nil {
			continue
		}
		opts, err := systemd.Parse(part.path, data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, l := range systemd.LocateOptions(data, opts) {
			in.Sources = append(in.Sources, systemd.Source{File: part.path, Line: l})
		}
		u.Options = append(u.Options, opts...)
		if part.sec == "dropin" {
			u.DropIns = append(u.DropIns, part.path)
		}
	}
	in.Unit = u
	return goldenCase{file, ar, in}
}

func goldenFiles(t *testing.T) []string {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) < 10 {
		t.Fatalf("only %d golden cases", len(files))
	}
	return files
}

// render gives the sections a case expects.
func render(in Input) (res Result, data, links, findings string) {
	res = Render(in)
	if res.Script != nil {
		s := string(res.Script)
		if !strings.HasSuffix(s, runtime) {
			panic("the script does not end with the runtime")
		}
		data = strings.TrimSuffix(s, runtime)
	}
	var b strings.Builder
	for _, l := range res.Links {
		fmt.Fprintf(&b, "/etc/rc%s.d/%s -> %s\n", l.Runlevel, l.Name, l.Target)
	}
	links = b.String()
	b.Reset()
	for _, f := range res.Findings {
		b.WriteString(f.String() + "\n")
	}
	return res, data, links, b.String()
}

func TestGolden(t *testing.T) {
	for _, file := range goldenFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			c := loadCase(t, file)
			_, data, links, findings := render(c.in)
			want := map[string]string{"data": data, "links": links, "findings": findings}
			changed := false
			for _, name := range []string{"data", "links", "findings"} {
				var have []byte
				idx := -1
				for i, f := range c.ar.Files {
					if f.Name == name {
						have, idx = f.Data, i
					}
				}
				if string(have) == want[name] {
					continue
				}
				if *update {
					if idx < 0 {
						c.ar.Files = append(c.ar.Files, txtar.File{Name: name})
						idx = len(c.ar.Files) - 1
					}
					c.ar.Files[idx].Data = []byte(want[name])
					changed = true
					continue
				}
				t.Errorf("%s differs (go test ./initcompat/unitscript -update)\n--- want\n%s--- have\n%s", name, want[name], have)
			}
			if changed {
				if err := os.WriteFile(file, txtar.Format(c.ar), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestScriptsPassTheShell holds every script a golden case makes to the
// real dash (sh -n) and to shellcheck -s sh, whole: data and runtime.
func TestScriptsPassTheShell(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		if os.Getenv("INITCOMPAT_E2E") == "1" || os.Getenv("CI") != "" {
			t.Fatal("shellcheck is needed (apt-get install shellcheck)")
		}
		t.Skip("no shellcheck here (apt-get install shellcheck)")
	}
	dir := t.TempDir()
	var paths []string
	for _, file := range goldenFiles(t) {
		c := loadCase(t, file)
		res := Render(c.in)
		if res.Script == nil {
			continue
		}
		p := filepath.Join(dir, strings.TrimSuffix(filepath.Base(file), ".txtar"))
		if err := os.WriteFile(p, res.Script, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("dash", "-n", p).CombinedOutput(); err != nil {
			t.Errorf("%s: dash -n: %v\n%s", file, err, out)
		}
		paths = append(paths, p)
	}
	if len(paths) < 10 {
		t.Fatalf("only %d scripts", len(paths))
	}
	out, err := exec.Command(sc, append([]string{"-s", "sh", "-S", "style"}, paths...)...).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
	// The negative control: the same check refuses a script whose data
	// is not quoted as shellword quotes it.
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, bytes.Replace(mustScript(t), []byte("ic_user='hello'"), []byte("ic_user='hel'lo'"), 1), 0o755); err != nil {
		t.Fatal(err)
	}
	if exec.Command("dash", "-n", bad).Run() == nil {
		t.Error("dash -n accepted a script with an unbalanced quote in its data")
	}
}

func mustScript(t *testing.T) []byte {
	t.Helper()
	c := loadCase(t, "testdata/hello.txtar")
	res := Render(c.in)
	if res.Script == nil {
		t.Fatal("hello.txtar makes no script")
	}
	return res.Script
}
