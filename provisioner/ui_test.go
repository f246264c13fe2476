package provisioner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// screen is what a build log must fit in: a terminal of 24 lines, less
// Packer's own lines around a provisioner.
const screen = 20

// A build over 300 units with services = ["*"], mixing enabled, static
// and template units (findings of several shims), fits a screen, shows no
// change or finding line by line, and still names where the details are.
func TestWildcardBuildFitsAScreen(t *testing.T) {
	dir := helloImage(t)
	unit := map[int]string{
		0: "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n", // enabled below
		1: "[Service]\nExecStart=/bin/true\n",                                        // static: a finding
		2: "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n", // not enabled
	}
	wants := filepath.Join(dir, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		name := fmt.Sprintf("svc%03d.service", i)
		if i%50 == 49 {
			name = fmt.Sprintf("tmpl%03d@.service", i) // a template: a finding
		}
		if err := os.WriteFile(filepath.Join(dir, "etc/systemd/system", name), []byte(unit[i%3]), 0o644); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 && !strings.Contains(name, "@") {
			if err := os.Symlink("../"+name, filepath.Join(wants, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	report := filepath.Join(t.TempDir(), "report.json")
	p := new(Provisioner)
	if err := p.Prepare(map[string]interface{}{"root_dir": dir, "services": []string{"*"}, "report_file": report, "verify": false}); err != nil {
		t.Fatal(err)
	}
	ui := newRecordUI(t)
	if err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"}); err != nil {
		t.Fatal(err)
	}
	out := strings.TrimRight(ui.String(), "\n")
	lines := strings.Split(out, "\n")
	if len(lines) > screen {
		t.Fatalf("%d lines, more than a screen (%d):\n%s", len(lines), screen, out)
	}
	for _, l := range lines {
		if len(l) > 200 {
			t.Errorf("a line of %d characters: %s", len(l), l)
		}
	}
	if strings.Contains(out, "symlink /etc/rc") || strings.Contains(out, "svc150") {
		t.Errorf("changes or services shown one by one:\n%s", out)
	}
	for _, want := range []string{"lsb-redirect for ", "findings of [lsb-redirect]", "applied "} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q:\n%s", want, out)
		}
	}
	if data, err := os.ReadFile(report); err != nil || !strings.Contains(string(data), `"/etc/init.d/svc150"`) {
		t.Errorf("the report does not hold every change: %v", err)
	}
	t.Logf("%d lines:\n%s", len(lines), out)
}
