package planner

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// ShimPrune names what a configuration no longer asks for.

// A build run again with a shorter configuration leaves behind the shims
// of the services it no longer names. The manifest says what is
// initcompat's and which build last wrote it. What the configuration asks
// for is what its stages ask for in this very plan: the paths they change,
// and the paths they find already as asked (collector.keep), initcompat's
// own output of an earlier run among them. planPrune lists every other
// entry, and with Policy.Prune removes those of this build, in the plan's
// own all-or-nothing apply, under the rule BuildRemovePlan follows: a path
// a person changed since is kept, with a conflict. Entries of another
// build (a base image's) are listed, never removed: a derived build that
// does not mention them leaves them.
//
// (It once learned this from a second plan over the image without
// initcompat's paths, which doubled the cost of every run on an image with
// a manifest. The stages are idempotent, so what they ask for over their
// own output is what they would ask for without it; a stage that decides
// from its own earlier output, such as a unit's enablement as first
// written, is covered by the shim key below.)

// asked is what the stages of a plan asked for and found in place: paths,
// and each service's shims.
type asked struct {
	paths map[string]bool
	shims map[shimOf]bool
}

// shimOf stands for one service's shim: a shim still asked for keeps all
// its paths, since a stage may decide from its own earlier output and the
// stage itself replaces the paths of its that change.
type shimOf struct {
	service string
	shim    plan.Shim
}

func newAsked() *asked {
	return &asked{paths: map[string]bool{}, shims: map[shimOf]bool{}}
}

func (a *asked) add(service string, shim plan.Shim, p string) {
	a.paths[p] = true
	a.shims[shimOf{service, shim}] = true
}

func (a *asked) merge(b *asked) {
	for p := range b.paths {
		a.paths[p] = true
	}
	for s := range b.shims {
		a.shims[s] = true
	}
}

// has says whether the configuration asks for the entry's path or shim.
func (a *asked) has(m plan.ManifestEntry) bool {
	return a.paths[m.Path] || a.shims[shimOf{m.Service, m.Shim}]
}

// staleGroup is what one build made for one service and shim, no longer
// asked for.
type staleGroup struct {
	build, service string
	shim           plan.Shim
	paths          []string
	entries        []plan.ManifestEntry
}

func planPrune(inv *inspect.Inventory, col *collector, pol plan.Policy) {
	if col.kept == nil || len(col.plan.Errors()) > 0 {
		return
	}
	wanted := askedFor(col)
	groups, dirs := staleGroups(inv, pol, wanted)
	removed := map[string]bool{}
	for _, g := range groups {
		mine := g.build == pol.Build
		switch {
		case mine && pol.Prune:
			pruneGroup(inv, col, g, removed)
		case mine:
			col.find(plan.Info, g.service, plan.ShimPrune, "", fmt.Sprintf("%s made by %s, which this configuration no longer asks for: %s. prune = true removes them",
				g.what(), buildName(g.build), strings.Join(g.paths, " ")))
		default:
			col.find(plan.Info, g.service, plan.ShimPrune, "", fmt.Sprintf("%s made by %s, another build, which this configuration does not ask for: %s. They are kept (prune removes only what this build, %s, made)",
				g.what(), buildName(g.build), strings.Join(g.paths, " "), buildName(pol.Build)))
		}
	}
	if pol.Prune {
		pruneDirs(inv, col, dirs, removed, wanted)
	}
}

// askedFor is every path and shim the stages asked for: the ones they
// found in place, and the ones they change.
func askedFor(col *collector) *asked {
	wanted := col.kept
	for _, c := range col.plan.Changes {
		wanted.add(c.Service, c.Shim, c.Path)
	}
	return wanted
}

func (g *staleGroup) what() string {
	if g.service == "" {
		return fmt.Sprintf("the %s shim's paths", g.shim)
	}
	return fmt.Sprintf("the %s shim of %s", g.shim, g.service)
}

func buildName(b string) string {
	if b == "" {
		return "a build that did not record its name"
	}
	return "build " + fmt.Sprintf("%q", b)
}

// staleGroups gathers the manifest's entries that this plan neither wants
// nor changes, by build, service and shim, in path order; and the
// directories among them that this build made.
func staleGroups(inv *inspect.Inventory, pol plan.Policy, wanted *asked) ([]*staleGroup, []plan.ManifestEntry) {
	var dirs []plan.ManifestEntry
	byKey := map[string]*staleGroup{}
	var keys []string
	for _, m := range inv.Manifest.Entries {
		if wanted.has(m) || m.Path == pol.ManifestFile() || m.Shim == plan.ShimManifest {
			continue
		}
		if e, ok := inv.Tree.Lstat(m.Path); m.Kind != plan.KindDir && m.Kind != plan.KindRemoved && (!ok || !stillOurs(m, e)) {
			continue // gone, or a person's now (dpkg's conffile rule): not initcompat's to list
		}
		if m.Kind == plan.KindRemoved && disablesUnit(pol.Disable, m.Service) {
			continue // the link stays removed while disable names the unit
		}
		key := m.Build + "\x00" + m.Service + "\x00" + string(m.Shim)
		g := byKey[key]
		if g == nil {
			g = &staleGroup{build: m.Build, service: m.Service, shim: m.Shim}
			byKey[key] = g
			keys = append(keys, key)
		}
		if m.Kind == plan.KindDir {
			if m.Build == pol.Build {
				dirs = append(dirs, m) // removed only once emptied (pruneDirs)
			}
			continue
		}
		g.paths = append(g.paths, m.Path)
		g.entries = append(g.entries, m)
	}
	sort.Strings(keys)
	var out []*staleGroup
	for _, k := range keys {
		if g := byKey[k]; len(g.entries) > 0 {
			out = append(out, g)
		}
	}
	return out, dirs
}

// disablesUnit says whether disable names the unit a removed link's entry
// is of (its service: the unit's name without its type, cups for
// cups.socket as for cups.service).
func disablesUnit(names []string, service string) bool {
	for _, n := range names {
		if systemd.Prefix(plan.UnitName(n)) == service {
			return true
		}
	}
	return false
}

// pruneGroup removes what is still as this build left it; a link removed
// for disable is put back, as mode = "remove" does.
func pruneGroup(inv *inspect.Inventory, col *collector, g *staleGroup, removed map[string]bool) {
	places := Places()
	for _, m := range g.entries {
		e, exists := inv.Tree.Lstat(m.Path)
		switch why := notUndoable(inv, places, m, col.manifest); {
		case why != "" && (exists || m.Kind == plan.KindRemoved):
			col.conflict(m.Service, plan.ShimPrune, m.Path, why)
		case m.Kind == plan.KindRemoved && !exists:
			col.add(plan.Change{Op: plan.OpSymlink, Path: m.Path, Target: m.Target, Prior: plan.Absent, Service: m.Service, Shim: plan.ShimPrune,
				Reason: fmt.Sprintf("initcompat removed this link for disable in %s, and this configuration no longer disables %s: put back", buildName(m.Build), m.Service)})
		case m.Kind == plan.KindRemoved:
			col.conflict(m.Service, plan.ShimPrune, m.Path, "initcompat removed this link for disable and something is there now; it is not put back")
		case !exists:
		case stillOurs(m, e):
			col.remove(m.Service, plan.ShimPrune, m.Path, fmt.Sprintf("written by %s (%s), no longer asked for: prune = true removes it", buildName(m.Build), m.Shim))
			removed[m.Path] = true
		default:
			col.conflict(m.Service, plan.ShimPrune, m.Path, col.notOurs(m.Path, e)+"; prune keeps it")
		}
	}
}

// pruneDirs removes the directories this build made that nothing is left
// in once the pruned paths are gone, deepest first.
func pruneDirs(inv *inspect.Inventory, col *collector, dirs []plan.ManifestEntry, removed map[string]bool, wanted *asked) {
	t, places := inv.Tree, Places()
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Path > dirs[j].Path })
	for _, d := range dirs {
		e, ok := t.Lstat(d.Path)
		if !ok || e.Kind != tree.Dir || wanted.paths[d.Path] || path.Dir(d.Path) == d.Path || notUndoable(inv, places, d, col.manifest) != "" {
			continue
		}
		empty := true
		for _, c := range t.ReadDir(d.Path) {
			if !removed[c.Path] {
				empty = false
				break
			}
		}
		if empty {
			col.add(plan.Change{Op: plan.OpRemove, Path: d.Path, Prior: plan.Prior{Kind: plan.KindDir}, Service: d.Service, Shim: plan.ShimPrune,
				Reason: "made by initcompat, empty once the pruned paths are gone: removed"})
			removed[d.Path] = true
		}
	}
}
