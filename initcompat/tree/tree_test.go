package tree

import (
	"errors"
	"testing"
)

func mk(t *testing.T, es ...Entry) *Tree {
	t.Helper()
	tr := New()
	for _, e := range es {
		if err := tr.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

func TestResolveStaysInImage(t *testing.T) {
	tr := mk(t,
		Entry{Path: "/lib", Kind: Symlink, Target: "usr/lib"},
		Entry{Path: "/usr/lib/systemd/systemd", Kind: File},
		Entry{Path: "/sbin", Kind: Symlink, Target: "usr/sbin"},
		Entry{Path: "/usr/sbin/init", Kind: Symlink, Target: "/lib/systemd/systemd"},
		Entry{Path: "/etc/init.d", Kind: Symlink, Target: "rc.d/init.d"},
		Entry{Path: "/etc/rc.d/init.d/x", Kind: File},
		Entry{Path: "/etc/escape", Kind: Symlink, Target: "../../../../etc/shadow"},
		Entry{Path: "/etc/up", Kind: Symlink, Target: "../usr/lib"},
		Entry{Path: "/loop/a", Kind: Symlink, Target: "b"},
		Entry{Path: "/loop/b", Kind: Symlink, Target: "a"},
	)
	for _, c := range []struct{ in, want string }{
		{"/sbin/init", "/usr/lib/systemd/systemd"},
		{"/lib/systemd/systemd", "/usr/lib/systemd/systemd"},
		{"/etc/init.d/x", "/etc/rc.d/init.d/x"},
		{"/etc/escape", "/etc/shadow"}, // ".." stops at the image root
		{"/etc/up/systemd", "/usr/lib/systemd"},
		{"/nowhere/x", "/nowhere/x"},
	} {
		got, err := tr.Resolve(c.in)
		if err != nil || got != c.want {
			t.Errorf("Resolve(%s) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if got, _ := tr.ResolveParent("/sbin/init"); got != "/usr/sbin/init" {
		t.Errorf("ResolveParent(/sbin/init) = %q", got)
	}
	if _, err := tr.Resolve("/loop/a"); !errors.Is(err, ErrLoop) {
		t.Errorf("a symlink loop resolved: %v", err)
	}
	if e, ok := tr.Stat("/sbin/init"); !ok || e.Path != "/usr/lib/systemd/systemd" {
		t.Errorf("Stat through two links: %+v", e)
	}
}

func TestReadDirAndImpliedDirs(t *testing.T) {
	tr := mk(t,
		Entry{Path: "/etc/rc2.d/S01b", Kind: Symlink, Target: "../init.d/b"},
		Entry{Path: "/etc/rc2.d/S01a", Kind: Symlink, Target: "../init.d/a"},
	)
	if e, ok := tr.Lstat("/etc/rc2.d"); !ok || e.Kind != Dir {
		t.Fatalf("implied directory: %+v %v", e, ok)
	}
	got := tr.ReadDir("/etc/rc2.d")
	if len(got) != 2 || got[0].Path != "/etc/rc2.d/S01a" {
		t.Fatalf("ReadDir not sorted: %+v", got)
	}
	tr.Remove("/etc/rc2.d/S01a")
	if len(tr.ReadDir("/etc/rc2.d")) != 1 {
		t.Fatal("Remove left the entry listed")
	}
}

func TestAddRejectsUncleanPaths(t *testing.T) {
	for _, p := range []string{"etc/x", "/etc/../x", "/etc/x/", "/", "/a\x00b"} {
		if err := New().Add(Entry{Path: p, Kind: File}); !errors.Is(err, ErrBadPath) {
			t.Errorf("Add(%q) = %v, want ErrBadPath", p, err)
		}
	}
}

func TestReadFileReportsTooLarge(t *testing.T) {
	tr := mk(t, Entry{Path: "/big", Kind: File, Omitted: true, TooLarge: true, Size: 1 << 30})
	if _, err := tr.ReadFile("/big"); err == nil {
		t.Fatal("an over-cap file read as empty")
	}
}
