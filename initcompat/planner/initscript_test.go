package planner

import (
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree/treetest"
)

// sysvTree is the bookworm-sysvinit base with the golden case's tree.
func sysvTree(t *testing.T, caseFile string) *tree.Tree {
	t.Helper()
	var members []treetest.Member
	for _, f := range []struct{ file, prefix string }{{"../testdata/base/bookworm-sysvinit.txtar", ""}, {caseFile, "tree/"}} {
		ar, err := txtar.ParseFile(f.file)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := treetest.Parse(ar.Files, f.prefix)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, ms...)
	}
	tr, err := treetest.Tree(members)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// mode = "remove" after the init-script shim: the scripts and links go,
// and insserv's boot order files are what they were, byte for byte. With
// a boot order file insserv wrote again since, it is left, with a warning.
func TestRemoveRegeneratesBootOrder(t *testing.T) {
	before := sysvTree(t, "../testdata/sysv/hello.txtar")
	pol := plan.Policy{Version: "0.0.0-test"}
	done, pl := applied(t, before, pol)
	if len(pl.Changes) == 0 {
		t.Fatal("the shim planned nothing")
	}
	rm := RemovePlan(inspectFor(done, pol), pol)
	if len(rm.Errors()) > 0 {
		t.Fatalf("remove: %s", rm.Text())
	}
	after := plan.Overlay(done, rm.Changes)
	for _, p := range []string{"/etc/init.d/.depend.boot", "/etc/init.d/.depend.start", "/etc/init.d/.depend.stop"} {
		b, _ := before.ReadFile(p)
		a, _ := after.ReadFile(p)
		if string(a) != string(b) {
			t.Errorf("%s after remove:\n%s\nbefore:\n%s", p, a, b)
		}
	}
	if after.LExists("/etc/init.d/hello") || after.LExists("/etc/rc2.d/S01hello") {
		t.Errorf("remove left the script or its links:\n%s", rm.Text())
	}
	// A person's edit since: the file is neither initcompat's nor insserv's.
	e, _ := done.Lstat("/etc/init.d/.depend.start")
	rewritten := *e
	rewritten.Data = append([]byte(nil), e.Data...)
	rewritten.Data = append(rewritten.Data, "hello: rmnologin\n"...)
	again := done.Clone()
	again.Remove(e.Path)
	if err := again.Add(rewritten); err != nil {
		t.Fatal(err)
	}
	rm = RemovePlan(inspectFor(again, pol), pol)
	for _, c := range rm.Changes {
		if c.Path == e.Path {
			t.Errorf("remove rewrote a boot order file insserv wrote since: %s", c.Reason)
		}
	}
	if !containsFinding(rm, "changed since") {
		t.Errorf("no warning about the rewritten file:\n%s", rm.Text())
	}
	// insserv ran since (its own order of words): still insserv's state,
	// so initcompat's scripts are taken out of it all the same.
	reordered := *e
	reordered.Data = []byte(strings.Replace(string(e.Data), "killprocs bootlogs", "bootlogs killprocs", 1))
	if string(reordered.Data) == string(e.Data) {
		t.Fatalf("the case's .depend.start changed: %s", e.Data)
	}
	byInsserv := done.Clone()
	byInsserv.Remove(e.Path)
	if err := byInsserv.Add(reordered); err != nil {
		t.Fatal(err)
	}
	rm = RemovePlan(inspectFor(byInsserv, pol), pol)
	for _, c := range rm.Changes {
		// The apply checks each path against its prior before writing.
		if cur, ok := byInsserv.Lstat(c.Path); ok && cur.Kind == tree.File && c.Prior.SHA256 != plan.Sum(cur.Data) {
			t.Errorf("%s: the change's prior is not the file in the image", c.Path)
		}
	}
	after = plan.Overlay(byInsserv, rm.Changes)
	if got, _ := after.ReadFile(e.Path); strings.Contains(string(got), "hello") {
		t.Errorf("remove left hello in a file insserv rewrote:\n%s\n%s", got, rm.Text())
	}
}

func containsFinding(p *plan.Plan, s string) bool {
	for _, f := range p.Findings {
		if strings.Contains(f.Message, s) {
			return true
		}
	}
	return false
}
