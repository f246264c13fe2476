package planner_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
)

// Every unit and drop-in the golden cases expect initcompat to write reads
// back, by systemd's own line rules (systemd.Parse: a line ends at LF, CR
// or NUL; a trailing backslash joins the next), as the lines initcompat
// meant: no control character hides a line in a comment or a value, no
// value swallows the next setting, none is too long to read (issue 34,
// item 3).
func TestGeneratedUnitsReadBack(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join(testdataDir, "*", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	units := 0
	for _, file := range cases {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			name := strings.TrimPrefix(f.Name, "out/")
			unit := strings.HasSuffix(name, ".conf") || systemd.ValidName(filepath.Base(name))
			if name == f.Name || !strings.Contains(name, "/systemd/system/") || !unit {
				continue
			}
			units++
			if i := bytes.IndexFunc(f.Data, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }); i >= 0 {
				t.Errorf("%s: %s holds the control byte %#x at %d", file, name, f.Data[i], i)
			}
			for n, line := range strings.Split(string(f.Data), "\n") {
				if strings.HasSuffix(line, `\`) {
					t.Errorf("%s: %s:%d ends in a backslash, which joins the next line to it", file, name, n+1)
				}
			}
			opts, err := systemd.Parse(name, f.Data)
			if err != nil {
				t.Errorf("%s: %s does not read back: %v", file, name, err)
				continue
			}
			lines := 0
			for _, line := range strings.Split(string(f.Data), "\n") {
				if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, ";") && !strings.HasPrefix(l, "[") {
					lines++
				}
			}
			if len(opts) != lines {
				t.Errorf("%s: %s reads as %d settings, and holds %d setting lines", file, name, len(opts), lines)
			}
		}
	}
	if units < 40 {
		t.Fatalf("only %d units and drop-ins in the golden cases", units)
	}
	t.Logf("%d units and drop-ins read back", units)
}
