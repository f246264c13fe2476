package initcompat

import (
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// Whatever a unit file or an init script holds, planning never panics and
// never plans a write outside the paths it may touch.
func FuzzPlan(f *testing.F) {
	f.Add("[Unit]\nAfter=network.target\n[Service]\nExecStart=/x\n[Install]\nWantedBy=multi-user.target\n", "#!/bin/sh\n")
	f.Add("[Unit\n", "### BEGIN INIT INFO\n")
	f.Fuzz(func(t *testing.T, unitFile, script string) {
		tr := tree.New()
		_ = tr.Add(tree.Entry{Path: "/usr/lib/systemd/systemd", Kind: tree.File, Mode: 0o755, Omitted: true})
		_ = tr.Add(tree.Entry{Path: "/etc/systemd/system/a.service", Kind: tree.File, Mode: 0o644, Data: []byte(unitFile)})
		_ = tr.Add(tree.Entry{Path: "/etc/systemd/system/multi-user.target.wants/a.service", Kind: tree.Symlink, Target: "/etc/systemd/system/a.service"})
		_ = tr.Add(tree.Entry{Path: "/etc/init.d/b", Kind: tree.File, Mode: 0o755, Data: []byte(script)})
		_ = tr.Add(tree.Entry{Path: "/etc/systemd/system/b.service", Kind: tree.File, Mode: 0o644, Data: []byte(unitFile)})
		p := BuildPlan(tr, plan.Policy{Version: "fuzz", Services: []string{"*"}, Ordering: plan.AfterUserData("a")})
		for _, c := range p.Changes {
			if !tree.IsClean(c.Path) {
				t.Fatalf("unclean path %q", c.Path)
			}
		}
		if _, err := applyScript(p); err != nil {
			t.Fatal(err)
		}
	})
}
