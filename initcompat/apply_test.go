package initcompat

import (
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
)

// Recovery proves a committed manifest by the header every manifest
// starts with: the one the protocol checks is the one written.
func TestManifestStartsAsTheProtocolChecks(t *testing.T) {
	if m := string(encodeManifest("v", 0, func(func(ManifestEntry) bool) {})); !strings.HasPrefix(m, protocol.ManifestHeader) {
		t.Errorf("a manifest starts %.40q, not %q", m, protocol.ManifestHeader)
	}
}

// A plan's kinds and operations are the protocol's, value for value: the
// conversion carries every change as it is, and Steps accepts the result.
func TestPlanAsTheProtocolTakesIt(t *testing.T) {
	p := BuildPlan(bigTree(t, 3), Policy{Version: "golden"})
	pp := p.Protocol()
	if len(pp.Changes) != len(p.Changes) || pp.Manifest != p.ManifestPath {
		t.Fatalf("%d changes, manifest %q; want %d, %q", len(pp.Changes), pp.Manifest, len(p.Changes), p.ManifestPath)
	}
	for i, c := range p.Changes {
		g := pp.Changes[i]
		if string(g.Op) != string(c.Op) || g.Path != c.Path || string(g.Prior.Kind) != string(c.Prior.Kind) || g.SHA256 != c.SHA256 || g.Target != c.Target {
			t.Fatalf("change %d: %+v became %+v", i, c, g)
		}
	}
	for _, k := range []struct {
		plan     PathKind
		protocol protocol.Kind
	}{{KindAbsent, protocol.KindAbsent}, {KindFile, protocol.KindFile}, {KindSymlink, protocol.KindSymlink}, {KindDir, protocol.KindDir}} {
		if string(k.plan) != string(k.protocol) {
			t.Errorf("kind %q is %q to the protocol", k.plan, k.protocol)
		}
	}
	for _, o := range []struct {
		plan     Op
		protocol protocol.ChangeOp
	}{{OpMkdir, protocol.OpMkdir}, {OpWrite, protocol.OpWrite}, {OpSymlink, protocol.OpSymlink}, {OpRemove, protocol.OpRemove}} {
		if string(o.plan) != string(o.protocol) {
			t.Errorf("op %q is %q to the protocol", o.plan, o.protocol)
		}
	}
	if _, err := protocol.Steps(pp, protocol.Options{}); err != nil {
		t.Fatal(err)
	}
}
