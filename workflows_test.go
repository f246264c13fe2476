package main

import (
	"go/build"
	"io/fs"
	"os"
	"path"
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

// The unit tests run on Linux, macOS and Windows (the OSes Packer and the
// plugin are released for), as hashicorp/packer-plugin-amazon's and
// packer-plugin-ansible's do: test.yml has a job whose matrix names the
// three runners, runs on the matrix's OS, sets Go up from go.mod and runs
// go test.
func TestUnitTestsOnEveryOS(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(".github", "workflows", "test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			RunsOn   string `yaml:"runs-on"`
			Strategy struct {
				Matrix struct {
					OS []string `yaml:"os"`
				} `yaml:"matrix"`
			} `yaml:"strategy"`
			Steps []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
				Run  string            `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	found := false
	for name, job := range wf.Jobs {
		oses := strings.Join(job.Strategy.Matrix.OS, " ")
		if !strings.Contains(oses, "ubuntu-") || !strings.Contains(oses, "macos-") || !strings.Contains(oses, "windows-") {
			continue
		}
		found = true
		if job.RunsOn != "${{ matrix.os }}" {
			t.Errorf("job %s: runs-on %q, not the matrix's OS", name, job.RunsOn)
		}
		goFromMod, tests := false, false
		for _, s := range job.Steps {
			goFromMod = goFromMod || (strings.HasPrefix(s.Uses, "actions/setup-go@") && s.With["go-version-file"] == "go.mod")
			tests = tests || strings.Contains(s.Run, "go test")
		}
		if !goFromMod || !tests {
			t.Errorf("job %s: setup-go from go.mod %v, go test %v", name, goFromMod, tests)
		}
	}
	if !found {
		t.Error("test.yml has no job whose matrix runs on ubuntu, macos and windows")
	}
}

// runsHostPrograms is how a test plays the image's userland with this
// host's: a shell, the shell runner's stand-in communicator, a host tool.
var runsHostPrograms = regexp.MustCompile(`exec\.Command\(|exec\.LookPath\(|shellComm\{|shellcomm\.Comm\{`)

// On macOS and Windows the unit tests leave out, by build tags, every test
// file that runs this host's programs as the image's (not by letting
// them fail or skip there), and every package still builds its tests.
func TestLinuxOnlyTestsTagged(t *testing.T) {
	for _, goos := range []string{"darwin", "windows"} {
		ctx := build.Default
		ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = goos, "amd64", false
		err := filepath.WalkDir(".", func(dir string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			switch dir {
			case "e2e", "third_party", "tools", ".git", "bin":
				return filepath.SkipDir
			}
			pkg, err := ctx.ImportDir(dir, 0)
			if err != nil {
				return nil // no Go files for goos here
			}
			for _, f := range append(pkg.TestGoFiles, pkg.XTestGoFiles...) {
				p := filepath.ToSlash(filepath.Join(dir, f))
				src, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					return err
				}
				if hit := runsHostPrograms.Find(src); hit != nil {
					t.Errorf("%s: %s builds for %s and runs this host's programs (%s): give it //go:build linux", goos, p, goos, hit)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// The Go version is go.mod's everywhere a person or a machine reads it:
// the GNUmakefile, CI, the workflows, GoReleaser, the README and the docs.
func TestGoVersionIsGoMods(t *testing.T) {
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go ([0-9.]+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	v := string(m[1])
	for file, want := range map[string]string{
		"GNUmakefile":                   "GOTOOLCHAIN := go" + v,
		".ci/run":                       "GOTOOLCHAIN=go" + v,
		".goreleaser.yml":               "GOTOOLCHAIN=go" + v,
		".github/workflows/test.yml":    "GOTOOLCHAIN: go" + v,
		".github/workflows/docs.yml":    "GOTOOLCHAIN: go" + v,
		".github/workflows/release.yml": "GOTOOLCHAIN: go" + v,
		"README.md":                     "export GOTOOLCHAIN=go" + v,
		"docs/README.md":                "You need Go\n" + v,
		".web-docs/README.md":           "You need Go\n" + v,
	} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Error(err)
			continue
		}
		if !strings.Contains(string(data), want) {
			t.Errorf("%s does not say %q (go.mod: go %s)", file, want, v)
		}
		for _, other := range regexp.MustCompile(`(?i)go ?1\.[0-9]+(\.[0-9]+)?\b`).FindAllString(string(data), -1) {
			if n := strings.TrimPrefix(strings.ToLower(strings.ReplaceAll(other, " ", "")), "go"); n != v && file != "README.md" {
				t.Errorf("%s names Go %s, go.mod %s", file, n, v)
			}
		}
	}
}

// Dependabot watches every Go module of the repository and the pinned
// actions, and leaves alone what is carried or replaced on purpose.
func TestDependabotCoversEveryModule(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(".github", "dependabot.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Updates []struct {
			Ecosystem   string   `yaml:"package-ecosystem"`
			Directory   string   `yaml:"directory"`
			Directories []string `yaml:"directories"`
			Ignore      []struct {
				Name string `yaml:"dependency-name"`
			} `yaml:"ignore"`
		} `yaml:"updates"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	var gomod []string
	actions, sdkIgnored := false, false
	for _, u := range cfg.Updates {
		switch u.Ecosystem {
		case "gomod":
			gomod = append(append(gomod, u.Directories...), u.Directory)
			for _, i := range u.Ignore {
				sdkIgnored = sdkIgnored || i.Name == "github.com/hashicorp/packer-plugin-sdk"
			}
		case "github-actions":
			actions = true
		}
	}
	if !actions || !sdkIgnored {
		t.Errorf("github-actions watched %v; the carried packer-plugin-sdk ignored %v", actions, sdkIgnored)
	}
	mods, _ := filepath.Glob("go.mod")
	for _, pattern := range []string{"*/go.mod", "*/*/go.mod"} {
		more, _ := filepath.Glob(pattern)
		mods = append(mods, more...)
	}
	for _, m := range mods {
		dir := "/" + filepath.ToSlash(filepath.Dir(m))
		if dir == "/." {
			dir = "/"
		}
		if strings.HasPrefix(dir, "/third_party") {
			continue
		}
		covered := false
		for _, g := range gomod {
			if ok, _ := path.Match(g, dir); ok {
				covered = true
			}
		}
		if !covered {
			t.Errorf("dependabot does not watch the module at %s", dir)
		}
	}
	if len(mods) < 8 {
		t.Errorf("found only %d go.mod files: %v", len(mods), mods)
	}
}

// What a maintainer looks for first: owners and issue forms that parse.
func TestRepositoryFiles(t *testing.T) {
	owners, err := os.ReadFile(filepath.Join(".github", "CODEOWNERS"))
	if err != nil || !regexp.MustCompile(`(?m)^\*\s+@\S+`).Match(owners) {
		t.Errorf("CODEOWNERS has no owner for every path: %v", err)
	}
	for _, f := range []string{"bug_report.yml", "feature_request.yml"} {
		data, err := os.ReadFile(filepath.Join(".github", "ISSUE_TEMPLATE", f))
		if err != nil {
			t.Error(err)
			continue
		}
		var form struct {
			Name, Description string
			Body              []struct {
				Type       string
				Validation map[string]bool `yaml:"validations"`
			}
		}
		if err := yaml.Unmarshal(data, &form); err != nil || form.Name == "" || form.Description == "" || len(form.Body) == 0 {
			t.Errorf("%s: not an issue form (%v): %+v", f, err, form)
		}
	}
}
