//go:build linux

package provisioner

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The remote verify asks each question under its own timeout
// (INITCOMPAT_CHECK_TIMEOUT, coreutils' timeout): an initctl that never
// answers show-config fails that check with "no answer in 2s", the apply
// is rolled back and the build ends, where the check would hang it for
// the five minutes the stand-in sleeps.
func TestRemoteVerifyCheckTimesOut(t *testing.T) {
	dir := upstartImage(t)
	real, err := exec.LookPath("initctl")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	hang := "#!/bin/sh\ncase $1 in show-config) exec sleep 300 ;; esac\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "initctl"), []byte(hang), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("INITCOMPAT_CHECK_TIMEOUT", "2")
	before := fingerprint(t, dir)
	start := time.Now()
	_, out, err := provisionRemote(t, dir, map[string]interface{}{})
	if took := time.Since(start); took > 60*time.Second {
		t.Fatalf("the build took %v with a 2s check timeout", took)
	}
	if err == nil || !strings.Contains(err.Error(), "rolled back") || !strings.Contains(out+err.Error(), "no answer in 2s") {
		t.Fatalf("err = %v\n%s", err, out)
	}
	if after := fingerprint(t, dir); after != before {
		t.Fatalf("the image changed:\n%s\n--- before\n%s", after, before)
	}
}
