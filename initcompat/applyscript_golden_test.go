package initcompat

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/verify"
)

// The apply and verify scripts of two services (the recovery script is
// the verify script's library; the held apply differs only at its ends), as the remote transport
// sends them, so that a change to the protocol shows in review line by
// line (go test -update rewrites them). The payload is deterministic: the
// tar headers carry a fixed time and gzip no name or time.
func TestScriptGoldens(t *testing.T) {
	p := BuildPlan(bigTree(t, 2), plan.Policy{Version: "golden"})
	p.Gzip = "/usr/bin/gzip"
	apply, err := applyScript(p)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{
		"apply.sh":  apply,
		"verify.sh": verify.Script(p),
	} {
		file := filepath.Join("testdata", "scripts", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (go test -update writes it)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s (go test -run TestScriptGoldens -update rewrites it)", name, file)
		}
	}
}

// Shared by the package's tests on every OS (scripts_test.go runs sh,
// Linux only).
var update = flag.Bool("update", false, "rewrite the expected scripts in testdata/scripts")

const testVersion = "0.0.0-test"
