package initcompat_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree/treetest"
)

// The forky base image on disk, read through the watched paths as a
// root_dir build reads it, with /usr/local/lib there (every Debian image
// has it) and no /usr/local/lib/systemd: a script's Provides alias goes
// into /usr/local/lib/systemd/system, and the plan makes only what is
// missing. Before the native-unit shim watched the directories above it,
// the snapshot held no /usr/local, the plan made it, and the apply refused
// ("/usr/local changed since the snapshot (it exists now)"; e2e
// TestNativeUnitsForky on debootstrapped forky).
func TestNativeUnitAliasDirOnDisk(t *testing.T) {
	ar, err := txtar.ParseFile(filepath.Join("testdata", "base", "forky.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := treetest.Parse(ar.Files, "")
	if err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	if err := treetest.WriteDir(d, ms); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(d, "usr/local/lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: hello hello-alt\n# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n### END INIT INFO\n" +
		"case \"$1\" in start) /usr/local/bin/hello & ;; esac\n"
	if err := os.MkdirAll(filepath.Join(d, "etc/init.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "etc/init.d/hello"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	pol := plan.Policy{Version: "test"}
	tr, err := tree.FromDir(d, initcompat.Watches(pol), 0)
	if err != nil {
		t.Fatal(err)
	}
	pl := initcompat.BuildPlan(tr, pol)
	var mkdirs []string
	alias := false
	for _, c := range pl.Changes {
		if c.Op == plan.OpMkdir && strings.HasPrefix(c.Path, "/usr/local") {
			mkdirs = append(mkdirs, c.Path)
		}
		alias = alias || (c.Op == plan.OpSymlink && c.Path == "/usr/local/lib/systemd/system/hello-alt.service")
	}
	if !alias {
		t.Fatalf("no alias link planned:\n%s", pl.Text())
	}
	if strings.Join(mkdirs, " ") != "/usr/local/lib/systemd /usr/local/lib/systemd/system" {
		t.Fatalf("the plan makes %q under /usr/local, want only what is missing:\n%s", mkdirs, pl.Text())
	}
}
