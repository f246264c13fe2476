//go:build linux

package systemd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lineCase is a unit file and what systemd makes of it: whether it loads,
// and the keys of its [Unit] section.
type lineCase struct {
	name  string
	data  string
	loads bool
	keys  []string // keys of [Unit], in order
}

func lineCases() []lineCase {
	svc := "[Service]\nType=oneshot\nExecStart=/bin/true\n"
	env := func(n int) string {
		pre := "Environment=A="
		return "[Unit]\nDescription=x\n" + svc + pre + strings.Repeat("x", n-len(pre)) + "\n"
	}
	half := strings.Repeat("x", 600_000)
	return []lineCase{
		// issue 33: a 3,000-byte Environment= line, which go-systemd
		// alone refuses (ErrLineTooLong) while systemd 252 loads it.
		{"3000", env(3000), true, []string{"Description"}},
		{"just-under", env(LongLineMax - 1), true, []string{"Description"}},
		{"at-limit", env(LongLineMax), false, nil},
		{"continued-past-limit", "[Unit]\nDescription=x\n" + svc + "Environment=A=" + half + "\\\n" + half + "\n", false, nil},
		// systemd ends a line at \r and NUL too, and takes "\r\n" and
		// "\n\r" for one end.
		{"cr", "[Unit]\nDescription=a\rFooCR=bar\n" + svc, true, []string{"Description", "FooCR"}},
		{"nul", "[Unit]\nDescription=a\x00FooNUL=bar\n" + svc, true, []string{"Description", "FooNUL"}},
		{"crlf", strings.ReplaceAll("[Unit]\nDescription=a\nFooCRLF=bar\n"+svc, "\n", "\r\n"), true, []string{"Description", "FooCRLF"}},
		{"lfcr", strings.ReplaceAll("[Unit]\nDescription=a\nFooLFCR=bar\n"+svc, "\n", "\n\r"), true, []string{"Description", "FooLFCR"}},
	}
}

// TestLongLinesAsSystemdReadsThem holds Parse to systemd's rules for the
// length and the ends of lines; with systemd-analyze on the machine, the
// same files go through systemd itself, which must agree on whether each
// loads and on the keys it sees (it names an unknown one in a warning).
func TestLongLinesAsSystemdReadsThem(t *testing.T) {
	analyze, _ := exec.LookPath("systemd-analyze")
	for _, c := range lineCases() {
		t.Run(c.name, func(t *testing.T) {
			opts, err := Parse(c.name, []byte(c.data))
			switch {
			case c.loads && err != nil:
				t.Fatalf("Parse: %v", err)
			case !c.loads && !errors.Is(err, ErrLineTooLong):
				t.Fatalf("Parse: %v, want ErrLineTooLong", err)
			}
			var keys []string
			for _, o := range opts {
				if o.Section == "Unit" {
					keys = append(keys, o.Name)
				}
			}
			if c.loads && strings.Join(keys, " ") != strings.Join(c.keys, " ") {
				t.Errorf("[Unit] keys %v, want %v", keys, c.keys)
			}
			if analyze == "" || testing.Short() && len(c.data) > 1<<20 {
				return
			}
			p := filepath.Join(t.TempDir(), "l-"+c.name+".service")
			if err := os.WriteFile(p, []byte(c.data), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(analyze, "verify", "--man=no", p).CombinedOutput()
			loads := err == nil && !strings.Contains(string(out), "failed to load")
			if loads != c.loads {
				t.Errorf("systemd-analyze verify: loads=%v, want %v:\n%s", loads, c.loads, out)
			}
			for _, k := range c.keys {
				if strings.HasPrefix(k, "Foo") && !strings.Contains(string(out), "Unknown key '"+k+"'") && !strings.Contains(string(out), "Unknown key name '"+k+"'") {
					t.Errorf("systemd did not see the key %s:\n%s", k, out)
				}
			}
		})
	}
}
