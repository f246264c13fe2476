package initcompat

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The embedded scripts and the scripts rendered from them parse as POSIX
// sh by mvdan.cc/sh (a second parser beside dash's), and the rendered
// apply of a plan with every kind of step passes shellcheck when it is
// installed (make lint checks the .sh files themselves).
func TestEmbeddedScriptsParse(t *testing.T) {
	p := BuildPlan(bigTree(t, 3), Policy{Version: "golden"})
	p.Gzip = "/usr/bin/gzip"
	apply, err := applyScript(p)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("scripts/*.sh")
	if len(files) != 3 {
		t.Fatalf("scripts/: %v", files)
	}
	scripts := map[string]string{
		"rendered apply":    apply,
		"rendered recovery": RecoveryScript(),
		"rendered snapshot": tree.SnapshotScript(tree.DefaultWatches),
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

// The paths and words the shell spells out are the Go constants.
func TestEmbeddedScriptsAgreeWithGo(t *testing.T) {
	for _, want := range []string{
		`J="$R` + JournalPath + `"`, `L="$R` + LockPath + `"`, `B="$R` + BaselinePath + `"`,
		"/" + stageDir + "/", "/" + asideDir + "/", `echo "` + RecoveredPrefix,
	} {
		if !strings.Contains(shellLib, want) {
			t.Errorf("lib.sh lacks %q", want)
		}
	}
	if !strings.Contains(applySh, endToken) {
		t.Errorf("apply.sh does not check the end token %q", endToken)
	}
	if !strings.Contains(tree.SnapshotScript(nil), "-C \"$tmp\" "+tree.StatFile) {
		t.Errorf("snapshot.sh does not archive %s", tree.StatFile)
	}
}

// dataOf splits an apply script's data into its chunks, by file.
func dataOf(t *testing.T, script string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	rest := script
	for {
		i := strings.Index(rest, "\nput ")
		if i < 0 {
			return out
		}
		rest = rest[i+len("\nput "):]
		file, body, ok := strings.Cut(rest, " <<'"+dataEnd+"'\n")
		end := strings.Index(body, "\n"+dataEnd+"\n")
		if !ok || end < 0 {
			t.Fatalf("a chunk of %s is not closed", file)
		}
		out[file] = append(out[file], body[:end+1])
		rest = body[end:]
	}
}

// With chunks far smaller than a plan, every chunk of the steps is whole
// commands (a chunk that ended inside one would run its tail as a command
// of its own), and the chunks add up to the same data as one chunk does.
func TestApplyChunksEndBetweenCommands(t *testing.T) {
	p := BuildPlan(bigTree(t, 40), Policy{Version: "golden"})
	whole, err := applyScript(p)
	if err != nil {
		t.Fatal(err)
	}
	defer func(n int) { chunkSize = n }(chunkSize)
	chunkSize = 300
	small, err := applyScript(p)
	if err != nil {
		t.Fatal(err)
	}
	one, many := dataOf(t, whole), dataOf(t, small)
	if len(one["ops"]) != 1 || len(many["ops"]) < 20 || len(many["payload"]) < 5 {
		t.Fatalf("%d and %d chunks of steps, %d of payload", len(one["ops"]), len(many["ops"]), len(many["payload"]))
	}
	parser := syntax.NewParser(syntax.Variant(syntax.LangPOSIX))
	for i, c := range many["ops"] {
		f, err := parser.Parse(strings.NewReader(c), "chunk")
		if err != nil {
			t.Fatalf("chunk %d of the steps is not whole commands: %v\n%s", i, err, c)
		}
		if n := strings.Count(c, "\n"); len(f.Stmts) != n && !strings.Contains(c, "trap ''") {
			t.Fatalf("chunk %d: %d commands on %d lines", i, len(f.Stmts), n)
		}
	}
	for _, file := range []string{"ops", "journal", "payload"} {
		if strings.Join(one[file], "") != strings.Join(many[file], "") {
			t.Errorf("the %s data differs when chunked", file)
		}
	}
}
