package initcompat

import (
	"strings"
	"testing"
)

// A 10,000-service image: the second run plans nothing, and one service
// added since plans exactly that service (its redirect, its rc links) and
// the manifest.
func TestScale10k(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 services: not in -short")
	}
	const n = 10000
	fresh := bigTree(t, n)
	pol := Policy{Version: testVersion}
	first := BuildPlan(fresh, pol)
	if len(first.Changes) < 8*n {
		t.Fatalf("%d changes for %d services", len(first.Changes), n)
	}
	done := Overlay(fresh, first.Changes)
	if again := BuildPlan(done, pol); !again.Empty() {
		t.Fatalf("the second run plans %d changes, %d findings", len(again.Changes), len(again.Findings))
	}
	plusOne := Overlay(done, nil)
	addService(t, plusOne, n)
	p := BuildPlan(plusOne, pol)
	for _, c := range p.Changes {
		if c.Service != "svc10000" && c.Path != pol.manifestPath() {
			t.Errorf("the plus-one plan touches %s (%s)", c.Path, c.Service)
		}
	}
	if len(p.Changes) != 9 || !strings.Contains(p.Text(), "/etc/init.d/svc10000") {
		t.Fatalf("the plus-one plan has %d changes:\n%s", len(p.Changes), p.Text())
	}
}

// The hand-written manifest encoder gives what encoding/json reads back,
// whatever the characters.
func TestManifestEncoding(t *testing.T) {
	entries := []ManifestEntry{
		{Path: "/etc/init.d/a\"b\\c", Kind: "file", SHA256: "00", Service: "a", Shim: "lsb-redirect"},
		{Path: "/etc/rc2.d/S01x", Kind: "symlink", Target: "../init.d/\x01\x1f\u00e9", Shim: "lsb-redirect"},
		{Path: "/etc/x", Kind: "removed", Target: "/t", Service: "x", Shim: "disable"},
	}
	m, err := ParseManifest(encodeManifest("1.2.3", entries))
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
