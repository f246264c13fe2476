package planner_test

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/planner"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree/treetest"
	"github.com/initcompat/packer-plugin-initcompat/provisioner"
)

// A golden case is a txtar archive: a comment saying what it shows; a
// "build.pkr.hcl" member holding the provisioner block as a user writes it
// (decoded by the plugin's own HCL2 spec, Prepare and Policy, as Packer
// does); other files that block names (a CloudFormation template), which
// the build finds in its working directory; a "base" member naming an
// image in testdata/base; the image as "tree/..." members laid over it;
// and the expected "plan" and "out/..." files. A "show" member limits the
// expectation to the shims it lists. Run with -update to rewrite the
// expectations.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join(testdataDir, "*", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, file := range cases {
		if strings.HasPrefix(file, filepath.Join(testdataDir, "base")) {
			continue
		}
		abs, err := filepath.Abs(file)
		if err != nil {
			t.Fatal(err)
		}
		ran++
		t.Run(strings.TrimSuffix(strings.TrimPrefix(file, testdataDir+"/"), ".txtar"), func(t *testing.T) {
			runGolden(t, abs)
		})
	}
	if ran < 50 {
		t.Fatalf("only %d golden cases found", ran)
	}
}

func runGolden(t *testing.T, file string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tr := loadTree(t, filepath.Join(filepath.Dir(file), "..", "base"), member(ar, "base"), ar)
	pol := policyOf(t, ar)
	pl := initcompat.BuildPlan(tr, pol)
	shown := pl
	if show := member(ar, "show"); show != "" {
		shown = onlyShims(pl, strings.Fields(show))
	}

	// Determinism: a second plan of the same input is byte-identical.
	j1, _ := pl.JSON()
	j2, _ := initcompat.BuildPlan(tr, pol).JSON()
	if !bytes.Equal(j1, j2) {
		t.Fatalf("two plans of the same tree differ:\n%s\n---\n%s", j1, j2)
	}

	got := map[string][]byte{"plan": []byte(shown.Text())}
	for _, c := range shown.Changes {
		if c.Op == plan.OpWrite {
			got["out"+c.Path] = c.Content
		}
	}
	if *planner.Update {
		rewrite(t, file, ar, got)
		return
	}
	want := map[string][]byte{}
	for _, f := range ar.Files {
		if expected(f.Name) {
			want[f.Name] = f.Data
		}
	}
	for _, name := range slices.Sorted(maps.Keys(union(got, want))) {
		if !bytes.Equal(got[name], want[name]) {
			t.Errorf("%s differs (run go test -update to accept)\n--- got\n%s\n--- want\n%s", name, got[name], want[name])
		}
	}

	// The units made from Upstart jobs are read again alone; a whole
	// inspection of the image they leave sees the same.
	if d := planner.ReinspectAgrees(tr, pol); d != "" {
		t.Errorf("reinspect and Inspect disagree:\n%s", d)
	}

	// Idempotence: the image with the plan applied plans nothing more.
	if len(pl.Errors()) == 0 {
		again := initcompat.BuildPlan(plan.Overlay(tr, pl.Changes), pol)
		if !again.Empty() {
			t.Errorf("second run on the applied tree plans changes:\n%s", again.Text())
		}
		// The same configuration asks for everything it made: nothing of
		// it is listed as no longer asked for.
		for _, f := range again.Findings {
			if f.Shim == plan.ShimPrune {
				t.Errorf("second run lists what the first made as no longer asked for: %s", f.Message)
			}
		}
		// Prune reads what the stages of the plan itself ask for; the
		// second plan it once made over the image without initcompat's
		// paths agrees, for this configuration and for an empty one.
		done := plan.Overlay(tr, pl.Changes)
		for _, p := range []plan.Policy{pol, {Version: pol.Version, Build: pol.Build, Prune: true}} {
			if d := planner.PruneAgreesWithASecondPlan(done, p); d != "" {
				t.Errorf("prune and the second plan disagree on what is no longer asked for (prune = %v):\n%s", p.Prune, d)
			}
		}
	}
}

// expected says whether a member is an expectation, rewritten by -update.
func expected(name string) bool { return name == "plan" || strings.HasPrefix(name, "out/") }

// input says whether a member is a file the build reads from its working
// directory: not the image, not an expectation, not the runner's own.
func input(name string) bool {
	switch name {
	case "base", "show", "build.pkr.hcl":
		return false
	}
	return !expected(name) && !strings.HasPrefix(name, "tree/")
}

// rewrite keeps the case's inputs and writes got as its expectations.
func rewrite(t *testing.T, file string, ar *txtar.Archive, got map[string][]byte) {
	t.Helper()
	var keep []txtar.File
	for _, f := range ar.Files {
		if !expected(f.Name) {
			keep = append(keep, f)
		}
	}
	keep = append(keep, txtar.File{Name: "plan", Data: got["plan"]})
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if name != "plan" {
			keep = append(keep, txtar.File{Name: name, Data: got[name]})
		}
	}
	ar.Files = keep
	if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
		t.Fatal(err)
	}
}

// policyOf decodes the case's provisioner block as Packer does: the
// block's body against the plugin's HCL2 spec, then Prepare, then the
// Policy the build would plan with, in a working directory holding the
// case's input files. The case's own base and tree are read before, as
// the working directory changes here.
func policyOf(t *testing.T, ar *txtar.Archive) plan.Policy {
	t.Helper()
	dir := t.TempDir()
	for _, f := range ar.Files {
		if input(f.Name) {
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(f.Name)), f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Chdir(dir)
	src := member(ar, "build.pkr.hcl")
	f, diags := hclsyntax.ParseConfig([]byte(src), "build.pkr.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	content, diags := f.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "provisioner", LabelNames: []string{"type"}}}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(content.Blocks) != 1 || content.Blocks[0].Labels[0] != "initcompat" {
		t.Fatalf("build.pkr.hcl: want one provisioner \"initcompat\" block, have %d blocks", len(content.Blocks))
	}
	p := new(provisioner.Provisioner)
	val, diags := hcldec.Decode(content.Blocks[0].Body, p.ConfigSpec(), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if err := p.Prepare(val); err != nil {
		t.Fatalf("build.pkr.hcl: %v", err)
	}
	pol, err := p.Policy(t.Context())
	if err != nil {
		t.Fatalf("build.pkr.hcl: %v", err)
	}
	pol.Version = planner.TestVersion
	return pol
}

// member is the text of the archive member of that name, "" if none.
func member(ar *txtar.Archive, name string) string {
	for _, f := range ar.Files {
		if f.Name == name {
			return strings.TrimSpace(string(f.Data))
		}
	}
	return ""
}

// onlyShims keeps the changes and findings of the named shims, for cases
// that show one shim's work (a "show" member lists them).
func onlyShims(p *plan.Plan, shims []string) *plan.Plan {
	out := *p
	out.Changes, out.Findings = nil, nil
	for _, c := range p.Changes {
		if slices.Contains(shims, string(c.Shim)) {
			out.Changes = append(out.Changes, c)
		}
	}
	for _, f := range p.Findings {
		if slices.Contains(shims, string(f.Shim)) {
			out.Findings = append(out.Findings, f)
		}
	}
	return &out
}

func union(a, b map[string][]byte) map[string][]byte {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

// loadTree lays the case's tree/ members over the base image (a file in
// baseDir); a member named "tree/!PATH" deletes PATH from the base.
func loadTree(t *testing.T, baseDir, base string, ar *txtar.Archive) *tree.Tree {
	t.Helper()
	var members []treetest.Member
	if base != "" {
		bar, err := txtar.ParseFile(filepath.Join(baseDir, base+".txtar"))
		if err != nil {
			t.Fatal(err)
		}
		if members, err = treetest.Parse(bar.Files, ""); err != nil {
			t.Fatal(err)
		}
	}
	own, err := treetest.Parse(ar.Files, "tree/")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range own {
		del := strings.HasPrefix(m.Path, "!")
		p := strings.TrimPrefix(m.Path, "!")
		kept := members[:0]
		for _, b := range members {
			if b.Path != p && !strings.HasPrefix(b.Path, p+"/") {
				kept = append(kept, b)
			}
		}
		members = kept
		if !del {
			members = append(members, m)
		}
	}
	tr, err := treetest.Tree(members)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// testdataDir holds the golden cases, at the library's front door: each is
// a build of the whole flow (the provisioner's Config, inspection, the
// planner, the manifest) over one image.
const testdataDir = "../testdata"
