//go:build linux

package initcompat

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/planner"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The embedded scripts and the scripts rendered from them parse as POSIX
// sh by mvdan.cc/sh (a second parser beside dash's), and the rendered
// apply of a plan with every kind of step passes shellcheck when it is
// installed (make lint checks the .sh files themselves).
func TestEmbeddedScriptsParse(t *testing.T) {
	p := BuildPlan(bigTree(t, 3), plan.Policy{Version: "golden"})
	p.Gzip = "/usr/bin/gzip"
	apply, err := applyScript(p)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("protocol/scripts/*.sh")
	if len(files) != 3 {
		t.Fatalf("scripts/: %v", files)
	}
	scripts := map[string]string{
		"rendered apply":    apply,
		"rendered recovery": protocol.RecoveryScript(planner.Places()),
		"rendered snapshot": tree.SnapshotScript(Watches(plan.Policy{})),
	}
	for _, f := range append(files, "tree/snapshot.sh") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		scripts[f] = string(data)
	}
	parser := syntax.NewParser(syntax.Variant(syntax.LangPOSIX))
	for name, s := range scripts {
		if _, err := parser.Parse(strings.NewReader(s), name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Log("no shellcheck here: the rendered scripts are not linted")
		return
	}
	for _, name := range []string{"rendered apply", "rendered recovery", "rendered snapshot"} {
		cmd := exec.Command("shellcheck", "-s", "sh", "-")
		cmd.Stdin = strings.NewReader(scripts[name])
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("shellcheck on the %s script: %v\n%s", name, err, out.String())
		}
	}
}
