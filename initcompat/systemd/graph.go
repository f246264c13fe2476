package systemd

import (
	"sort"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"
)

// Graph is the boot transaction as far as ordering goes: the units pulled
// in from default.target, and which must start after which.
type Graph struct {
	// Units in the transaction, canonical names.
	Units map[string]bool
	// After[a] lists the units a starts after.
	After map[string]map[string]bool
	// Pulls[t] lists the units t pulls in (Wants=, Requires=, .wants links...).
	Pulls map[string][]string

	// What With needs to add options without reading the store again.
	s       *Store
	extra   map[string][]*unit.UnitOption
	loaded  map[string]*Unit
	linked  map[string][]string
	implied map[string]map[string]bool // t -> p: ordered by the target's default dependency only
}

// pullKeys are the [Unit] keys that pull another unit into the transaction.
var pullKeys = []string{"Wants", "Requires", "Requisite", "BindsTo", "Upholds"}

// impliedKeys are the keys whose targets a target is implicitly ordered
// after: the dependency types carrying UNIT_ATOM_ADD_DEFAULT_TARGET_DEPENDENCY_QUEUE
// in systemd/systemd src/core/unit-dependency-atom.c (commit
// a7ced3eb458039ccabd52d50544e1d00f27eed5b): Requires, Requisite, Wants,
// BindsTo, PartOf; not Upholds.
var impliedKeys = []string{"Wants", "Requires", "Requisite", "BindsTo", "PartOf"}

// Generated pull-ins that an image at rest does not show: cloud-init's
// generator links cloud-init.target into multi-user.target when cloud-init
// is enabled (its default).
var generated = map[string][]string{"multi-user.target": {"cloud-init.target"}}

// BuildGraph reads the transaction systemd would build at boot. extra holds
// options to add as if drop-ins carried them (the ones a plan would write).
func (s *Store) BuildGraph(extra map[string][]*unit.UnitOption) *Graph {
	return s.BuildGraphFrom([]string{"default.target"}, extra)
}

// BuildGraphFrom reads the transaction of starting the roots together, as
// systemctl start does: units nothing pulls in at boot have cycles too.
func (s *Store) BuildGraphFrom(roots []string, extra map[string][]*unit.UnitOption) *Graph {
	b := &graphBuilder{s: s, extra: extra, loaded: map[string]*Unit{}, implied: map[string]map[string]bool{},
		g: &Graph{Units: map[string]bool{}, After: map[string]map[string]bool{}, Pulls: map[string][]string{}}}
	b.linked = b.linkIndex()
	var queue []string
	for _, r := range roots {
		queue = append(queue, b.canon(r))
	}
	b.pullIn(queue)
	b.order()
	return b.done()
}

// done hands the graph over, with what With needs.
func (b *graphBuilder) done() *Graph {
	g := b.g
	g.s, g.extra, g.loaded, g.linked, g.implied = b.s, b.extra, b.loaded, b.linked, b.implied
	return g
}

// graphBuilder builds a Graph in two passes: the units pulled in from the
// roots, then the ordering among them.
type graphBuilder struct {
	s       *Store
	extra   map[string][]*unit.UnitOption
	g       *Graph
	loaded  map[string]*Unit
	linked  map[string][]string // unit -> what its .wants/.requires links name
	implied map[string]map[string]bool
}

// load is the unit with the extra options (a template's first, as systemd
// reads a template's drop-ins before the instance's), nil when masked.
func (b *graphBuilder) load(name string) *Unit {
	u := b.s.Load(name)
	if u == nil || u.Masked {
		return nil
	}
	if len(b.extra[u.Name]) == 0 && len(b.extra[TemplateOf(u.Name)]) == 0 {
		return u
	}
	c := *u
	c.Options = append(append(append([]*unit.UnitOption(nil), u.Options...), b.extra[TemplateOf(u.Name)]...), b.extra[u.Name]...)
	return &c
}

// canon is the name a unit loads as (an alias's target).
func (b *graphBuilder) canon(name string) string {
	if u := b.s.Load(name); u != nil && !u.Masked {
		return u.Name
	}
	return name
}

// pullIn walks the pull-ins breadth first from the roots: the pull keys,
// the .wants/.requires links, and cloud-init's generator.
func (b *graphBuilder) pullIn(queue []string) {
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if b.g.Units[n] {
			continue
		}
		u := b.load(n)
		if u == nil {
			continue
		}
		b.g.Units[n] = true
		b.loaded[n] = u
		var pulls []string
		for _, k := range pullKeys {
			pulls = append(pulls, u.Values("Unit", k)...)
		}
		pulls = append(pulls, b.linked[n]...)
		if n == "multi-user.target" && b.s.Load("cloud-init.target") != nil {
			pulls = append(pulls, generated[n]...)
		}
		for _, p := range pulls {
			p = b.canon(p)
			b.g.Pulls[n] = append(b.g.Pulls[n], p)
			queue = append(queue, p)
		}
	}
}

// linkIndex is, by unit, the units its .wants/.requires links name.
func (b *graphBuilder) linkIndex() map[string][]string {
	linked := map[string][]string{}
	for unitName, ws := range b.s.wantIndex() {
		for _, w := range ws {
			linked[b.canon(w.Target)] = append(linked[b.canon(w.Target)], unitName)
		}
	}
	return linked
}

// edge orders a after x, between two units of the graph.
func (b *graphBuilder) edge(a, x string) {
	if !b.g.Units[a] || !b.g.Units[x] || a == x {
		return
	}
	if b.g.After[a] == nil {
		b.g.After[a] = map[string]bool{}
	}
	b.g.After[a][x] = true
}

// order adds After=/Before= and the default dependencies systemd adds.
func (b *graphBuilder) order() {
	for n, u := range b.loaded {
		for _, x := range u.Values("Unit", "After") {
			b.edge(n, b.canon(x))
		}
		for _, x := range u.Values("Unit", "Before") {
			b.edge(b.canon(x), n)
		}
		if !defaultDeps(u) {
			continue
		}
		switch Suffix(n) {
		case "service", "socket", "timer", "path", "mount", "swap":
			b.edge(n, "sysinit.target")
			if Suffix(n) == "service" {
				b.edge(n, "basic.target")
			}
		}
	}
	b.targetDefaults()
}

// targetDefaults adds the After= a target gets on the units it wants or
// requires (systemd.target(5), "Implicit Dependencies"/"Default
// Dependencies"). systemd/systemd src/core/target.c (commit
// 015e21486bd1db2863938d81b413b774ffc2ed6d) target_add_default_dependencies
// calls src/core/unit.c (commit 23a749f2857088547c8ef3966e96b37c71510a1b)
// unit_add_default_target_dependency for each, which adds nothing when the
// target is not a target, either side has DefaultDependencies=no, or the
// target is already ordered Before= the unit ("Don't create loops"): the
// unit's own After=TARGET, or the target's Before=UNIT, both land in After
// here. Run after every explicit edge, as systemd loads a unit's drop-ins
// before it adds the implicit ones.
func (b *graphBuilder) targetDefaults() {
	for t, u := range b.loaded {
		if Suffix(t) != "target" || !defaultDeps(u) {
			continue
		}
		var implied []string
		for _, k := range impliedKeys {
			implied = append(implied, u.Values("Unit", k)...)
		}
		implied = append(implied, b.linked[t]...)
		if t == "multi-user.target" && b.s.Load("cloud-init.target") != nil {
			implied = append(implied, generated[t]...)
		}
		for _, p := range implied {
			b.impliedEdge(t, b.canon(p))
		}
	}
}

// impliedEdge orders target t after p by its default dependency, unless
// p is ordered after t already ("Don't create loops").
func (b *graphBuilder) impliedEdge(t, p string) {
	if pu := b.loaded[p]; pu == nil || !defaultDeps(pu) || b.g.After[p][t] || b.g.After[t][p] || t == p || !b.g.Units[t] {
		return
	}
	b.edge(t, p)
	if b.implied[t] == nil {
		b.implied[t] = map[string]bool{}
	}
	b.implied[t][p] = true
}

func defaultDeps(u *Unit) bool {
	v := strings.ToLower(u.Last("Unit", "DefaultDependencies"))
	return v != "no" && v != "false" && v != "0" && v != "off"
}

// Cycles returns every ordering cycle of the graph as a path of unit
// names, each starting after the next and the last after the first. The
// result is sorted and stable.
func (g *Graph) Cycles() [][]string {
	var out [][]string
	for _, scc := range g.components() {
		out = append(out, g.shortestCycle(scc))
	}
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i], " ") < strings.Join(out[j], " ") })
	return out
}

// Components returns the units of every strongly connected component that
// holds a cycle, each sorted: every unit of one is transitively ordered
// after every other, which is what makes a cycle of it.
func (g *Graph) Components() [][]string { return g.components() }

// successors lists what n is ordered after, sorted: the same graph always
// gives the same cycles.
func (g *Graph) successors(n string) []string {
	out := make([]string, 0, len(g.After[n]))
	for m := range g.After[n] {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// components are the strongly connected components of more than one unit
// (Tarjan's algorithm), each sorted.
func (g *Graph) components() [][]string {
	nodes := make([]string, 0, len(g.Units))
	for n := range g.Units {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	index, low := map[string]int{}, map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var sccs [][]string
	next := 0
	var visit func(string)
	visit = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range g.successors(v) {
			if _, seen := index[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var scc []string
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			scc = append(scc, w)
			if w == v {
				break
			}
		}
		if len(scc) > 1 {
			sort.Strings(scc)
			sccs = append(sccs, scc)
		}
	}
	for _, n := range nodes {
		if _, seen := index[n]; !seen {
			visit(n)
		}
	}
	return sccs
}

// shortestCycle is one readable cycle of a component: the shortest way
// back to its first unit, breadth first.
func (g *Graph) shortestCycle(scc []string) []string {
	in := map[string]bool{}
	for _, n := range scc {
		in[n] = true
	}
	start := scc[0]
	prev := map[string]string{start: ""}
	queue := []string{start}
	var end string
search:
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range g.successors(v) {
			if !in[w] {
				continue
			}
			if w == start {
				end = v
				break search
			}
			if _, seen := prev[w]; !seen {
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	var path []string
	for v := end; v != ""; v = prev[v] {
		path = append([]string{v}, path...)
	}
	return path
}

// FormatCycle writes a cycle as systemd-analyze would say it in words.
func FormatCycle(c []string) string {
	if len(c) == 0 {
		return ""
	}
	return strings.Join(c, " after ") + " after " + c[0]
}

// TargetsPulling returns the targets that pull name in directly, sorted.
func (g *Graph) TargetsPulling(name string) []string {
	var out []string
	for t, pulled := range g.Pulls {
		if Suffix(t) != "target" {
			continue
		}
		for _, p := range pulled {
			if p == name {
				out = append(out, t)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
