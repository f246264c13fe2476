package planner

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The ordering shim: its name and the drop-in file name it owns in NAME.d/.
const (
	shimOrdering   plan.Shim = "ordering"
	orderingDropIn string    = "initcompat-ordering.conf"
)

// userDataAfter is what start_after_user_data orders a unit after: EC2
// user data runs in cloud-final.service (cloud-init), and what it mounts
// is a remote file system.
var userDataAfter = []string{"cloud-final.service", "remote-fs.target"}

// shimOrderings orders units as asked (start_after_user_data, ordering
// blocks) with a drop-in each, and breaks the cycles that would close.
var shimOrderings = &shim{
	name:      shimOrdering,
	footprint: footprint{dropIns: []string{orderingDropIn}, dirs: []string{"/etc/systemd/system"}},
	step: func(in *input, col *collector) decided {
		return decided{after: planOrdering(in, col)}
	},
}

// orderingPlan is what one unit's drop-in will say.
type orderingPlan struct {
	unit    string // the unit the drop-in is for (a template for instances)
	service string // the service it was asked for
	sources []plan.Source
	opts    []*unit.UnitOption
	breaks  []string // targets it is ordered after to break a cycle
}

func (o *orderingPlan) add(key string, values []string) {
	for _, v := range values {
		dup := false
		for _, e := range o.opts {
			if e.Name == key && e.Value == v {
				dup = true
			}
		}
		if !dup {
			o.opts = append(o.opts, unit.NewUnitOption("Unit", key, v))
		}
	}
}

// planOrdering orders units as asked, checks the boot graph for the cycles
// that would make systemd drop a job, breaks them the way systemd documents
// (order the unit after the targets that pull it in), and fails with the
// cycle when it cannot.
func planOrdering(in *input, col *collector) (after map[string][]string) {
	rules := in.pol.Ordering
	if len(rules) == 0 {
		return nil
	}
	if in.inv.Init != inspect.Systemd {
		for _, r := range rules {
			col.find(plan.Warning, systemd.Prefix(r.Unit), shimOrdering, "", fmt.Sprintf("%s asks for ordering, which needs systemd; this image boots with %s", r.Source, in.inv.Init))
		}
		return nil
	}
	set := validOrderings(in.inv, col, rules)
	if len(set.order) == 0 || !breakCycles(in.inv, col, set) {
		return nil
	}
	return writeOrderings(in.inv, col, set)
}

// orderings are the drop-ins to write, by unit, in the order first asked.
type orderings struct {
	order  []string
	byUnit map[string]*orderingPlan
}

func (s *orderings) get(name, service string) *orderingPlan {
	o := s.byUnit[name]
	if o == nil {
		o = &orderingPlan{unit: name, service: service}
		s.byUnit[name] = o
		s.order = append(s.order, name)
	}
	return o
}

// options is every unit's drop-in as it stands, cycle breaks included.
func (s *orderings) options() map[string][]*unit.UnitOption {
	m := map[string][]*unit.UnitOption{}
	for _, n := range s.order {
		o := s.byUnit[n]
		m[n] = append(append([]*unit.UnitOption(nil), o.opts...), afterOpts(o.breaks)...)
	}
	return m
}

// validOrderings checks each rule (unit names, paths, the unit's
// existence) and gathers the valid ones by the units they order.
func validOrderings(inv *inspect.Inventory, col *collector, rules []plan.OrderingRule) *orderings {
	set := &orderings{byUnit: map[string]*orderingPlan{}}
	for _, r := range rules {
		r.Unit = plan.UnitName(r.Unit)
		svc := systemd.Prefix(r.Unit)
		if !col.checkUnitName(shimOrdering, r.Source.String(), r.Unit) {
			continue
		}
		u := inv.Units.Load(r.Unit)
		if u == nil {
			col.find(plan.Error, svc, shimOrdering, "", missingUnit(inv, r.Source.String(), r.Unit))
			continue
		}
		if u.Masked {
			col.find(plan.Warning, svc, shimOrdering, "", r.Unit+" is masked; ordering it changes nothing")
			continue
		}
		if !validRule(col, svc, r) {
			continue
		}
		targets := []string{u.Name}
		// A wrapper whose daemon runs as instances of NAME@.service (Debian's
		// postfix) orders the instances too: the template's drop-in reaches
		// every instance.
		if tmpl := systemd.Prefix(u.Name) + "@.service"; systemd.Suffix(u.Name) == "service" {
			if t := inv.Units.Load(tmpl); t != nil && !t.Masked && slices.Contains(t.Values("Unit", "PartOf"), u.Name) {
				targets = append(targets, tmpl)
			}
		}
		for _, name := range targets {
			o := set.get(name, svc)
			if !slices.Contains(o.sources, r.Source) {
				o.sources = append(o.sources, r.Source)
			}
			after := r.After
			if r.AfterUserData {
				after = append(slices.Clone(userDataAfter), r.After...)
			}
			o.add("After", after)
			o.add("Before", r.Before)
			o.add("Wants", r.Wants)
			o.add("RequiresMountsFor", r.RequiresMountsFor)
		}
		if r.AfterUserData && !inv.CloudInit {
			col.find(plan.Warning, svc, shimOrdering, "", "cloud-final.service is not in the image: the drop-in is written but inert until cloud-init is installed")
		}
	}
	return set
}

// validRule checks the values of a rule: unit names, and mount paths that
// a drop-in line can carry.
func validRule(col *collector, svc string, r plan.OrderingRule) bool {
	ok := true
	for _, v := range append(append(append([]string{}, r.After...), r.Before...), r.Wants...) {
		if !systemd.ValidName(v) {
			col.find(plan.Error, svc, shimOrdering, "", fmt.Sprintf("%s: %q is not a unit name", r.Source, v))
			ok = false
		}
	}
	for _, m := range r.RequiresMountsFor {
		if !tree.IsClean(m) || strings.ContainsAny(m, " \t\n\\%") {
			col.find(plan.Error, svc, shimOrdering, "", fmt.Sprintf("%s: requires_mounts_for %q is not an absolute, clean path without spaces", r.Source, m))
			ok = false
		}
	}
	return ok
}

// breakCycles checks the boot graph with the drop-ins: a cycle they would
// close is broken by ordering the unit after the targets that pull it in
// (as systemd documents); one that cannot be broken fails the build. Cycles
// the image had before are warnings. It reports whether to write.
func breakCycles(inv *inspect.Inventory, col *collector, set *orderings) bool {
	// The boot graph is built once; each round's drop-ins are laid on it.
	boot := inv.Units.BuildGraph(nil)
	before := cycleSet(boot.Cycles())
	for _, c := range slices.Sorted(maps.Keys(before)) {
		col.find(plan.Warning, "", shimOrdering, "", "the image already has an ordering cycle, before any change: "+c+"; systemd deletes one of its jobs at boot")
	}
	// Each round breaks every component a fresh cycle is in, and the next
	// round looks again: a component can hold one cycle per ordered unit
	// (two services after cloud-final, each closing its own loop through
	// multi-user.target), and its shortest cycle names only one of them.
	// A round that adds no break ends the search; the breaks are finite.
	// The graph of a round that adds no break is the graph of the
	// drop-ins as they stand: its cycles are the ones left.
	var left [][]string
	for {
		g := boot.With(set.options())
		left = newCycles(g.Cycles(), before)
		if len(left) == 0 {
			return true
		}
		if !addBreaks(set, g, left) {
			break
		}
	}
	for _, c := range left {
		col.find(plan.Error, "", shimOrdering, "", "the requested ordering makes an ordering cycle that initcompat cannot break: "+systemd.FormatCycle(c)+
			"; systemd would delete a job in it at every boot. Drop one of the orderings, or order the unit differently")
	}
	return len(left) == 0
}

// addBreaks orders each asked-for unit of the components the cycles are in
// after the targets of the same component that pull it in, and reports
// whether that added anything. Such a unit already starts after those
// targets, through the component; the After= only takes away the target's
// implicit After= on the unit, which is what closes the cycle.
func addBreaks(set *orderings, g *systemd.Graph, cycles [][]string) bool {
	added := false
	for _, comp := range g.Components() {
		in := map[string]bool{}
		for _, n := range comp {
			in[n] = true
		}
		if !holdsAny(in, cycles) {
			continue
		}
		for _, n := range comp {
			o := set.byUnit[n]
			if o == nil {
				o = set.byUnit[systemd.TemplateOf(n)]
			}
			if o == nil {
				continue
			}
			for _, t := range g.TargetsPulling(n) {
				if in[t] && !slices.Contains(o.breaks, t) {
					o.breaks = append(o.breaks, t)
					added = true
				}
			}
		}
	}
	return added
}

// holdsAny reports whether a component holds one of the cycles.
func holdsAny(in map[string]bool, cycles [][]string) bool {
	for _, c := range cycles {
		if len(c) > 0 && in[c[0]] {
			return true
		}
	}
	return false
}

// writeOrderings plans the drop-ins, and returns the After= each one adds
// to its unit (a redirect's Required-Start follows them).
func writeOrderings(inv *inspect.Inventory, col *collector, set *orderings) map[string][]string {
	etc := inspect.RealPath(inv.Tree, "/etc/systemd/system")
	opts := set.options()
	after := map[string][]string{}
	for _, n := range set.order {
		o := set.byUnit[n]
		p := path.Join(etc, n+".d", orderingDropIn)
		if !col.writeFile(o.service, shimOrdering, p, 0o644, renderDropIn(col.version, o), orderingReason(o), o.expect(n, p)...) {
			continue
		}
		for _, opt := range opts[n] {
			if opt.Name == "After" {
				after[n] = append(after[n], opt.Value)
			}
		}
	}
	return after
}

func afterOpts(targets []string) []*unit.UnitOption {
	var out []*unit.UnitOption
	for _, t := range targets {
		out = append(out, unit.NewUnitOption("Unit", "After", t))
	}
	return out
}

// dropInKeys are the keys a drop-in sets, in the order it sets them.
var dropInKeys = []string{"After", "Before", "Wants", "RequiresMountsFor"}

// expect is what verify asks of the unit once its drop-in (at p) is in
// place: loaded, the drop-in among its DropInPaths, and each setting the
// drop-in makes in effect, in the order renderDropIn writes them.
func (o *orderingPlan) expect(unit, p string) []plan.Expect {
	out := []plan.Expect{
		{Check: plan.CheckLoaded, Unit: unit, Args: []string{unit, "loaded"}},
		{Check: plan.CheckDropIn, Unit: unit, Args: []string{unit, p}},
	}
	depends := func(key, value string) {
		out = append(out, plan.Expect{Check: plan.CheckDepends, Unit: unit, Args: []string{unit, key, value}})
	}
	for _, key := range dropInKeys {
		for _, opt := range o.opts {
			if opt.Name == key {
				depends(key, opt.Value)
			}
		}
	}
	for _, t := range o.breaks {
		depends("After", t)
	}
	return out
}

func renderDropIn(version string, o *orderingPlan) []byte {
	var b strings.Builder
	b.WriteString(plan.Marker(version) + "\n")
	fmt.Fprintf(&b, "# Asked for by %s.\n[Unit]\n", joinSources(o.sources, " and "))
	for _, key := range dropInKeys {
		var vals []string
		for _, opt := range o.opts {
			if opt.Name == key {
				vals = append(vals, opt.Value)
			}
		}
		if len(vals) > 0 {
			fmt.Fprintf(&b, "%s=%s\n", key, strings.Join(vals, " "))
		}
	}
	if len(o.breaks) > 0 {
		b.WriteString("# Without this line the boot has an ordering cycle (a target waits for this\n")
		b.WriteString("# unit, which waits for something after the target) and systemd deletes a job.\n")
		fmt.Fprintf(&b, "After=%s\n", strings.Join(o.breaks, " "))
	}
	return []byte(b.String())
}

func orderingReason(o *orderingPlan) string {
	var after []string
	for _, opt := range o.opts {
		if opt.Name == "After" {
			after = append(after, opt.Value)
		}
	}
	r := fmt.Sprintf("%s: %s", joinSources(o.sources, ", "), o.unit)
	if len(after) > 0 {
		r += " starts after " + strings.Join(after, " ")
	}
	if len(o.breaks) > 0 {
		r += "; also after " + strings.Join(o.breaks, " ") + ", which breaks the ordering cycle the first would make"
	}
	return r
}

func cycleSet(cs [][]string) map[string]bool {
	out := map[string]bool{}
	for _, c := range cs {
		out[systemd.FormatCycle(c)] = true
	}
	return out
}

func newCycles(cs [][]string, before map[string]bool) [][]string {
	var out [][]string
	for _, c := range cs {
		if !before[systemd.FormatCycle(c)] {
			out = append(out, c)
		}
	}
	return out
}

// joinSources names the settings that asked for a drop-in.
func joinSources(sources []plan.Source, sep string) string {
	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.String()
	}
	return strings.Join(names, sep)
}
