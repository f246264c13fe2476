package initcompat_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// A merged-/usr tree (/sbin -> usr/sbin, /lib -> usr/lib) read through the
// watched paths, as a build reads it: with Upstart's init installed there
// (the booted e2e tree), it is Upstart; with systemd-sysv's link to
// systemd, it is systemd. Before usr/sbin/init was watched, the first was
// init=unknown: /sbin/init led into a directory the snapshot did not read.
func TestMergedUsrInit(t *testing.T) {
	for _, c := range []struct {
		name string
		init string // "" : /usr/sbin/init a file (Upstart's); else a link to it
		want inspect.InitSystem
	}{
		{"upstart", "", inspect.Upstart},
		{"systemd", "../lib/systemd/systemd", inspect.Systemd},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			files := []string{"usr/sbin/initctl", "usr/lib/init/upstart-job", "usr/lib/systemd/systemd", "etc/init/cron.conf"}
			if c.init == "" {
				files = append(files, "usr/sbin/init")
			}
			for _, p := range files {
				if err := os.MkdirAll(filepath.Join(d, filepath.Dir(p)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(d, p), []byte("start on runlevel [2345]\nexec cron\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			links := map[string]string{"sbin": "usr/sbin", "lib": "usr/lib"}
			if c.init != "" {
				links["usr/sbin/init"] = c.init
			}
			for p, target := range links {
				if err := os.Symlink(target, filepath.Join(d, p)); err != nil {
					t.Fatal(err)
				}
			}
			tr, err := tree.FromDir(d, initcompat.Watches(plan.Policy{}), 0)
			if err != nil {
				t.Fatal(err)
			}
			inv := initcompat.Inspect(tr, plan.Policy{})
			if inv.Init != c.want {
				t.Fatalf("init=%s, want %s (tools %+v)", inv.Init, c.want, inv.Tools)
			}
			if c.want == inspect.Upstart && (inv.Tools.Initctl == "" || inv.Tools.UpstartJob == "") {
				t.Errorf("initctl or upstart-job not found through /sbin and /lib: %+v", inv.Tools)
			}
		})
	}
}
