package planner

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

var update = flag.Bool("update", false, "rewrite the expected plans, files and scripts in testdata")

const testVersion = "0.0.0-test"

// For the golden cases, which plan through the provisioner's configuration
// and so live in package planner_test (the provisioner imports this
// package).
var (
	Update      = update
	TestVersion = testVersion
	// The ordering shim's name and drop-in, for the ordering oracle.
	ShimOrdering   = shimOrdering
	OrderingDropIn = orderingDropIn
)

// inspectFor reads t as a build with pol does (initcompat.Inspect, which
// this package's own tests cannot import).
func inspectFor(t *tree.Tree, pol plan.Policy) *inspect.Inventory {
	return inspect.Inspect(t, inspect.Options{Manifest: pol.ManifestFile(), DropIns: DropIns(), Places: Places()})
}

// AttemptedOrderings is every drop-in the ordering shim would write for
// pol, cycle breaks included, whether or not it then refuses: what the
// ordering oracle hands systemd to judge a refusal by.
func AttemptedOrderings(t *tree.Tree, pol plan.Policy) map[string][]byte {
	inv := inspectFor(t, pol)
	inv.Manifest = nil
	col := newCollector(inv, pol)
	set := validOrderings(inv, col, pol.Ordering)
	breakCycles(inv, col, set)
	out := map[string][]byte{}
	for _, n := range set.order {
		out[n] = renderDropIn(pol.Version, set.byUnit[n])
	}
	return out
}

// PruneAgreesWithASecondPlan compares what prune finds no longer asked for
// on t (what this plan's stages did not ask for) with what the second plan
// it used to make found: the same configuration planned over the image
// without initcompat's paths, whose changes were what is asked for. It
// returns "" when both give the same stale groups, else both.
func PruneAgreesWithASecondPlan(t *tree.Tree, pol plan.Policy) string {
	inv := inspectFor(t, pol)
	col := planShims(inv, pol)
	if col.kept == nil || len(col.plan.Errors()) > 0 {
		return ""
	}
	oneGroups, oneDirs := staleGroups(inv, pol, askedFor(col))
	twoGroups, twoDirs := staleGroups(inv, pol, askedBySecondPlan(t, inv.Manifest, pol))
	one, two := fmt.Sprint(stale(oneGroups), oneDirs), fmt.Sprint(stale(twoGroups), twoDirs)
	if one == two {
		return ""
	}
	return "one plan: " + one + "\nsecond plan: " + two
}

func stale(gs []*staleGroup) []staleGroup {
	out := make([]staleGroup, len(gs))
	for i, g := range gs {
		out[i] = *g
	}
	return out
}

// askedBySecondPlan is prune's former way to learn what is asked for.
func askedBySecondPlan(t *tree.Tree, m *plan.Manifest, pol plan.Policy) *asked {
	without := tree.New()
	for _, p := range t.Paths() {
		e, _ := t.Lstat(p)
		if e == nil {
			continue
		}
		if ok := slices.ContainsFunc(m.Entries, func(me plan.ManifestEntry) bool { return me.Path == p && stillOurs(me, e) }); !ok {
			_ = without.Add(*e)
		}
	}
	pol.Prune, pol.ReportDrift = false, false
	wanted := newAsked()
	for _, c := range Plan(inspectFor(without, pol), pol).Changes {
		wanted.add(c.Service, c.Shim, c.Path)
	}
	return wanted
}

// ReinspectAgrees plans t's Upstart units and compares the inventory read
// again after them (reinspect) with a whole Inspect of the image as they
// leave it: "" when they agree, else what differs.
func ReinspectAgrees(t *tree.Tree, pol plan.Policy) string {
	inv := inspectFor(t, pol)
	col := newCollector(inv, pol)
	in := &input{inv: inv, pol: pol, jobs: jobMemo{}}
	in.scope, _ = scopeOf(inv, pol)
	planUpstartUnits(in, col)
	if len(col.plan.Changes) == 0 {
		return ""
	}
	after := plan.Overlay(t, col.plan.Changes)
	got, want := inv.Reinspect(after), inspectFor(after, pol)
	describe := func(i *inspect.Inventory) string {
		var b strings.Builder
		fmt.Fprintf(&b, "init=%s distro=%v tools=%+v cloud-init=%v initd=%s rc=%v dpkg=%v jobs=%d units=%v\n",
			i.Init, i.Distro, i.Tools, i.CloudInit, i.InitD, i.RC, i.DpkgLists, len(i.Jobs), i.Units.Names())
		for _, s := range i.Services {
			fmt.Fprintf(&b, "%s unit=%v alias=%q state=%+v script=%v job=%v packaged=%v custom=%v\n",
				s.Name, s.Unit != nil && s.Unit.Fragment != "", s.Alias, s.UnitState, s.Script != nil, s.Job != nil, s.Packaged, s.Custom())
		}
		return b.String()
	}
	if g, w := describe(got), describe(want); g != w {
		return "reinspect:\n" + g + "Inspect:\n" + w
	}
	return ""
}
