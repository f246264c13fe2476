//go:build linux

package provisioner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// prune on root_dir, through the local transport's journalled apply: a
// build that drops its ordering block removes the drop-in it wrote with
// prune = true; a drop-in another build (the base image's) wrote survives.
func TestPruneThroughApply(t *testing.T) {
	build := func(dir, name string, cfg map[string]interface{}) string {
		t.Helper()
		cfg["root_dir"], cfg["packer_build_name"] = dir, name
		p := new(Provisioner)
		if err := p.Prepare(cfg); err != nil {
			t.Fatal(err)
		}
		ui := newRecordUI(t)
		if err := p.Provision(context.Background(), ui, nil, map[string]interface{}{"ConnType": "none"}); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, ui.String())
		}
		return ui.String()
	}
	ordering := func() map[string]interface{} {
		return map[string]interface{}{"ordering": []map[string]interface{}{{"unit": "hello", "after": []string{"network-online.target"}}}}
	}
	dropIn := filepath.FromSlash("etc/systemd/system/hello.service.d/initcompat-ordering.conf")

	dir := helloImage(t)
	build(dir, "app", ordering())
	if _, err := os.Lstat(filepath.Join(dir, dropIn)); err != nil {
		t.Fatal(err)
	}
	out := build(dir, "app", map[string]interface{}{})
	if !strings.Contains(out, `made by build "app", which this configuration no longer asks for`) {
		t.Errorf("the plan does not list the drop-in:\n%s", out)
	}
	if _, err := os.Lstat(filepath.Join(dir, dropIn)); err != nil {
		t.Fatalf("without prune the drop-in went: %v", err)
	}
	build(dir, "app", map[string]interface{}{"prune": true})
	if _, err := os.Lstat(filepath.Join(dir, dropIn)); !os.IsNotExist(err) {
		t.Fatalf("prune = true left the drop-in: %v", err)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "var/lib/initcompat/manifest.json"))
	if err != nil || strings.Contains(string(manifest), "initcompat-ordering.conf") || !strings.Contains(string(manifest), `"build": "app"`) {
		t.Fatalf("manifest after prune (%v):\n%s", err, manifest)
	}

	base := helloImage(t)
	build(base, "base", ordering())
	build(base, "app", map[string]interface{}{"prune": true})
	if _, err := os.Lstat(filepath.Join(base, dropIn)); err != nil {
		t.Fatalf("the base build's drop-in did not survive the derived build's prune: %v", err)
	}
}
