package initcompat

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

func verifyPlan() *Plan {
	dropIn := "/etc/systemd/system/web.service.d/" + OrderingDropIn
	return &Plan{Summary: Summary{Init: string(Systemd)}, dependsOn: map[string][][2]string{
		dropIn: {{"After", "cloud-final.service"}, {"Wants", "cloud-final.service"}},
	}, Changes: []Change{
		{Op: OpWrite, Path: dropIn, Shim: ShimOrdering,
			Content: []byte("[Unit]\nAfter=cloud-final.service\nWants=cloud-final.service\n")},
		{Op: OpWrite, Path: "/etc/init.d/hello", Shim: shimLSB},
		{Op: OpSymlink, Path: "/etc/rc2.d/S01hello", Target: "../init.d/hello", Shim: shimLSB},
		{Op: OpSymlink, Path: "/etc/systemd/system/ntp.service", Target: "/dev/null", Shim: shimMask},
		{Op: OpRemove, Path: "/etc/systemd/system/multi-user.target.wants/exim4.service", Shim: shimDisable},
		{Op: OpWrite, Path: "/var/lib/initcompat/manifest.json", Shim: shimManifest},
	}}
}

// Every unit a plan touches gets asked about, each in the words of what
// initcompat meant to make.
func TestVerifyChecksFollowThePlan(t *testing.T) {
	var names []string
	for _, c := range verifyChecks(verifyPlan()) {
		names = append(names, string(c.Level)+" "+c.Name)
	}
	want := []string{
		"error exim4.service is loaded",
		"error hello.service is loaded",
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
	var units strings.Builder
	for _, u := range touchedBy(verifyPlan()).systemdUnits() {
		units.WriteString(unitPattern(u) + "\n")
	}
	for name, content := range map[string]string{"base": analyzeBefore, "units": units.String(), "after": analyzeAfter} {
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

func TestParseVerify(t *testing.T) {
	out := "initcompat: committed\n@@check error hello.service is loaded\n| LoadState=loaded\n@@result pass\n" +
		"@@check warning systemd-analyze verify finds nothing else new\n| x: y\n| z\n@@result warn\n" + verifyPassed + "\n"
	checks, passed, rolledBack := ParseVerify(out)
	want := []Check{
		{Name: "hello.service is loaded", Level: Error, Result: CheckPass, Output: "LoadState=loaded\n"},
		{Name: "systemd-analyze verify finds nothing else new", Level: Warning, Result: CheckWarn, Output: "x: y\nz\n"},
	}
	if !reflect.DeepEqual(checks, want) || !passed || rolledBack {
		t.Errorf("got %+v %v %v", checks, passed, rolledBack)
	}
	if _, passed, rolledBack := ParseVerify("@@check error a\n"); passed || rolledBack {
		t.Error("a cut-short output counted as finished")
	}
}

// The verify script is valid sh, and a plan with no unit to ask about
// still gets one (it finishes the held apply).
func TestVerifyScriptParses(t *testing.T) {
	for _, p := range []*Plan{verifyPlan(), {Summary: Summary{Init: string(Systemd)}}} {
		script := VerifyScript(p)
		cmd := exec.Command("sh", "-n")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sh -n: %v\n%s", err, out)
		}
		if !strings.Contains(script, verifyPassed) || !strings.Contains(script, verifyRolledBack) {
			t.Error("the script does not say how it ended")
		}
	}
}

// Verify asks systemctl show about the settings the ordering shim decided,
// carried in the plan as values: they are what the drop-in's own bytes
// say, as systemd's unit parser reads them (a cycle break included).
func TestVerifyAsksWhatTheDropInsSay(t *testing.T) {
	tr := bigTree(t, 2)
	unitFile := func(p, body string) {
		if err := tr.Add(tree.Entry{Path: p, Kind: tree.File, Mode: 0o644, Data: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	// Debian's cloud-final.service runs after multi-user.target: a service
	// started after it, and wanted by multi-user.target, closes a cycle.
	unitFile("/usr/lib/systemd/system/cloud-final.service", "[Unit]\nAfter=multi-user.target network-online.target\n\n[Service]\nType=oneshot\nExecStart=/usr/bin/cloud-init modules --mode=final\n")
	unitFile("/usr/lib/systemd/system/multi-user.target", "[Unit]\nRequires=basic.target\nAfter=basic.target\n")
	unitFile("/usr/lib/systemd/system/default.target", "[Unit]\nRequires=multi-user.target\nAfter=multi-user.target\n")
	pol := Policy{Version: testVersion, StartAfterUserData: []string{"svc00000"}, Ordering: []OrderingRule{
		{Unit: "svc00001", Before: []string{"cloud-final.service"}, Wants: []string{"cloud-final.service"}, RequiresMountsFor: []string{"/srv/data"}},
	}}
	p := BuildPlan(tr, pol)
	if errs := p.Errors(); len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	dropIns, breaks := 0, 0
	for _, c := range p.Changes {
		if c.Shim != ShimOrdering || c.Op != OpWrite {
			continue
		}
		dropIns++
		opts, err := systemd.Parse(c.Path, c.Content)
		if err != nil {
			t.Fatal(err)
		}
		var read [][2]string
		for _, o := range opts {
			for _, v := range strings.Fields(o.Value) {
				read = append(read, [2]string{o.Name, v})
			}
		}
		if got := p.dependsOn[c.Path]; !reflect.DeepEqual(got, read) {
			t.Errorf("%s: verify would ask about %v; the drop-in says %v", c.Path, got, read)
		}
		for _, kv := range read {
			if kv == [2]string{"After", "multi-user.target"} {
				breaks++
			}
		}
	}
	if dropIns != 2 || breaks != 1 {
		t.Fatalf("%d drop-ins, %d cycle breaks; want 2 and 1:\n%s", dropIns, breaks, p.Text())
	}
}
