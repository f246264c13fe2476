package tree

import (
	"archive/tar"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// 200 files of 1 MiB each under a per-file cap of 8 MiB (the issue's
// 1.6 GB image, scaled down) against a 16 MiB budget: both sources read
// at most the budget (plus one file a concurrent reader), record the rest
// as not read, and keep the manifest (whole) whatever the budget.
func TestSnapshotBudget(t *testing.T) {
	defer func(b int64) { budget = b }(budget)
	budget = 16 << 20
	const n, size = 200, 1 << 20
	dir := t.TempDir()
	svc := filepath.Join(dir, "etc/systemd/system")
	if err := os.MkdirAll(svc, 0o755); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, size)
	members := []*tar.Header{{Name: StatFile, Typeflag: tar.TypeReg, Mode: 0o600}}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("etc/systemd/system/u%03d.service", i)
		if err := os.WriteFile(filepath.Join(dir, name), blob, 0o644); err != nil {
			t.Fatal(err)
		}
		members = append(members, &tar.Header{Name: name, Typeflag: tar.TypeReg, Size: size, Mode: 0o644})
	}
	manifest := "/etc/systemd/system/u199.service" // read whole, as the manifest is
	fromDir, err := FromDir(dir, []Watch{{Path: "etc/systemd/system", Content: true}}, 0, manifest)
	if err != nil {
		t.Fatal(err)
	}
	fromTar, err := FromTar(tarOf(t, members...), 0, manifest)
	if err != nil {
		t.Fatal(err)
	}
	for name, tr := range map[string]*Tree{"FromDir": fromDir, "FromTar": fromTar} {
		read := int64(0)
		for i := 0; i < n; i++ {
			e, _ := tr.Lstat(fmt.Sprintf("/etc/systemd/system/u%03d.service", i))
			if e == nil || e.Kind != File {
				t.Fatalf("%s: file %d missing", name, i)
			}
			read += int64(len(e.Data))
			if (e.Data == nil) != e.OverBudget {
				t.Fatalf("%s: file %d: read %d bytes, OverBudget %v", name, i, len(e.Data), e.OverBudget)
			}
		}
		if e, _ := tr.Lstat(manifest); e.OverBudget {
			t.Errorf("%s: the manifest was not read", name)
		}
		slack := int64(runtime.GOMAXPROCS(0)+1) * size
		if read > budget+slack || read < budget-size {
			t.Errorf("%s read %d MiB under a %d MiB budget", name, read>>20, budget>>20)
		}
		if over := tr.OverBudget(); len(over) < n/2 {
			t.Errorf("%s: %d files reported over the budget", name, len(over))
		}
		if _, err := tr.ReadFile(tr.OverBudget()[0]); err == nil {
			t.Errorf("%s: a file past the budget reads", name)
		}
	}
}
