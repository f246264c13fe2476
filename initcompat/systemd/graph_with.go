package systemd

import (
	"maps"
	"slices"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"
)

// With is the graph as if built with extra added to the options it was
// built with (drop-ins a plan would write), derived from g rather than
// read from the store again: the ordering shim tries drop-ins round after
// round over one boot graph. g itself is not changed.
func (g *Graph) With(extra map[string][]*unit.UnitOption) *Graph {
	b := g.builder(extra)
	var changed []string
	for _, n := range slices.Sorted(maps.Keys(g.loaded)) {
		if len(extra[n]) > 0 || len(extra[TemplateOf(n)]) > 0 {
			changed = append(changed, n)
		}
	}
	if len(changed) == 0 {
		return b.done()
	}
	units := len(b.g.Units)
	var queue []string
	for _, n := range changed {
		b.loaded[n] = b.load(n)
		added := addedOptions(extra, n)
		for _, k := range pullKeys {
			for _, p := range added.Values("Unit", k) {
				p = b.canon(p)
				b.g.Pulls[n] = append(b.g.Pulls[n], p)
				queue = append(queue, p)
			}
		}
	}
	b.pullIn(queue)
	if len(b.g.Units) != units || !plain(extra) {
		// Units new to the transaction are ordered against every other
		// (whose After= may name them), as a build orders them.
		b.g.After, b.implied = map[string]map[string]bool{}, map[string]map[string]bool{}
		b.order()
		return b.done()
	}
	// The same units: the added orderings, each taking the place of the
	// implied one the other way (a build adds the implied ones last, and
	// not against an explicit one), then the targets' added implied ones.
	for _, n := range changed {
		added := addedOptions(extra, n)
		for _, x := range added.Values("Unit", "After") {
			b.explicitEdge(n, b.canon(x))
		}
		for _, x := range added.Values("Unit", "Before") {
			b.explicitEdge(b.canon(x), n)
		}
	}
	for _, t := range changed {
		if Suffix(t) != "target" || !defaultDeps(b.loaded[t]) {
			continue
		}
		added := addedOptions(extra, t)
		for _, k := range impliedKeys {
			for _, p := range added.Values("Unit", k) {
				b.impliedEdge(t, b.canon(p))
			}
		}
	}
	return b.done()
}

// builder is a graphBuilder holding a copy of g, with extra added to the
// options g was built with.
func (g *Graph) builder(extra map[string][]*unit.UnitOption) *graphBuilder {
	merged := maps.Clone(g.extra)
	if merged == nil {
		merged = map[string][]*unit.UnitOption{}
	}
	for n, opts := range extra {
		merged[n] = append(slices.Clone(merged[n]), opts...)
	}
	c := &Graph{Units: maps.Clone(g.Units), After: make(map[string]map[string]bool, len(g.After)),
		Pulls: make(map[string][]string, len(g.Pulls))}
	for n, a := range g.After {
		c.After[n] = maps.Clone(a)
	}
	for n, p := range g.Pulls {
		c.Pulls[n] = slices.Clone(p)
	}
	implied := make(map[string]map[string]bool, len(g.implied))
	for t, ps := range g.implied {
		implied[t] = maps.Clone(ps)
	}
	return &graphBuilder{s: g.s, extra: merged, g: c, loaded: maps.Clone(g.loaded), linked: g.linked, implied: implied}
}

// explicitEdge orders a after x, where an implied x after a gives way.
func (b *graphBuilder) explicitEdge(a, x string) {
	if !b.g.Units[a] || !b.g.Units[x] || a == x {
		return
	}
	if b.implied[x][a] {
		delete(b.g.After[x], a)
		delete(b.implied[x], a)
	}
	b.edge(a, x)
}

// addedOptions is a unit of only the options extra adds to n, the
// template's first, as load adds them.
func addedOptions(extra map[string][]*unit.UnitOption, n string) *Unit {
	return &Unit{Name: n, Options: append(slices.Clone(extra[TemplateOf(n)]), extra[n]...)}
}

// plain says whether the options only add orderings and pull-ins: none
// sets DefaultDependencies= or empties a list (which drops the values
// before it), for which With orders the graph again whole.
func plain(extra map[string][]*unit.UnitOption) bool {
	for _, opts := range extra {
		for _, o := range opts {
			if o.Section != "Unit" {
				continue
			}
			if o.Name == "DefaultDependencies" || strings.TrimSpace(o.Value) == "" {
				return false
			}
		}
	}
	return true
}
