package planner

import (
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// A named unit systemd itself would refuse to load (a line past
// LONG_LINE_MAX, 1 MiB) is said as it is, not as a service the image
// lacks (issue 33).
func TestNamedUnitSystemdRefuses(t *testing.T) {
	tr := pkgTree(t)
	body := "[Service]\nEnvironment=X=" + strings.Repeat("x", 1<<20) + "\nExecStart=/bin/true\n"
	if err := tr.Add(tree.Entry{Path: "/etc/systemd/system/big.service", Kind: tree.File, Mode: 0o644, Data: []byte(body)}); err != nil {
		t.Fatal(err)
	}
	p := buildPlan(tr, plan.Policy{Version: testVersion, Services: []string{"big"}})
	errs := p.Errors()
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "big.service is in the image but cannot be read") || strings.Contains(errs[0].Message, "not in the image") {
		t.Fatalf("errors: %+v", errs)
	}
}
