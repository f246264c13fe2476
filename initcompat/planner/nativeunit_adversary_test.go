package planner_test

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/planner"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// advImage is forky with a hand-written script (and an alias), a packaged
// one and /etc/rc.local: what the second-run cases below start from.
const advImage = `-- tree/etc/init.d/hello [x] --
#!/bin/sh
### BEGIN INIT INFO
# Provides:          hello hello-alt
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: hello
### END INIT INFO
exit 0
-- tree/etc/rc2.d/S01hello -> ../init.d/hello --
-- tree/etc/rc3.d/S01hello -> ../init.d/hello --
-- tree/etc/rc4.d/S01hello -> ../init.d/hello --
-- tree/etc/rc5.d/S01hello -> ../init.d/hello --
-- tree/etc/rc.local [x] --
#!/bin/sh
exit 0
`

func advApplied(t *testing.T, pol plan.Policy) (*tree.Tree, *plan.Plan) {
	t.Helper()
	tr := loadTree(t, filepath.Join(testdataDir, "base"), "forky", txtar.Parse([]byte(advImage)))
	pl := initcompat.BuildPlan(tr, pol)
	if len(pl.Errors()) > 0 {
		t.Fatalf("first plan: %s", pl.Text())
	}
	return plan.Overlay(tr, pl.Changes), pl
}

func replaced(t *testing.T, tr *tree.Tree, e tree.Entry) *tree.Tree {
	t.Helper()
	out := tr.Clone()
	out.Remove(e.Path)
	if err := out.Add(e); err != nil {
		t.Fatal(err)
	}
	return out
}

func removed(tr *tree.Tree, paths ...string) *tree.Tree {
	out := tr.Clone()
	for _, p := range paths {
		out.Remove(p)
	}
	return out
}

func touches(pl *plan.Plan, p string) *plan.Change {
	for i, c := range pl.Changes {
		if c.Path == p {
			return &pl.Changes[i]
		}
	}
	return nil
}

// A person ran systemctl disable hello (or update-rc.d hello disable,
// which runs it) after the first build: the wants links are gone. The
// second build must leave it disabled (planNativeUnit: "what people did
// with it since stands"), and must not pin it enabled in a preset.
func TestNativeUnitSecondRunAfterDisable(t *testing.T) {
	pol := plan.Policy{Version: planner.TestVersion}
	done, _ := advApplied(t, pol)
	tr := removed(done, "/etc/systemd/system/multi-user.target.wants/hello.service", "/etc/systemd/system/graphical.target.wants/hello.service")
	again := initcompat.BuildPlan(tr, pol)
	t.Logf("second plan:\n%s", again.Text())
	for _, p := range []string{"/etc/systemd/system/multi-user.target.wants/hello.service", "/etc/systemd/system/graphical.target.wants/hello.service"} {
		if touches(again, p) != nil {
			t.Errorf("the second run enables hello again at %s", p)
		}
	}
	if c := touches(again, "/etc/systemd/system-preset/0-initcompat.preset"); c != nil && strings.Contains(string(c.Content), "enable hello.service") {
		t.Errorf("the second run pins hello enabled for the first boot after a disable:\n%s", c.Content)
	}
}

// A person edited the unit initcompat wrote (an Environment= line). The
// second build must say so, and must go on treating the script's unit,
// wants links and alias as asked for: today the edited unit is taken for
// a native unit not initcompat's (the generator's unit_file_exists()
// rule), so the script leaves scope, and its wants links and alias are
// listed as no longer asked for; prune = true then disables the service.
func TestNativeUnitSecondRunAfterEdit(t *testing.T) {
	pol := plan.Policy{Version: planner.TestVersion}
	done, _ := advApplied(t, pol)
	e, _ := done.Lstat("/etc/systemd/system/hello.service")
	ed := *e
	ed.Data = []byte(strings.Replace(string(e.Data), "[Service]\n", "[Service]\nEnvironment=EDITED=1\n", 1))
	tr := replaced(t, done, ed)
	again := initcompat.BuildPlan(tr, pol)
	t.Logf("second plan:\n%s", again.Text())
	pruned := initcompat.BuildPlan(tr, plan.Policy{Version: planner.TestVersion, Prune: true})
	t.Logf("with prune:\n%s", pruned.Text())
	var bugs []string
	if touches(again, e.Path) == nil && !strings.Contains(again.Text(), e.Path) {
		bugs = append(bugs, "the edited unit is neither rewritten nor mentioned")
	}
	for _, l := range []string{"/etc/systemd/system/multi-user.target.wants/hello.service", "/usr/local/lib/systemd/system/hello-alt.service"} {
		if c := touches(pruned, l); c != nil && c.Op == plan.OpRemove {
			bugs = append(bugs, "prune = true removes "+l+" of a service still in scope")
		}
	}
	if len(bugs) > 0 {
		t.Errorf("an edited native unit: %s", strings.Join(bugs, "; "))
	}
}

// A person re-pointed the wants link at a unit of their own in /opt.
func TestNativeUnitSecondRunAfterRelink(t *testing.T) {
	pol := plan.Policy{Version: planner.TestVersion}
	done, _ := advApplied(t, pol)
	l := "/etc/systemd/system/multi-user.target.wants/hello.service"
	tr := replaced(t, done, tree.Entry{Path: l, Kind: tree.Symlink, Mode: 0o777, Target: "/opt/hello.service"})
	again := initcompat.BuildPlan(tr, pol)
	t.Logf("second plan:\n%s", again.Text())
	if c := touches(again, l); c != nil {
		t.Errorf("the second run replaces a link a person re-pointed: %s %s", c.Op, c.Reason)
	}
}

// update-rc.d hello remove after the first build: the script and its rc
// links are gone; the unit initcompat wrote runs a file that is not there.
func TestNativeUnitSecondRunAfterScriptRemoved(t *testing.T) {
	pol := plan.Policy{Version: planner.TestVersion}
	done, _ := advApplied(t, pol)
	tr := removed(done, "/etc/init.d/hello", "/etc/rc2.d/S01hello", "/etc/rc3.d/S01hello", "/etc/rc4.d/S01hello", "/etc/rc5.d/S01hello")
	again := initcompat.BuildPlan(tr, pol)
	t.Logf("second plan:\n%s", again.Text())
	pruned := initcompat.BuildPlan(tr, plan.Policy{Version: planner.TestVersion, Prune: true})
	t.Logf("with prune:\n%s", pruned.Text())
	if c := touches(pruned, "/etc/systemd/system/hello.service"); c == nil || c.Op != plan.OpRemove {
		t.Errorf("prune = true leaves the unit of a removed script")
	}
	if !strings.Contains(again.Text(), "/etc/init.d/hello, which is gone") {
		t.Errorf("the second run does not say the unit's script is gone")
	}
	// The LSB redirect shim once took initcompat's own unit for a native
	// unit without a script and wrote /etc/init.d/hello (a redirect to
	// systemctl) and S links: the removed service came back, its unit's
	// ExecStart= then ran the redirect, which asks systemctl to start the
	// unit it runs in. The unit's script is gone: a warning says so.
	for _, pl := range []*plan.Plan{again, pruned} {
		if c := touches(pl, "/etc/init.d/hello"); c != nil {
			t.Errorf("after update-rc.d remove and rm of the script, the next build writes %s (%s) for the unit initcompat made from it", c.Path, c.Shim)
		}
	}
}

// mode = "remove" over the applied tree takes out every unit, wants link
// and alias the shim wrote, and leaves the script and rc.local.
func TestNativeUnitRemoveMode(t *testing.T) {
	pol := plan.Policy{Version: planner.TestVersion}
	done, first := advApplied(t, pol)
	rm := initcompat.BuildRemovePlan(done, pol)
	t.Logf("remove plan:\n%s", rm.Text())
	if len(rm.Errors()) > 0 {
		t.Fatalf("remove: %s", rm.Text())
	}
	after := plan.Overlay(done, rm.Changes)
	for _, c := range first.Changes {
		if c.Op != plan.OpMkdir && after.LExists(c.Path) {
			t.Errorf("remove left %s", c.Path)
		}
	}
	for _, p := range []string{"/etc/init.d/hello", "/etc/rc.local", "/etc/rc2.d/S01hello"} {
		if !after.LExists(p) {
			t.Errorf("remove took %s", p)
		}
	}
	// The first build made /usr/local, /usr/local/lib and
	// /usr/local/lib/systemd (forky's base here has no /usr/local): remove
	// keeps them, as the snapshot does not read what else they hold, and
	// says so as an info, not as a conflict telling the user to move away
	// what initcompat itself made.
	dirs := 0
	for _, f := range rm.Findings {
		if strings.Contains(f.Message, "move it away") {
			t.Errorf("remove calls a directory initcompat made a conflict: %s: %s", f.Path, f.Message)
		}
		if f.Level == plan.Info && strings.HasPrefix(f.Path, "/usr/local") && strings.Contains(f.Message, "made on the way") {
			dirs++
		}
	}
	if dirs != 3 {
		t.Errorf("%d infos for the directories made on the way to the alias directory, want 3", dirs)
	}
}
