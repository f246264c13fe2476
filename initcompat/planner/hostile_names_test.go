package planner_test

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
)

// The planner refuses a hostile unit name itself, before it reaches a
// path, whatever Prepare let through: provisioner/validate.go refuses
// these names first (issue 36), so a golden case, whose policy comes
// through Prepare, can no longer carry them; the policy is built here
// directly, as a caller of the library would.
func TestHostileNamesNeverReachAPath(t *testing.T) {
	tr := loadTree(t, filepath.Join(testdataDir, "base"), "bookworm-cloud", &txtar.Archive{})
	hostile := "../../etc/passwd"
	pl := initcompat.BuildPlan(tr, plan.Policy{
		Version: "test",
		Mask:    []string{hostile},
		Disable: []string{hostile},
		Ordering: []plan.OrderingRule{{Source: plan.SourceStartAfterUserData, Unit: hostile, After: []string{"cloud-final.service"}},
			{Source: plan.SourceOrdering, Unit: "postfix", After: []string{"db.service\n[Service]\nExecStartPre=/bin/sh"}, RequiresMountsFor: []string{"srv"}}},
	})
	for _, c := range pl.Changes {
		if strings.Contains(c.Path, "passwd") || strings.Contains(c.Path, "..") {
			t.Errorf("a hostile name reached a path: %s %s", c.Op, c.Path)
		}
	}
	var text strings.Builder
	for _, f := range pl.Errors() {
		text.WriteString(f.Message + "\n")
	}
	for _, want := range []string{
		`mask: "../../etc/passwd.service" is not a unit name`,
		`disable: "../../etc/passwd.service" is not a unit name`,
		`"../../etc/passwd.service" is not a unit name`,
		`"db.service\n[Service]\nExecStartPre=/bin/sh" is not a unit name`,
		`requires_mounts_for "srv" is not an absolute`,
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("no error %q among:\n%s", want, text.String())
		}
	}
}
