//go:build linux

package verify

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
)

// verifyPlan is a plan as the shims make one: each change carries what
// verify should ask about it (a unit asked about twice is asked once).
func verifyPlan() *plan.Plan {
	dropIn := "/etc/systemd/system/web.service.d/initcompat-ordering.conf"
	loaded := func(u, state string) plan.Expect {
		return plan.Expect{Check: plan.CheckLoaded, Unit: u, Args: []string{u, state}}
	}
	return &plan.Plan{Summary: plan.Summary{Init: "systemd"}, Changes: []plan.Change{
		{Op: plan.OpWrite, Path: "/etc/init.d/hello", Shim: "lsb-redirect", Expect: []plan.Expect{
			loaded("hello.service", "loaded"),
			{Check: plan.CheckLSBStatus, Unit: "hello.service", Args: []string{"hello"}},
			{Check: plan.CheckRCLinks, Unit: "hello.service", Args: []string{"hello"}},
		}},
		{Op: plan.OpSymlink, Path: "/etc/rc2.d/S01hello", Target: "../init.d/hello", Shim: "lsb-redirect"},
		{Op: plan.OpRemove, Path: "/etc/systemd/system/multi-user.target.wants/exim4.service", Shim: "disable", Expect: []plan.Expect{
			loaded("exim4.service", "loaded"),
			{Check: plan.CheckNotEnabled, Unit: "exim4.service", Args: []string{"exim4.service"}},
		}},
		{Op: plan.OpSymlink, Path: "/etc/systemd/system/ntp.service", Target: "/dev/null", Shim: "mask", Expect: []plan.Expect{
			loaded("ntp.service", "masked"),
		}},
		{Op: plan.OpWrite, Path: dropIn, Shim: "ordering",
			Content: []byte("[Unit]\nAfter=cloud-final.service\nWants=cloud-final.service\n"), Expect: []plan.Expect{
				loaded("web.service", "loaded"),
				{Check: plan.CheckDropIn, Unit: "web.service", Args: []string{"web.service", dropIn}},
				{Check: plan.CheckDepends, Unit: "web.service", Args: []string{"web.service", "After", "cloud-final.service"}},
				{Check: plan.CheckDepends, Unit: "web.service", Args: []string{"web.service", "Wants", "cloud-final.service"}},
				loaded("web.service", "loaded"),
			}},
		{Op: plan.OpWrite, Path: "/var/lib/initcompat/manifest.json", Shim: "manifest"},
	}}
}

// Every unit a plan touches gets asked about, each in the words of what
// initcompat meant to make.
func TestVerifyChecksFollowThePlan(t *testing.T) {
	var names []string
	for _, c := range Checks(verifyPlan()) {
		names = append(names, string(c.Level)+" "+c.Name)
	}
	want := []string{
		"error hello.service is loaded",
		"error exim4.service is loaded",
		"error ntp.service is masked",
		"error web.service is loaded",
		"error web.service has the drop-in /etc/systemd/system/web.service.d/initcompat-ordering.conf",
		"error web.service After=cloud-final.service is in effect",
		"error web.service Wants=cloud-final.service is in effect",
		"error exim4.service is not enabled",
		"error /etc/init.d/hello status agrees with systemctl is-active",
		"error the rc links of hello match systemctl is-enabled",
		"error systemd-analyze verify finds nothing new that involves the units initcompat touched",
		"warning systemd-analyze verify finds nothing else new",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("checks:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
}

const analyzeBefore = `graphical.target: Command 'man systemd.special(7)' failed with code 1
`

const analyzeAfter = `graphical.target: Command 'man systemd.special(7)' failed with code 1
rt.service: Found ordering cycle on web.service/start
rt.service: Found dependency on rt.service/start
rt.service: Job web.service/start deleted to break ordering cycle starting with rt.service/start
my-hello.service: Unknown key name 'Foo' in section 'Service', ignoring.
/etc/systemd/system/hello.service.d/x.conf:1: Assignment outside of section. Ignoring.
`

// A new line naming a touched unit is initcompat's, and so is the rest of
// that unit's message (a cycle's three lines); a name that only ends in a
// touched unit's name is not; lines from before are not reported at all.
func TestNewAnalyzeLines(t *testing.T) {
	ours, others := NewAnalyzeLines(verifyPlan(), analyzeBefore, analyzeAfter)
	wantOurs := []string{
		"rt.service: Found ordering cycle on web.service/start",
		"rt.service: Found dependency on rt.service/start",
		"rt.service: Job web.service/start deleted to break ordering cycle starting with rt.service/start",
		"/etc/systemd/system/hello.service.d/x.conf:1: Assignment outside of section. Ignoring.",
	}
	wantOthers := []string{"my-hello.service: Unknown key name 'Foo' in section 'Service', ignoring."}
	if !reflect.DeepEqual(ours, wantOurs) || !reflect.DeepEqual(others, wantOthers) {
		t.Errorf("ours %q\nothers %q", ours, others)
	}
}

// The verify script's awk says the same as NewAnalyzeLines, with the
// awk this machine has (mawk on Debian, gawk elsewhere).
func TestNewlinesAwkAgreesWithGo(t *testing.T) {
	awk, err := exec.LookPath("awk")
	if err != nil {
		t.Skip("no awk here")
	}
	dir := t.TempDir()
	var pats strings.Builder
	for _, u := range units(verifyPlan()) {
		pats.WriteString(unitPattern(u) + "\n")
	}
	for name, content := range map[string]string{"base": analyzeBefore, "units": pats.String(), "after": analyzeAfter} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ours, others := NewAnalyzeLines(verifyPlan(), analyzeBefore, analyzeAfter)
	for want, lines := range map[string][]string{"ours": ours, "others": others} {
		cmd := exec.Command(awk, "-v", "want="+want, "-v", "base="+filepath.Join(dir, "base"), "-v", "units="+filepath.Join(dir, "units"), newlinesAwk, filepath.Join(dir, "after"))
		out, err := cmd.Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("awk %s: %v (it exits 1 when it prints)", want, err)
		}
		if got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); !reflect.DeepEqual(got, lines) {
			t.Errorf("awk %s:\n%q\nGo:\n%q", want, got, lines)
		}
	}
}

func TestParse(t *testing.T) {
	out := "initcompat: committed\n@@check error hello.service is loaded\n| LoadState=loaded\n@@result pass\n" +
		"@@check warning systemd-analyze verify finds nothing else new\n| x: y\n| z\n@@result warn\n" + passedToken + "\n"
	checks, passed, rolledBack := Parse(out)
	want := []Check{
		{Name: "hello.service is loaded", Level: plan.Error, Result: CheckPass, Output: "LoadState=loaded\n"},
		{Name: "systemd-analyze verify finds nothing else new", Level: plan.Warning, Result: CheckWarn, Output: "x: y\nz\n"},
	}
	if !reflect.DeepEqual(checks, want) || !passed || rolledBack {
		t.Errorf("got %+v %v %v", checks, passed, rolledBack)
	}
	if _, passed, rolledBack := Parse("@@check error a\n"); passed || rolledBack {
		t.Error("a cut-short output counted as finished")
	}
}

// The verify script is valid sh, and a plan with no unit to ask about
// still gets one (it finishes the held apply).
func TestVerifyScriptParses(t *testing.T) {
	for _, p := range []*plan.Plan{verifyPlan(), {Summary: plan.Summary{Init: "systemd"}}} {
		script := Script(p)
		cmd := exec.Command("sh", "-n")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sh -n: %v\n%s", err, out)
		}
		if !strings.Contains(script, passedToken) || !strings.Contains(script, rolledBackToken) {
			t.Error("the script does not say how it ended")
		}
	}
}
