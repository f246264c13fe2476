package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// initctlQuestions are what the stand-in initctl of the provisioner's unit
// tests answers; the record of the real answers is
// provisioner/testdata/initctl-real.txt, over the jobs beside it.
var initctlQuestions = []string{
	"show-config -e mongodb", "show-config mongodb", "show-config -e rc-sysinit", "show-config rc-sysinit",
	"show-config -e web", "show-config web", "status mongodb", "status rc-sysinit",
	"show-config -e nosuch", "status nosuch",
}

// The record the stand-in initctl is held to is what the real Upstart
// 1.13.2 says, in session mode over the same jobs. INITCOMPAT_RECORD=1
// rewrites the record (review the diff).
func TestInitctlRecord(t *testing.T) {
	built := requireUpstart(t)
	jobs := filepath.Join(repo, "provisioner", "testdata", "initctl-jobs")
	conf := t.TempDir()
	entries, err := os.ReadDir(jobs)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(jobs, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, conf, 0o644, map[string]string{e.Name(): string(data)})
	}
	s := startSession(t, built, conf)
	var b strings.Builder
	for _, q := range initctlQuestions {
		out, code := s.initctl(strings.Fields(q)...)
		fmt.Fprintf(&b, "$ initctl %s\n%s(exit %d)\n", q, out, code)
	}
	record := filepath.Join(repo, "provisioner", "testdata", "initctl-real.txt")
	if os.Getenv("INITCOMPAT_RECORD") == "1" {
		if err := os.WriteFile(record, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("%v (INITCOMPAT_RECORD=1 writes it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("the real initctl says:\n%s\nthe record %s says:\n%s", b.String(), record, want)
	}
}

// The parser's oracle (initcompat's TestUpstartOracle) with the Upstart
// built here: every Upstart job of the golden cases, read by a
// session-mode Upstart 1.13.2 and by initcompat, must agree; and so must
// what initcompat says Upstart respawns (TestUpstartRespawns) and the
// script files it writes for job blocks (TestScriptsRunAsUpstartRan).
func TestUpstartParserOracle(t *testing.T) {
	built := requireUpstart(t)
	tests := []string{"TestUpstartOracle", "TestUpstartRespawns", "TestScriptsRunAsUpstartRan"}
	cmd := exec.Command("go", "test", "-count=1", "-run", "^("+strings.Join(tests, "|")+")$", "-v", "./initcompat/upstartunit")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "INITCOMPAT_UPSTART_ROOT="+built, "INITCOMPAT_E2E=1")
	out, err := cmd.CombinedOutput()
	t.Logf("$ INITCOMPAT_UPSTART_ROOT=%s go test -run %s ./initcompat/upstartunit\n%s", built, strings.Join(tests, "|"), indent(string(out)))
	if err != nil {
		t.Fatalf("initcompat and the real Upstart disagree: %v", err)
	}
	for _, name := range tests {
		if !strings.Contains(string(out), "--- PASS: "+name) {
			t.Errorf("%s did not run", name)
		}
	}
}
