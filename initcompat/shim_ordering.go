package initcompat

import (
	"fmt"
	"path"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// ShimOrdering writes the ordering drop-ins.
const ShimOrdering = "ordering"

// OrderingDropIn is the drop-in file name initcompat owns in NAME.d/.
const OrderingDropIn = "initcompat-ordering.conf"

// orderingPlan is what one unit's drop-in will say.
type orderingPlan struct {
	unit    string // the unit the drop-in is for (a template for instances)
	service string // the service it was asked for
	sources []string
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
func planOrdering(pl *planner) {
	rules := pl.pol.rules()
	if len(rules) == 0 {
		return
	}
	inv := pl.inv
	if inv.Init != Systemd {
		for _, r := range rules {
			pl.find(Warning, systemd.Prefix(r.Unit), ShimOrdering, "", fmt.Sprintf("%s asks for ordering, which needs systemd; this image boots with %s", r.Source, inv.Init))
		}
		return
	}
	var order []string
	byUnit := map[string]*orderingPlan{}
	get := func(name, service string) *orderingPlan {
		o := byUnit[name]
		if o == nil {
			o = &orderingPlan{unit: name, service: service}
			byUnit[name] = o
			order = append(order, name)
		}
		return o
	}
	for _, r := range rules {
		svc := systemd.Prefix(r.Unit)
		if !pl.checkUnitName(ShimOrdering, r.Source, r.Unit) {
			continue
		}
		u := inv.Units.Load(r.Unit)
		if u == nil {
			pl.find(Error, svc, ShimOrdering, "", pl.missingUnit(r.Source, r.Unit))
			continue
		}
		if u.Masked {
			pl.find(Warning, svc, ShimOrdering, "", r.Unit+" is masked; ordering it changes nothing")
			continue
		}
		bad := false
		for _, v := range append(append(append([]string{}, r.After...), r.Before...), r.Wants...) {
			if !systemd.ValidName(v) {
				pl.find(Error, svc, ShimOrdering, "", fmt.Sprintf("%s: %q is not a unit name", r.Source, v))
				bad = true
			}
		}
		for _, m := range r.RequiresMountsFor {
			if !tree.IsClean(m) || strings.ContainsAny(m, " \t\n\\%") {
				pl.find(Error, svc, ShimOrdering, "", fmt.Sprintf("%s: requires_mounts_for %q is not an absolute, clean path without spaces", r.Source, m))
				bad = true
			}
		}
		if bad {
			continue
		}
		targets := []string{u.Name}
		// A wrapper whose daemon runs as instances of NAME@.service (Debian's
		// postfix) orders the instances too: the template's drop-in reaches
		// every instance.
		if tmpl := systemd.Prefix(u.Name) + "@.service"; systemd.Suffix(u.Name) == "service" {
			if t := inv.Units.Load(tmpl); t != nil && !t.Masked && contains(t.Values("Unit", "PartOf"), u.Name) {
				targets = append(targets, tmpl)
			}
		}
		for _, name := range targets {
			o := get(name, svc)
			o.sources = appendOnce(o.sources, r.Source)
			o.add("After", r.After)
			o.add("Before", r.Before)
			o.add("Wants", r.Wants)
			o.add("RequiresMountsFor", r.RequiresMountsFor)
		}
		if r.Source == "start_after_user_data" && !inv.CloudInit {
			pl.find(Warning, svc, ShimOrdering, "", "cloud-final.service is not in the image: the drop-in is written but inert until cloud-init is installed")
		}
	}
	if len(order) == 0 {
		return
	}

	extra := func() map[string][]*unit.UnitOption {
		m := map[string][]*unit.UnitOption{}
		for _, n := range order {
			o := byUnit[n]
			m[n] = append(append([]*unit.UnitOption(nil), o.opts...), afterOpts(o.breaks)...)
		}
		return m
	}
	before := cycleSet(inv.Units.BuildGraph(nil).Cycles())
	for _, c := range sortedKeys(before) {
		pl.find(Warning, "", ShimOrdering, "", "the image already has an ordering cycle, before any change: "+c+"; systemd deletes one of its jobs at boot")
	}
	g := inv.Units.BuildGraph(extra())
	if fresh := newCycles(g.Cycles(), before); len(fresh) > 0 {
		for _, c := range fresh {
			for _, n := range c {
				o := byUnit[n]
				if o == nil {
					o = byUnit[systemd.TemplateOf(n)]
				}
				if o == nil {
					continue
				}
				for _, t := range g.TargetsPulling(n) {
					o.breaks = appendOnce(o.breaks, t)
				}
			}
		}
		if left := newCycles(inv.Units.BuildGraph(extra()).Cycles(), before); len(left) > 0 {
			for _, c := range left {
				pl.find(Error, "", ShimOrdering, "", "the requested ordering makes an ordering cycle that initcompat cannot break: "+systemd.FormatCycle(c)+
					"; systemd would delete a job in it at every boot. Drop one of the orderings, or order the unit differently")
			}
			return
		}
	}
	etc := realPath(inv.Tree, "/etc/systemd/system")
	for _, n := range order {
		o := byUnit[n]
		p := path.Join(etc, n+".d", OrderingDropIn)
		if pl.writeFile(o.service, ShimOrdering, p, 0o644, renderDropIn(pl.pol.Version, o), orderingReason(o)) {
			for _, opt := range extra()[n] {
				if opt.Name == "After" {
					pl.after[n] = append(pl.after[n], opt.Value)
				}
			}
		}
	}
}

func afterOpts(targets []string) []*unit.UnitOption {
	var out []*unit.UnitOption
	for _, t := range targets {
		out = append(out, unit.NewUnitOption("Unit", "After", t))
	}
	return out
}

func renderDropIn(version string, o *orderingPlan) []byte {
	var b strings.Builder
	b.WriteString(Marker(version) + "\n")
	fmt.Fprintf(&b, "# Asked for by %s.\n[Unit]\n", strings.Join(o.sources, " and "))
	for _, key := range []string{"After", "Before", "Wants", "RequiresMountsFor"} {
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
	r := fmt.Sprintf("%s: %s", strings.Join(o.sources, ", "), o.unit)
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

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
