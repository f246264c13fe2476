package planner

import (
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// pkgTree is an image with packaged services (dpkg owns their units), so
// that only the services a configuration names are in scope.
func pkgTree(t *testing.T, names ...string) *tree.Tree {
	t.Helper()
	tr := tree.New()
	add := func(e tree.Entry) {
		if err := tr.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	add(tree.Entry{Path: "/lib", Kind: tree.Symlink, Target: "usr/lib"})
	add(tree.Entry{Path: "/usr/lib/systemd/systemd", Kind: tree.File, Mode: 0o755, Omitted: true})
	add(tree.Entry{Path: "/usr/sbin/update-rc.d", Kind: tree.File, Mode: 0o755, Omitted: true})
	add(tree.Entry{Path: "/etc/init.d/README", Kind: tree.File, Mode: 0o644, Data: []byte("x")})
	for _, n := range names {
		add(tree.Entry{Path: "/usr/lib/systemd/system/" + n + ".service", Kind: tree.File, Mode: 0o644,
			Data: []byte("[Service]\nExecStart=/usr/sbin/" + n + "\n\n[Install]\nWantedBy=multi-user.target\n")})
		add(tree.Entry{Path: "/var/lib/dpkg/info/" + n + ".list", Kind: tree.File, Mode: 0o644,
			Data: []byte("/lib/systemd/system/" + n + ".service\n")})
	}
	return tr
}

func applied(t *testing.T, tr *tree.Tree, pol plan.Policy) (*tree.Tree, *plan.Plan) {
	t.Helper()
	p := buildPlan(tr, pol)
	if errs := p.Errors(); len(errs) > 0 {
		t.Fatalf("plan errors: %v", errs)
	}
	return plan.Overlay(tr, p.Changes), p
}

func pruneFindings(p *plan.Plan) []plan.Finding {
	var out []plan.Finding
	for _, f := range p.Findings {
		if f.Shim == plan.ShimPrune {
			out = append(out, f)
		}
	}
	return out
}

// Re-run with a shorter configuration: what the first run made for the
// service dropped is listed, with the build that made it, and nothing
// changes; with prune it is removed, manifest entries too, and the next
// run plans nothing and lists nothing.
func TestPruneShorterConfiguration(t *testing.T) {
	tr := pkgTree(t, "mail", "web")
	pol := plan.Policy{Version: testVersion, Build: "app", Services: []string{"mail", "web"}}
	tr, _ = applied(t, tr, pol)
	if _, ok := tr.Lstat("/etc/init.d/web"); !ok {
		t.Fatal("the first run wrote no redirect for web")
	}
	pol.Services = []string{"mail"}
	listed := buildPlan(tr, pol)
	if !listed.Empty() {
		t.Fatalf("without prune the shorter configuration changes the image:\n%s", listed.Text())
	}
	fs := pruneFindings(listed)
	if len(fs) != 1 || fs[0].Service != "web" || !strings.Contains(fs[0].Message, `build "app"`) ||
		!strings.Contains(fs[0].Message, "/etc/init.d/web") || !strings.Contains(fs[0].Message, "prune = true") {
		t.Fatalf("findings listing what is no longer asked for: %+v", fs)
	}

	pol.Prune = true
	pruned, pl := applied(t, tr, pol)
	removed := 0
	for _, c := range pl.Changes {
		switch {
		case c.Path == pol.ManifestFile():
		case c.Path == presetDir+"/"+presetFile && c.Op == plan.OpWrite:
			// web's pin goes with its redirect.
			if strings.Contains(string(c.Content), "web.service") || !strings.Contains(string(c.Content), "mail.service") {
				t.Errorf("prune's preset pins:\n%s", c.Content)
			}
		case c.Op == plan.OpRemove && c.Service == "web" && c.Shim == plan.ShimPrune:
			removed++
		default:
			t.Errorf("prune plans %s %s (%s)", c.Op, c.Path, c.Service)
		}
	}
	if removed != 8 { // the redirect and its seven rc links
		t.Errorf("prune removes %d paths of web, want 8:\n%s", removed, pl.Text())
	}
	for _, p := range []string{"/etc/init.d/web", "/etc/rc2.d/K01web"} {
		if _, ok := pruned.Lstat(p); ok {
			t.Errorf("%s is still there after prune", p)
		}
	}
	if _, ok := pruned.Lstat("/etc/init.d/mail"); !ok {
		t.Error("prune removed the redirect of mail, which the configuration still asks for")
	}
	m, err := plan.ParseManifest(mustData(t, pruned, pol.ManifestFile()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range m.Entries {
		if e.Service == "web" {
			t.Errorf("the manifest still lists %s", e.Path)
		}
		if e.Service == "mail" && e.Build != "app" {
			t.Errorf("%s: build %q recorded, want \"app\"", e.Path, e.Build)
		}
	}
	if again := buildPlan(pruned, pol); !again.Empty() || len(pruneFindings(again)) > 0 {
		t.Errorf("the run after prune plans:\n%s", again.Text())
	}
}

// A base image's shims, made by another build, survive a derived build
// that does not mention them, even with prune; the plan says whose they
// are. A path of this build a person edited since is not listed (it is
// theirs now).
func TestPruneKeepsOtherBuilds(t *testing.T) {
	tr := pkgTree(t, "agent", "app", "tool")
	tr, _ = applied(t, tr, plan.Policy{Version: testVersion, Build: "base", Services: []string{"agent"}})
	derived := plan.Policy{Version: testVersion, Build: "app", Services: []string{"app", "tool"}}
	tr, _ = applied(t, tr, derived)
	if err := tr.Add(tree.Entry{Path: "/etc/init.d/tool", Kind: tree.File, Mode: 0o755, Data: []byte("#!/bin/sh\n# edited\n")}); err != nil {
		t.Fatal(err)
	}
	derived.Services, derived.Prune = nil, true
	p := buildPlan(tr, derived)
	for _, c := range p.Changes {
		if c.Service == "agent" || c.Path == "/etc/init.d/tool" {
			t.Errorf("the derived build's prune touches %s (%s)", c.Path, c.Service)
		}
	}
	after := plan.Overlay(tr, p.Changes)
	if _, ok := after.Lstat("/etc/init.d/agent"); !ok {
		t.Error("the base image's redirect did not survive")
	}
	if _, ok := after.Lstat("/etc/init.d/app"); ok {
		t.Error("the derived build's own redirect of app, no longer asked for, was not pruned")
	}
	var agent, app bool
	for _, f := range pruneFindings(p) {
		agent = agent || (f.Service == "agent" && strings.Contains(f.Message, `build "base", another build`))
		app = app || f.Service == "app"
	}
	if !agent || app {
		t.Errorf("findings: agent listed as the base build's %v, app listed %v (pruned, so not listed):\n%s", agent, app, p.Text())
	}
}

func mustData(t *testing.T, tr *tree.Tree, p string) []byte {
	t.Helper()
	e, ok := tr.Lstat(p)
	if !ok {
		t.Fatalf("%s is missing", p)
	}
	return e.Data
}

// An ordering drop-in the configuration no longer asks for goes with prune,
// and so does the directory initcompat made for it.
func TestPruneOldOrderingDropIn(t *testing.T) {
	tr := pkgTree(t, "web")
	pol := plan.Policy{Version: testVersion, Build: "app",
		Ordering: []plan.OrderingRule{{Unit: "web", After: []string{"network-online.target"}}}}
	tr, _ = applied(t, tr, pol)
	dropIn := "/etc/systemd/system/web.service.d/" + orderingDropIn
	if _, ok := tr.Lstat(dropIn); !ok {
		t.Fatal("the first run wrote no drop-in")
	}
	pol.Ordering, pol.Prune = nil, true
	tr, pl := applied(t, tr, pol)
	for _, p := range []string{dropIn, "/etc/systemd/system/web.service.d"} {
		if _, ok := tr.Lstat(p); ok {
			t.Errorf("%s is still there after prune:\n%s", p, pl.Text())
		}
	}
}

// On Upstart, stop-on and mask share a job's override. On the second run
// the stop-on shim reads the job without initcompat's own override (where
// its "stop on" line is), so it still asks for the line: the override is
// kept whole, not rewritten with the mask's "manual" alone, and prune
// counts both lines as asked for.
func TestOwnOverrideKeepsEveryLine(t *testing.T) {
	tr := tree.New()
	for _, e := range []tree.Entry{
		{Path: "/sbin/init", Kind: tree.File, Mode: 0o755, Omitted: true},
		{Path: "/sbin/initctl", Kind: tree.File, Mode: 0o755, Omitted: true},
		{Path: "/lib/init/upstart-job", Kind: tree.File, Mode: 0o755, Omitted: true},
		{Path: "/etc/init/mongodb.conf", Kind: tree.File, Mode: 0o644, Data: []byte("start on runlevel [2345]\nrespawn\nexec /usr/bin/mongod\n")},
	} {
		if err := tr.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	pol := plan.Policy{Version: testVersion, Build: "app", Services: []string{"mongodb"}, Mask: []string{"mongodb"}}
	done, first := applied(t, tr, pol)
	over := string(mustData(t, done, "/etc/init/mongodb.override"))
	if !strings.Contains(over, "\nstop on runlevel [016]\n") || !strings.Contains(over, "\nmanual\n") {
		t.Fatalf("the first run's override:\n%s\nplan:\n%s", over, first.Text())
	}
	if again := buildPlan(done, pol); !again.Empty() || len(pruneFindings(again)) > 0 {
		t.Fatalf("the second run plans:\n%s", again.Text())
	}
}

// buildPlan is initcompat.BuildPlan, which this package's tests cannot
// import.
func buildPlan(t *tree.Tree, pol plan.Policy) *plan.Plan { return Plan(inspectFor(t, pol), pol) }
