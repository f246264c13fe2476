package tree

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A manifest planted past MaxUncappedSize (a sparse file: it costs no
// disk) is refused by both sources, before either reads it: it was read
// whole, up to a terabyte, into the plugin's memory.
func TestUncappedFileHasABound(t *testing.T) {
	const manifest = "/var/lib/initcompat/manifest.json"
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "var/lib/initcompat"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, manifest))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxUncappedSize + 1); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	ws := WithContent(nil, "/var/lib/initcompat")
	_, derr := FromDir(dir, ws, 0, manifest)

	// The stream's header is enough: FromTar must refuse before the data.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: StatFile, Typeflag: tar.TypeReg, Mode: 0o600},
		{Name: manifest[1:], Typeflag: tar.TypeReg, Size: MaxUncappedSize + 1, Mode: 0o644},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	_, terr := FromTar(&buf, 0, manifest)
	for name, err := range map[string]error{"FromDir": derr, "FromTar": terr} {
		if err == nil || !strings.Contains(err.Error(), manifest) || !strings.Contains(err.Error(), "move it away") {
			t.Errorf("%s: got %v, want a refusal naming %s and the fix", name, err, manifest)
		}
	}
}
