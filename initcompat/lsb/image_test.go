//go:build linux

package lsb

import (
	"os"
	"path"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// TestImageScripts reads every init script of the image at
// $INITCOMPAT_IMAGE the way the plugin would wire it: the snapshot
// (tree.FromDir, which keeps what the scripts name), ReadStart with the
// /etc/default files, Judge; then the one extra read (tree.RefsFromDir)
// of every program still missing, for all scripts at once, and Judge
// again. With Debian bookworm's memcached, supervisor, fail2ban,
// nutcracker, shairport-sync and hd-idle packages unpacked there (their
// .debs from apt-get download, dpkg-deb -x), each must detach: issue
// 33's item 8, the daemons that fork by themselves.
func TestImageScripts(t *testing.T) {
	root := os.Getenv("INITCOMPAT_IMAGE")
	if root == "" {
		t.Skip("INITCOMPAT_IMAGE names no unpacked image")
	}
	tr, err := tree.FromDir(root, []tree.Watch{{Path: "etc/init.d", Content: true}, {Path: "etc/default", Content: true}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defaults := func(p string) []byte {
		if !strings.HasPrefix(p, "/etc/default/") && p != "/lib/init/init-d-script" {
			return nil
		}
		data, err := tr.ReadFile(p)
		if err != nil {
			return nil
		}
		return data
	}
	look := func(p string) (Program, bool) {
		r, ok := tr.Ref(p)
		if !ok {
			return Program{}, false
		}
		return ProgramOf(r), true
	}
	scripts := map[string]Start{}
	var missing []string
	for _, e := range tr.ReadDir("/etc/init.d") {
		if e.Kind != tree.File {
			continue
		}
		st := ReadStart(e.Data, defaults)
		scripts[path.Base(e.Path)] = st
		missing = append(missing, Judge(st, look).Missing...)
	}
	extra, err := tree.RefsFromDir(root, missing)
	if err != nil {
		t.Fatal(err)
	}
	tr.AddRefs(extra)
	t.Logf("snapshot kept %d referenced files; %d programs missing after it, %d found by the extra read", len(tr.Refs())-len(extra), len(missing), len(extra))
	want := map[string]Verdict{"memcached": VerdictDetaches, "supervisor": VerdictDetaches, "fail2ban": VerdictDetaches,
		"nutcracker": VerdictDetaches, "shairport-sync": VerdictDetaches, "hd-idle": VerdictDetaches}
	for name, st := range scripts {
		j := Judge(st, look)
		t.Logf("%s: %s (line %d, %s)\n  %s", name, j.Verdict, j.Line, j.Program, strings.Join(j.Evidence, "\n  "))
		if w, ok := want[name]; ok && j.Verdict != w {
			t.Errorf("%s: %s, want %s", name, j.Verdict, w)
		}
	}
}
