package systemd

import (
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// An image's systemd, from what each distribution ships (the paths are
// cited in version.go): the library's name first, dpkg's lists else; the
// generators found, masked in /etc, or gone (systemd 260).
func TestReadInstall(t *testing.T) {
	file := func(p string, data string) tree.Entry {
		return tree.Entry{Path: p, Kind: tree.File, Mode: 0o755, Data: []byte(data), Size: int64(len(data))}
	}
	link := func(p, target string) tree.Entry { return tree.Entry{Path: p, Kind: tree.Symlink, Target: target} }
	cases := []struct {
		name    string
		entries []tree.Entry
		version int
		text    string
		sysv    bool
		rclocal bool
	}{
		{"rhel9", []tree.Entry{file("/usr/lib64/systemd/libsystemd-shared-252.so", ""), file("/usr/lib/systemd/system-generators/systemd-sysv-generator", ""),
			file("/usr/lib/systemd/system-generators/systemd-rc-local-generator", "")}, 252, "252", true, true},
		{"fedora41", []tree.Entry{file("/usr/lib64/systemd/libsystemd-shared-256.11-1.fc41.so", "")}, 256, "256.11-1.fc41", false, false},
		{"upgraded", []tree.Entry{file("/usr/lib/systemd/libsystemd-shared-249.so", ""), file("/usr/lib/systemd/libsystemd-shared-255.so", "")}, 255, "255", false, false},
		{"bookworm-dpkg", []tree.Entry{file("/var/lib/dpkg/info/libsystemd-shared:amd64.list", "/usr/share/doc/libsystemd-shared\n/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so\n"),
			file("/lib/systemd/system-generators/systemd-sysv-generator", "")}, 252, "252", true, false},
		{"masked", []tree.Entry{file("/usr/lib/systemd/system-generators/systemd-sysv-generator", ""), link("/etc/systemd/system-generators/systemd-sysv-generator", "/dev/null"),
			file("/usr/lib/systemd/system-generators/systemd-rc-local-generator", ""), file("/etc/systemd/system-generators/systemd-rc-local-generator", "")}, 0, "", false, false},
		{"al2-219", []tree.Entry{file("/usr/lib/systemd/systemd", "")}, 0, "", false, false},
		{"junk-name", []tree.Entry{file("/usr/lib/systemd/libsystemd-shared-x.so", ""), file("/usr/lib/systemd/libsystemd-shared-99999.so", "")}, 0, "", false, false},
	}
	for _, c := range cases {
		tr := tree.New()
		for _, e := range c.entries {
			if err := tr.Add(e); err != nil {
				t.Fatal(err)
			}
		}
		got := ReadInstall(tr)
		if got.Version != c.version || got.VersionText != c.text || got.RunsInitScripts() != c.sysv || got.RunsRCLocal() != c.rclocal {
			t.Errorf("%s: got %+v, want version %d %q, sysv %v, rc-local %v", c.name, got, c.version, c.text, c.sysv, c.rclocal)
		}
	}
}
