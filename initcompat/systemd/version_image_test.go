package systemd_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The real images of the e2e cache, snapshotted with the plugin's watch list
// (initcompat.Watches) plus systemd.Watches, and with LibraryWatches too:
// bookworm 252 and trixie 257 have the generators, forky 262 has none, and
// each version is read from dpkg's lists, which the snapshot reads already.
func TestReadInstallDebootstrapped(t *testing.T) {
	cache := os.Getenv("INITCOMPAT_E2E_CACHE")
	if cache == "" {
		cache = "/var/cache/initcompat-e2e"
	}
	want := map[string]struct {
		version int
		sysv    bool
	}{"bookworm": {252, true}, "trixie": {257, true}, "forky": {262, false}}
	ran := 0
	for suite, w := range want {
		dir := filepath.Join(cache, suite)
		if _, err := os.Stat(dir + ".ok"); err != nil {
			continue
		}
		ran++
		for _, ws := range [][]tree.Watch{append(initcompat.Watches(plan.Policy{}), systemd.Watches()...), append(append(initcompat.Watches(plan.Policy{}), systemd.Watches()...), systemd.LibraryWatches()...)} {
			tr, err := tree.FromDir(dir, ws, 64<<20)
			if err != nil {
				t.Fatal(err)
			}
			got := systemd.ReadInstall(tr)
			if got.Version != w.version || got.RunsInitScripts() != w.sysv || got.RunsRCLocal() != w.sysv || (got.SysvInstall != "") != w.sysv {
				t.Errorf("%s: got %+v, want %d, SysV pieces %v", suite, got, w.version, w.sysv)
			}
			t.Logf("%s: systemd %s (from %s), sysv-generator %q, rc-local-generator %q, sysv-install %q", suite, got.VersionText, got.Source, got.SysvGenerator, got.RCLocalGenerator, got.SysvInstall)
		}
	}
	if ran == 0 {
		msg := "no debootstrapped image in " + cache + " (make e2e makes them)"
		if os.Getenv("INITCOMPAT_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}
