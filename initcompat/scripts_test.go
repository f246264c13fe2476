//go:build linux

package initcompat

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestGoldenScriptsParse runs sh -n on every shell script the golden cases
// expect initcompat to write: translated job blocks and LSB redirects.
func TestGoldenScriptsParse(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh here to check the scripts with")
	}
	cases, _ := filepath.Glob("testdata/*/*.txtar")
	checked := 0
	for _, file := range cases {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if !strings.HasPrefix(f.Name, "out/etc/initcompat/jobs/") && !strings.HasPrefix(f.Name, "out/etc/init.d/") {
				continue
			}
			cmd := exec.Command(sh, "-n")
			cmd.Stdin = strings.NewReader(string(f.Data))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: %s: sh -n: %v\n%s", file, f.Name, err, out)
			}
			checked++
		}
	}
	if checked < 50 {
		t.Fatalf("only %d scripts in the golden cases", checked)
	}
}
