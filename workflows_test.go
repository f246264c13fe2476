package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The workflows a release needs: CI, the generated docs, the signed
// release, and the notice HashiCorp's integrations site waits for.
var requiredWorkflows = []string{"test.yml", "docs.yml", "release.yml", "notify-integration-release-via-tag.yaml"}

var (
	pinnedUse = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	tagNote   = regexp.MustCompile(`^# v[0-9]+\.[0-9]+\.[0-9]+$`)
	commitRef = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// unpinned lists every step of a workflow that runs third-party code not
// fixed by a commit: a `uses:` on a tag or branch (or a SHA without the
// tag it stands for in a comment), or a checkout of another repository
// without a commit ref (what a local `uses: ./dir` then runs).
func unpinned(t *testing.T, name string, data []byte) []string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var bad []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			bad = append(bad, checkStep(name, n)...)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	return bad
}

func checkStep(name string, step *yaml.Node) []string {
	var bad []string
	for i := 0; i+1 < len(step.Content); i += 2 {
		k, v := step.Content[i], step.Content[i+1]
		if k.Value != "uses" {
			continue
		}
		switch {
		case strings.HasPrefix(v.Value, "./"):
		case !pinnedUse.MatchString(v.Value):
			bad = append(bad, name+": "+v.Value+" is not pinned by a commit SHA")
		case !tagNote.MatchString(v.LineComment):
			bad = append(bad, name+": "+v.Value+" has no `# vX.Y.Z` comment naming its tag")
		}
		if strings.HasPrefix(v.Value, "actions/checkout@") {
			if repo := mapValue(mapNode(step, "with"), "repository"); repo != "" && !commitRef.MatchString(mapValue(mapNode(step, "with"), "ref")) {
				bad = append(bad, name+": the checkout of "+repo+" has no commit ref")
			}
		}
	}
	return bad
}

func mapNode(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func mapValue(m *yaml.Node, key string) string {
	if n := mapNode(m, key); n != nil {
		return n.Value
	}
	return ""
}

func TestWorkflowsPinnedAndComplete(t *testing.T) {
	dir := filepath.Join(".github", "workflows")
	for _, name := range requiredWorkflows {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("workflow %s is missing: %v", name, err)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.y*ml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows under %s (%v)", dir, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range unpinned(t, filepath.Base(f), data) {
			t.Error(b)
		}
	}
	notify, err := os.ReadFile(filepath.Join(dir, "notify-integration-release-via-tag.yaml"))
	if err == nil {
		meta, err := os.ReadFile(filepath.Join(".web-docs", "metadata.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		id := regexp.MustCompile(`identifier\s*=\s*"([^"]+)"`).FindSubmatch(meta)
		if id == nil || !strings.Contains(string(notify), "integration_identifier: "+string(id[1])) {
			t.Errorf("the notify workflow does not name the integration identifier of .web-docs/metadata.hcl")
		}
		if !strings.Contains(string(notify), "tags:") {
			t.Errorf("the notify workflow does not run on a tag")
		}
	}
}

// The checker itself: each kind of unpinned step is caught.
func TestUnpinnedCaught(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"steps:\n  - uses: actions/checkout@v5\n", "not pinned"},
		{"steps:\n  - uses: actions/setup-go@main\n", "not pinned"},
		{"steps:\n  - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8\n", "comment"},
		{"steps:\n  - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0\n    with:\n      repository: hashicorp/integration-release-action\n", "no commit ref"},
		{"steps:\n  - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0\n", ""},
		{"steps:\n  - uses: ./integration-release-action\n", ""},
	} {
		bad := unpinned(t, "case", []byte(c.yaml))
		switch {
		case c.want == "" && len(bad) > 0:
			t.Errorf("%q: flagged %v", c.yaml, bad)
		case c.want != "" && (len(bad) != 1 || !strings.Contains(bad[0], c.want)):
			t.Errorf("%q: got %v, want one finding about %q", c.yaml, bad, c.want)
		}
	}
}
