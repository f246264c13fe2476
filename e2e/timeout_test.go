package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// timeout = "1ms" on the provisioner block: Packer's timeout ends before
// the plugin has begun, and Packer sends Cancel ahead of Provision. With
// packer-plugin-sdk v0.6.10 the plugin died of a nil func in
// ProvisionerServer.Cancel ("panic", "unexpected EOF", a crash.log); with
// third_party/packer-plugin-sdk the build fails on the timeout, says so,
// and the image is as it was. A few rounds, as which call arrives first
// is up to the scheduler.
func TestPackerTimeout1ms(t *testing.T) {
	requireBoot(t)
	img := newImage(t, suites[0])
	installHello(t, img)
	crashLog, _ := filepath.Abs("crash.log")
	_, statErr := os.Stat(crashLog)
	hadCrashLog := statErr == nil
	before := fingerprint(t, img)
	for round := 0; round < 3; round++ {
		out, ok := packerBuild(t, "timeout.pkr.hcl", map[string]string{"root_dir": img, "timeout": "1ms"})
		if ok {
			t.Fatalf("round %d: a build with a 1ms provisioner timeout succeeded", round)
		}
		for _, crash := range []string{"panic:", "unexpected EOF", "crash.log", "nil pointer", "plugin exited"} {
			if strings.Contains(out, crash) {
				t.Fatalf("round %d: the plugin crashed (output has %q)", round, crash)
			}
		}
		contains(t, out, "Cancelling provisioner after a timeout", "Packer's timeout")
		contains(t, out, "context canceled", "the provisioner's error")
		if fingerprint(t, img) != before {
			t.Fatalf("round %d: a build cancelled by its timeout changed the image", round)
		}
	}
	if _, err := os.Stat(crashLog); err == nil && !hadCrashLog {
		t.Fatalf("packer wrote %s", crashLog)
	}
	// The same image and template with room to run: the timeout was the
	// only reason the builds above failed.
	out, ok := packerBuild(t, "timeout.pkr.hcl", map[string]string{"root_dir": img, "timeout": "5m"})
	if !ok {
		t.Fatal("the build with a 5m timeout failed")
	}
	contains(t, out, "applied", "the build with a 5m timeout")
}
