package provisioner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
)

// A manifest planted in the image (issue 23): mode = "remove" deletes
// nothing it names that an OS package owns (dpkg's lists), that lies
// where initcompat never writes, or that lacks initcompat's marker, plants
// no "removed" link outside /etc/systemd/system (/etc/ld.so.preload), and
// takes away no directory the snapshot did not read; on both transports.
func TestPlantedManifestRemovesNothingOfTheImage(t *testing.T) {
	marked := "#!/bin/sh\n" + initcompat.Marker("0.0.0-test") + "\n"
	const passwd = "root:x:0:0:root:/root:/bin/sh\n"
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	keep := map[string]string{
		"/etc/init.d/pkgscript":   marked, // owned by a package
		"/etc/passwd":             passwd, // never a place initcompat writes
		"/etc/init.d/unmarked":    "#!/bin/sh\necho the image's own\n",
		"/var/lib/stranger/notes": "never read by the snapshot\n",
	}
	for name := range transports("") {
		dir := helloImage(t)
		for p, c := range keep {
			write(t, dir, p, c)
		}
		write(t, dir, "/var/lib/dpkg/info/pkg.list", "/etc\n/etc/init.d\n/etc/init.d/pkgscript\n")
		entries := []string{
			fmt.Sprintf(`{"path": "/etc/init.d/pkgscript", "kind": "file", "sha256": %q, "shim": "lsb-redirect"}`, sum(marked)),
			fmt.Sprintf(`{"path": "/etc/init.d/unmarked", "kind": "file", "sha256": %q, "shim": "lsb-redirect"}`, sum(keep["/etc/init.d/unmarked"])),
			fmt.Sprintf(`{"path": "/etc/passwd", "kind": "file", "sha256": %q, "shim": "lsb-redirect"}`, sum(passwd)),
			`{"path": "/etc/ld.so.preload", "kind": "removed", "target": "/tmp/evil.so", "shim": "disable"}`,
			`{"path": "/var/lib/stranger", "kind": "dir", "shim": "manifest"}`,
		}
		write(t, dir, initcompat.DefaultManifestPath, `{"generator": "initcompat", "version": "0", "entries": [`+"\n"+strings.Join(entries, ",\n")+"\n]}\n")
		tr := transports(dir)[name]
		snap, _, err := tr.Snapshot(context.Background(), watches, true)
		if err != nil {
			t.Fatal(err)
		}
		plan := initcompat.BuildRemovePlan(snap, pol)
		if err := tr.Apply(context.Background(), plan, protocol.Options{}); err != nil {
			t.Fatalf("%s: remove: %v", name, err)
		}
		for p, c := range keep {
			if got, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(got) != c {
				t.Errorf("%s: remove took %s away or changed it (%v)", name, p, err)
			}
		}
		if _, err := os.Lstat(filepath.Join(dir, "etc/ld.so.preload")); err == nil {
			t.Errorf("%s: remove planted /etc/ld.so.preload", name)
		}
		text := plan.Text()
		for _, why := range []string{"an OS package owns it", "lacks initcompat's marker line", "only ever removes links under /etc/systemd/system"} {
			if !strings.Contains(text, why) {
				t.Errorf("%s: the plan does not say %q:\n%s", name, why, text)
			}
		}
	}
}
