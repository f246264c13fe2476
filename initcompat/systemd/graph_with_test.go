package systemd

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/coreos/go-systemd/v22/unit"
)

// With derives from one build the graph a build with the extra options
// makes: the same units, orderings, cycles and pulling targets, whether
// the options only order (the incremental way), pull in units the boot
// had not (ordered again whole), reach instances through their template,
// or set DefaultDependencies=. Applied twice, it adds to what it added.
func TestGraphWithIsABuild(t *testing.T) {
	files := map[string]string{
		"/usr/lib/systemd/system/multi-user.target": "[Unit]\nRequires=basic.target\nAfter=basic.target\n",
		"/usr/lib/systemd/system/basic.target":      "[Unit]\nRequires=sysinit.target\nAfter=sysinit.target\n",
		"/usr/lib/systemd/system/sysinit.target":    "[Unit]\nDefaultDependencies=no\n",
		"/usr/lib/systemd/system/cloud-init.target": "[Unit]\nAfter=multi-user.target\n",
		"/usr/lib/systemd/system/cloud-final.service": "[Unit]\nAfter=network-online.target\nAfter=multi-user.target\nBefore=apt-daily.service\n" +
			"[Service]\nType=oneshot\nExecStart=/bin/true\n[Install]\nWantedBy=cloud-init.target\n",
		"/usr/lib/systemd/system/lonely.service": "[Unit]\nAfter=late.service\n[Service]\nExecStart=/bin/true\n",
		"/usr/lib/systemd/system/getty@.service": "[Unit]\nAfter=multi-user.target\n[Service]\nExecStart=/bin/true\n",
		"/etc/systemd/system/late.service":       "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	}
	links := map[string]string{
		"/usr/lib/systemd/system/default.target":                          "multi-user.target",
		"/etc/systemd/system/cloud-init.target.wants/cloud-final.service": "/lib/systemd/system/cloud-final.service",
		"/etc/systemd/system/multi-user.target.wants/late.service":        "/etc/systemd/system/late.service",
		"/etc/systemd/system/multi-user.target.wants/getty@tty1.service":  "/lib/systemd/system/getty@.service",
	}
	s := store(t, files, links)
	opt := func(k, v string) *unit.UnitOption { return unit.NewUnitOption("Unit", k, v) }
	type extras = map[string][]*unit.UnitOption
	cases := map[string]extras{
		"a cycle":                {"late.service": {opt("After", "cloud-final.service")}},
		"the cycle broken":       {"late.service": {opt("After", "cloud-final.service"), opt("After", "multi-user.target")}},
		"before":                 {"late.service": {opt("Before", "cloud-final.service")}},
		"a unit pulled in":       {"late.service": {opt("Wants", "lonely.service"), opt("After", "lonely.service")}},
		"a target wants":         {"cloud-init.target": {opt("Wants", "late.service")}},
		"through the template":   {"getty@.service": {opt("Before", "multi-user.target")}},
		"default dependencies":   {"late.service": {opt("DefaultDependencies", "no")}},
		"a list emptied":         {"cloud-final.service": {opt("After", "")}},
		"a unit not in the boot": {"lonely.service": {opt("Before", "late.service")}},
	}
	base := s.BuildGraph(nil)
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			sameGraph(t, base.With(extra), s.BuildGraph(extra))
			more := extras{"late.service": {opt("After", "multi-user.target")}}
			both := maps.Clone(extra)
			both["late.service"] = append(slices.Clone(both["late.service"]), more["late.service"]...)
			sameGraph(t, base.With(extra).With(more), s.BuildGraph(both))
		})
	}
	if c := base.With(cases["a cycle"]).Cycles(); len(c) != 1 {
		t.Fatalf("the cycle case has cycles %v", c)
	}
	if c := s.BuildGraph(nil).Cycles(); len(c) != 0 {
		t.Fatalf("With changed the graph it was called on: cycles %v", c)
	}
}

func sameGraph(t *testing.T, got, want *Graph) {
	t.Helper()
	if !reflect.DeepEqual(got.Units, want.Units) {
		t.Errorf("units %v, want %v", slices.Sorted(maps.Keys(got.Units)), slices.Sorted(maps.Keys(want.Units)))
	}
	edges := func(g *Graph) []string {
		var out []string
		for a, xs := range g.After {
			for x := range xs {
				out = append(out, a+" after "+x)
			}
		}
		slices.Sort(out)
		return out
	}
	if g, w := edges(got), edges(want); !reflect.DeepEqual(g, w) {
		t.Errorf("orderings\n%v\nwant\n%v", g, w)
	}
	if g, w := fmt.Sprint(got.Cycles()), fmt.Sprint(want.Cycles()); g != w {
		t.Errorf("cycles %s, want %s", g, w)
	}
	for n := range want.Units {
		if g, w := got.TargetsPulling(n), want.TargetsPulling(n); !reflect.DeepEqual(g, w) {
			t.Errorf("targets pulling %s: %v, want %v", n, g, w)
		}
	}
}
