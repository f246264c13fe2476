package plan

import (
	"slices"
	"strings"
	"testing"
)

// The hand-written manifest encoder gives what encoding/json reads back,
// whatever the characters.
func TestManifestEncoding(t *testing.T) {
	entries := []ManifestEntry{
		{Path: "/etc/init.d/a\"b\\c", Kind: "file", SHA256: "00", Service: "a", Shim: "lsb-redirect"},
		{Path: "/etc/rc2.d/S01x", Kind: "symlink", Target: "../init.d/\x01\x1f\u00e9", Shim: "lsb-redirect"},
		{Path: "/etc/x", Kind: "removed", Target: "/t", Service: "x", Shim: "disable"},
	}
	m, err := ParseManifest(encodeManifest("1.2.3", len(entries), slices.Values(entries)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "1.2.3" || len(m.Entries) != 3 {
		t.Fatalf("%+v", m)
	}
	for i := range entries {
		if m.Entries[i] != entries[i] {
			t.Errorf("entry %d: %+v, want %+v", i, m.Entries[i], entries[i])
		}
	}
}

// The next manifest is the previous one with the changes merged in path
// order: kept entries as they were, changed paths with their new entry,
// removed paths of ours gone, a removed link of the image's recorded; a
// manifest edited out of order, or listing a path twice, is read as the
// index reads it (the last entry wins).
func TestNextManifestMerges(t *testing.T) {
	prev := &Manifest{Generator: generator, Version: "1", Entries: []ManifestEntry{
		{Path: "/etc/init.d/b", Kind: KindFile, SHA256: "old", Service: "b", Shim: "lsb-redirect"},
		{Path: "/etc/init.d/a", Kind: KindFile, SHA256: "a", Service: "a", Shim: "lsb-redirect"},
		{Path: "/etc/rc2.d/S01a", Kind: KindSymlink, Target: "../init.d/a", Service: "a", Shim: "lsb-redirect"},
		{Path: "/etc/rc2.d/S01a", Kind: KindSymlink, Target: "../init.d/a2", Service: "a", Shim: "lsb-redirect"},
		{Path: "/etc/rc2.d/S01z", Kind: KindSymlink, Target: "../init.d/z", Service: "z", Shim: "lsb-redirect"},
	}}
	changes := []Change{
		{Op: OpWrite, Path: "/etc/init.d/b", SHA256: "new", Service: "b", Shim: "lsb-redirect"},
		{Op: OpRemove, Path: "/etc/rc2.d/S01z", Service: "z", Shim: "lsb-redirect"},
		{Op: OpSymlink, Path: "/etc/rc2.d/S01c", Target: "../init.d/c", Service: "c", Shim: "lsb-redirect"},
		{Op: OpRemove, Path: "/etc/systemd/system/multi-user.target.wants/d.service", Prior: Prior{Kind: KindSymlink, Target: "/etc/systemd/system/d.service"}, Service: "d", Shim: "disable"},
		{Op: OpMkdir, Path: "/etc/rc3.d", Shim: "lsb-redirect"},
	}
	m, err := ParseManifest(NextManifest(prev, prev.Index(), "2", "", changes))
	if err != nil {
		t.Fatal(err)
	}
	want := []ManifestEntry{
		{Path: "/etc/init.d/a", Kind: KindFile, SHA256: "a", Service: "a", Shim: "lsb-redirect"},
		{Path: "/etc/init.d/b", Kind: KindFile, SHA256: "new", Service: "b", Shim: "lsb-redirect"},
		{Path: "/etc/rc2.d/S01a", Kind: KindSymlink, Target: "../init.d/a2", Service: "a", Shim: "lsb-redirect"},
		{Path: "/etc/rc2.d/S01c", Kind: KindSymlink, Target: "../init.d/c", Service: "c", Shim: "lsb-redirect"},
		{Path: "/etc/rc3.d", Kind: KindDir, Shim: "lsb-redirect"},
		{Path: "/etc/systemd/system/multi-user.target.wants/d.service", Kind: KindRemoved, Target: "/etc/systemd/system/d.service", Service: "d", Shim: "disable"},
	}
	if m.Version != "2" || !slices.Equal(m.Entries, want) {
		t.Fatalf("next manifest:\n%+v\nwant\n%+v", m.Entries, want)
	}
}

// Recovery proves a committed manifest by the header every manifest
// starts with: the one it checks is the one written.
func TestManifestStartsWithItsHeader(t *testing.T) {
	if m := string(encodeManifest("v", 0, func(func(ManifestEntry) bool) {})); !strings.HasPrefix(m, ManifestHeader) {
		t.Errorf("a manifest starts %.40q, not %q", m, ManifestHeader)
	}
}
