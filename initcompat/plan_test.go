package initcompat

import (
	"bytes"
	"flag"

	"os"
	"path/filepath"

	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/cfn"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree/treetest"
)

var update = flag.Bool("update", false, "rewrite the expected plans and files in testdata")

const testVersion = "0.0.0-test"

// A golden case is a txtar archive: a comment saying what it shows, a
// "policy" member (key: value lines: base, services, strict), the image as
// "tree/..." members laid over the base image, and the expected "plan" and
// "out/..." files. Run with -update to rewrite the expectations.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/*/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range cases {
		if strings.HasPrefix(file, filepath.Join("testdata", "base")) {
			continue
		}
		t.Run(strings.TrimSuffix(strings.TrimPrefix(file, "testdata/"), ".txtar"), func(t *testing.T) {
			runGolden(t, file)
		})
	}
}

func runGolden(t *testing.T, file string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pol, base := parsePolicy(t, ar)
	tr := loadTree(t, base, ar)
	plan := BuildPlan(tr, pol)
	shown := plan
	if show := member(ar, "show"); show != "" {
		shown = onlyShims(plan, strings.Fields(show))
	}

	// Determinism: a second plan of the same input is byte-identical.
	j1, _ := plan.JSON()
	j2, _ := BuildPlan(tr, pol).JSON()
	if !bytes.Equal(j1, j2) {
		t.Fatalf("two plans of the same tree differ:\n%s\n---\n%s", j1, j2)
	}

	got := map[string][]byte{"plan": []byte(shown.Text())}
	for _, c := range shown.Changes {
		if c.Op == OpWrite {
			got["out"+c.Path] = c.Content
		}
	}
	if *update {
		var keep []txtar.File
		for _, f := range ar.Files {
			if f.Name != "plan" && !strings.HasPrefix(f.Name, "out/") {
				keep = append(keep, f)
			}
		}
		keep = append(keep, txtar.File{Name: "plan", Data: got["plan"]})
		for _, name := range sortedKeys(got) {
			if name != "plan" {
				keep = append(keep, txtar.File{Name: name, Data: got[name]})
			}
		}
		ar.Files = keep
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := map[string][]byte{}
	for _, f := range ar.Files {
		if f.Name == "plan" || strings.HasPrefix(f.Name, "out/") {
			want[f.Name] = f.Data
		}
	}
	for _, name := range sortedKeys(union(got, want)) {
		if !bytes.Equal(got[name], want[name]) {
			t.Errorf("%s differs (run go test -update to accept)\n--- got\n%s\n--- want\n%s", name, got[name], want[name])
		}
	}

	// Idempotence: the image with the plan applied plans nothing more.
	if len(plan.Errors()) == 0 {
		again := BuildPlan(Overlay(tr, plan.Changes), pol)
		if !again.Empty() {
			t.Errorf("second run on the applied tree plans changes:\n%s", again.Text())
		}
	}
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
func onlyShims(p *Plan, shims []string) *Plan {
	out := *p
	out.Changes, out.Findings = nil, nil
	for _, c := range p.Changes {
		if contains(shims, string(c.Shim)) {
			out.Changes = append(out.Changes, c)
		}
	}
	for _, f := range p.Findings {
		if contains(shims, string(f.Shim)) {
			out.Findings = append(out.Findings, f)
		}
	}
	return &out
}

func union(a, b map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func parsePolicy(t *testing.T, ar *txtar.Archive) (Policy, string) {
	t.Helper()
	pol := Policy{Version: testVersion}
	base := ""
	for _, f := range ar.Files {
		if f.Name != "policy" {
			continue
		}
		// show is a member of its own, read by runGolden.
		for _, line := range strings.Split(string(f.Data), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			switch strings.TrimSpace(k) {
			case "base":
				base = v
			case "services":
				pol.Services = strings.Fields(v)
			case "strict":
				pol.Strict = v == "true"
			case "manifest":
				pol.ManifestPath = v
			case "start_after_user_data":
				pol.StartAfterUserData = strings.Fields(v)
			case "cfn":
				// cfn: name=hello key=sysvinit resource=Web config=run enabled=false running=false
				c := cfn.Service{Source: "template.yaml", Key: "sysvinit", Resource: "WebServer", Config: "config"}
				for _, kv := range strings.Fields(v) {
					k, val, _ := strings.Cut(kv, "=")
					b := val == "true"
					switch k {
					case "name":
						c.Name = val
					case "key":
						c.Key = val
					case "resource":
						c.Resource = val
					case "config":
						c.Config = val
					case "enabled":
						c.Enabled = &b
					case "running":
						c.EnsureRunning = &b
					}
				}
				pol.CfnInit = append(pol.CfnInit, c)
			case "replace_upstart_links":
				pol.ReplaceUpstartLinks = v == "true"
			case "mask":
				pol.Mask = strings.Fields(v)
			case "disable":
				pol.Disable = strings.Fields(v)
			case "ordering":
				// ordering: unit=NAME after=a,b before=c wants=d mounts=/p
				var r OrderingRule
				for _, kv := range strings.Fields(v) {
					k, val, _ := strings.Cut(kv, "=")
					list := strings.Split(val, ",")
					switch k {
					case "unit":
						r.Unit = val
					case "after":
						r.After = list
					case "before":
						r.Before = list
					case "wants":
						r.Wants = list
					case "mounts":
						r.RequiresMountsFor = list
					}
				}
				pol.Ordering = append(pol.Ordering, r)
			default:
				t.Fatalf("policy: unknown key %q", k)
			}
		}
	}
	return pol, base
}

// loadTree lays the case's tree/ members over the base image; a member
// named "tree/!PATH" deletes PATH from the base.
func loadTree(t *testing.T, base string, ar *txtar.Archive) *tree.Tree {
	t.Helper()
	var members []treetest.Member
	if base != "" {
		bar, err := txtar.ParseFile(filepath.Join("testdata", "base", base+".txtar"))
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
