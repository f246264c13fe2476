package initcompat

import (
	"fmt"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// bigTree is a Debian-like image with n enabled custom services.
func bigTree(b *testing.B, n int) *tree.Tree {
	b.Helper()
	t := tree.New()
	add := func(e tree.Entry) {
		if err := t.Add(e); err != nil {
			b.Fatal(err)
		}
	}
	add(tree.Entry{Path: "/lib", Kind: tree.Symlink, Target: "usr/lib"})
	add(tree.Entry{Path: "/usr/lib/systemd/systemd", Kind: tree.File, Mode: 0o755, Omitted: true})
	add(tree.Entry{Path: "/usr/sbin/update-rc.d", Kind: tree.File, Mode: 0o755, Omitted: true})
	add(tree.Entry{Path: "/etc/init.d/README", Kind: tree.File, Mode: 0o644, Data: []byte("x")})
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc%04d.service", i)
		add(tree.Entry{Path: "/etc/systemd/system/" + name, Kind: tree.File, Mode: 0o644, Data: []byte(fmt.Sprintf(
			"[Unit]\nDescription=service %d\nAfter=network-online.target remote-fs.target\n\n[Service]\nExecStart=/usr/local/bin/svc %d\n\n[Install]\nWantedBy=multi-user.target\n", i, i))})
		add(tree.Entry{Path: "/etc/systemd/system/multi-user.target.wants/" + name, Kind: tree.Symlink, Target: "/etc/systemd/system/" + name})
	}
	return t
}

// Planning 1,000 services from a snapshot already in memory.
func BenchmarkBuildPlan1000(b *testing.B) {
	t := bigTree(b, 1000)
	pol := Policy{Version: "bench"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p := BuildPlan(t, pol); len(p.Changes) < 8000 {
			b.Fatalf("%d changes", len(p.Changes))
		}
	}
}

// Rendering the apply script (payload included) for 1,000 services.
func BenchmarkApplyScript1000(b *testing.B) {
	p := BuildPlan(bigTree(b, 1000), Policy{Version: "bench"})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := ApplyScript(p)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(s)))
	}
}
