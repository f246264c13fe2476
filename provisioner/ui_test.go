//go:build linux

package provisioner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// screen is what a build log must fit in: a terminal of 24 lines, less
// Packer's own lines around a provisioner.
const screen = 20

// packerShows is the build log as Packer prints it: the provisioner's UI
// lines, then its error twice ("Build 'NAME' errored after ...: ERR" and,
// in the summary, "--> NAME: ERR").
func packerShows(ui string, err error) string {
	out := strings.TrimRight(ui, "\n")
	if err != nil {
		out += "\n" + err.Error() + "\n" + err.Error()
	}
	return out
}

// fitsAScreen fails the test when what Packer shows of a run is more than
// a screen, has a line no terminal shows whole, or a UI line with an
// "initcompat:" prefix on top of Packer's "==> NAME:".
func fitsAScreen(t *testing.T, what, ui string, err error) {
	t.Helper()
	out := packerShows(ui, err)
	lines := strings.Split(out, "\n")
	if len(lines) > screen {
		t.Errorf("%s: %d lines, more than a screen (%d):\n%s", what, len(lines), screen, out)
	}
	for _, l := range lines {
		if len(l) > 200 {
			t.Errorf("%s: a line of %d characters: %s", what, len(l), l)
		}
	}
	for _, l := range strings.Split(strings.TrimRight(ui, "\n"), "\n") {
		if strings.HasPrefix(strings.TrimPrefix(l, "ERROR "), "initcompat:") {
			t.Errorf("%s: a UI line with its own prefix: %s", what, l)
		}
	}
}

// image300 is the hello image with 300 more units under /etc/systemd/system
// (every third enabled, every third static, every 50th a template), so
// that services = ["*"] touches about 200 services and finds about 100
// things to say, of two shims' kinds.
func image300(t *testing.T) string {
	t.Helper()
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
	return dir
}

// run provisions dir with cfg (root_dir added) and returns the UI's lines.
func run(t *testing.T, dir string, cfg map[string]interface{}) (string, error) {
	t.Helper()
	cfg["root_dir"] = dir
	p := new(Provisioner)
	if err := p.Prepare(cfg); err != nil {
		t.Fatal(err)
	}
	ui := newRecordUI(t)
	err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"})
	return ui.String(), err
}

// A build over 300 units with services = ["*"] fits a screen in every
// mode and on every run: the plan before the apply, the apply (verified
// offline when this host has systemd-analyze), the runs with nothing left
// to do (mode = "plan" once listed all 295 names in scope and each of the
// 104 findings there), and check. No change or finding is shown one by
// one; the report holds every change.
func TestWildcardBuildFitsAScreen(t *testing.T) {
	dir := image300(t)
	report := filepath.Join(t.TempDir(), "report.json")
	for i, mode := range []string{"plan", "apply", "apply", "plan", "check"} {
		what := fmt.Sprintf("run %d, mode %s", i+1, mode)
		out, err := run(t, dir, map[string]interface{}{"services": []string{"*"}, "report_file": report, "mode": mode})
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
		fitsAScreen(t, what, out, err)
		t.Logf("%s: %d lines", what, strings.Count(out, "\n"))
		// Debian's /etc/init.d/README (0644) is no service: nothing runs it.
		if strings.Contains(out, "README") {
			t.Errorf("%s: /etc/init.d/README counted as a service:\n%s", what, out)
		}
		if strings.Contains(out, "symlink /etc/rc") || strings.Contains(out, "svc150") {
			t.Errorf("%s: changes or services shown one by one:\n%s", what, out)
		}
		if !strings.Contains(out, "295 services (hello svc000 svc001 ... svc298)") || !strings.Contains(out, "104 findings of [lsb-redirect]") {
			t.Errorf("%s: the scope or the findings not counted:\n%s", what, out)
		}
		if i == 0 {
			if data, err := os.ReadFile(report); err != nil || !strings.Contains(string(data), `"/etc/init.d/svc150"`) {
				t.Errorf("the report does not hold every change: %v", err)
			}
		}
		if i == 1 && !strings.Contains(out, "lsb-redirect for 197 services") {
			t.Errorf("the apply does not say what it does by shim:\n%s", out)
		}
	}
}

// The plan, in mode = "plan" as in apply, says a reason once at most (it
// once said the same on each of a service's seven rc links); each change
// and its reason is in the report.
func TestPlanSaysEachReasonOnce(t *testing.T) {
	for _, mode := range []string{"plan", "apply"} {
		dir := helloImage(t)
		report := filepath.Join(t.TempDir(), "report.json")
		out, err := run(t, dir, map[string]interface{}{"mode": mode, "report_file": report, "verify": false})
		if err != nil {
			t.Fatalf("mode %s: %v\n%s", mode, err, out)
		}
		fitsAScreen(t, "mode "+mode, out, err)
		var doc struct {
			Plan struct {
				Changes []struct{ Path, Reason string }
			}
		}
		data, err := os.ReadFile(report)
		if err != nil || json.Unmarshal(data, &doc) != nil || len(doc.Plan.Changes) < 7 {
			t.Fatalf("mode %s: the report: %v\n%s", mode, err, data)
		}
		for _, c := range doc.Plan.Changes {
			if n := strings.Count(out, c.Reason); n > 1 {
				t.Errorf("mode %s: %q said %d times:\n%s", mode, c.Reason, n, out)
			}
		}
		if !strings.Contains(out, "hello: lsb-redirect: write /etc/init.d/hello (1 file, 7 links") {
			t.Errorf("mode %s: no line for hello's redirect:\n%s", mode, out)
		}
	}
}

// A plan with errors writes nothing, so none of its changes is shown, and
// each error is said once: in the UI, not again in the build's error,
// which Packer prints twice. The report still holds what was planned.
func TestPlanErrorsSaidOnce(t *testing.T) {
	dir := helloImage(t)
	before := fingerprint(t, dir)
	report := filepath.Join(t.TempDir(), "report.json")
	out, err := run(t, dir, map[string]interface{}{"services": []string{"hello", "nosuch", "nope"}, "report_file": report})
	if err == nil {
		t.Fatalf("a build naming missing services passed:\n%s", out)
	}
	fitsAScreen(t, "two missing services", out, err)
	shown := packerShows(out, err)
	for _, name := range []string{"nosuch", "nope"} {
		msg := fmt.Sprintf("service %q is not in the image", name)
		if n := strings.Count(shown, msg); n != 1 {
			t.Errorf("%q said %d times:\n%s", msg, n, shown)
		}
	}
	if strings.Contains(out, "lsb-redirect: write") || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), "the image was not changed: 2 errors, listed above") {
		t.Errorf("the unwritten plan shown, or the error not one line:\n%s", shown)
	}
	if data, rerr := os.ReadFile(report); rerr != nil || !strings.Contains(string(data), `"path": "/etc/init.d/hello"`) {
		t.Errorf("the report lacks the plan: %v", rerr)
	}
	if fingerprint(t, dir) != before {
		t.Fatal("the failed build changed the image")
	}
}
