package initcompat

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// ShimPrune names what a configuration no longer asks for.
const ShimPrune Shim = "prune"

// A build run again with a shorter configuration leaves behind the shims
// of the services it no longer names. The manifest says what is
// initcompat's and which build last wrote it. What the configuration asks
// for is what it would make on the image without initcompat's paths (the
// same plan over the snapshot with every path the manifest lists, and
// that is still as initcompat left it, taken away): whatever the stages
// find already in place counts. planPrune lists every other entry, and
// with Policy.Prune removes
// those of this build, in the plan's own all-or-nothing apply, under the
// rule BuildRemovePlan follows: a path a person changed since is kept,
// with a conflict. Entries of another build (a base image's) are listed,
// never removed: a derived build that does not mention them leaves them.

// staleGroup is what one build made for one service and shim, no longer
// asked for.
type staleGroup struct {
	build, service string
	shim           Shim
	paths          []string
	entries        []ManifestEntry
}

func planPrune(pl *planner, snapshot *tree.Tree) {
	if pl.pol.asking || pl.inv.Manifest == nil || len(pl.inv.Manifest.Entries) == 0 || len(pl.plan.Errors()) > 0 {
		return
	}
	wanted := askedFor(pl, snapshot)
	groups, dirs := staleGroups(pl, wanted)
	removed := map[string]bool{}
	for _, g := range groups {
		mine := g.build == pl.pol.Build
		switch {
		case mine && pl.pol.Prune:
			pruneGroup(pl, g, removed)
		case mine:
			pl.find(Info, g.service, ShimPrune, "", fmt.Sprintf("%s made by %s, which this configuration no longer asks for: %s. prune = true removes them",
				g.what(), buildName(g.build), strings.Join(g.paths, " ")))
		default:
			pl.find(Info, g.service, ShimPrune, "", fmt.Sprintf("%s made by %s, another build, which this configuration does not ask for: %s. They are kept (prune removes only what this build, %s, made)",
				g.what(), buildName(g.build), strings.Join(g.paths, " "), buildName(pl.pol.Build)))
		}
	}
	if pl.pol.Prune {
		pruneDirs(pl, dirs, removed, wanted)
	}
}

// askedFor is every path the configuration makes on the snapshot without
// initcompat's own paths.
func askedFor(pl *planner, snapshot *tree.Tree) map[string]bool {
	gone := map[string]bool{}
	for _, m := range pl.inv.Manifest.Entries {
		if e, ok := snapshot.Lstat(m.Path); ok && stillOurs(m, e) {
			gone[m.Path] = true
		}
	}
	// A new tree rather than Overlay's removals: Tree.Remove scans every
	// entry for children, quadratic over a manifest of 80,000 files and
	// links (which have none).
	without := tree.New()
	for _, p := range snapshot.Paths() {
		if e, _ := snapshot.Lstat(p); !gone[p] && e != nil {
			_ = without.Add(*e)
		}
	}
	pol := pl.pol
	pol.asking, pol.ReportDrift = true, false
	fresh := BuildPlan(without, pol)
	wanted := make(map[string]bool, 2*len(fresh.Changes))
	for _, c := range fresh.Changes {
		wanted[c.Path] = true
		wanted[shimKey(c.Service, c.Shim)] = true
	}
	return wanted
}

// shimKey stands for one service's shim in the set askedFor returns: a
// shim still asked for keeps all its paths, since a stage may decide from
// its own earlier output (a unit's enablement as first written) and the
// stage itself replaces the paths of its that change.
func shimKey(service string, shim Shim) string { return "\x00" + service + "\x00" + string(shim) }

// stillOurs says whether the path is as the manifest recorded it.
func stillOurs(m ManifestEntry, e *tree.Entry) bool {
	return m.Kind == KindFile && e.Kind == tree.File && !e.Omitted && sum(e.Data) == m.SHA256 ||
		m.Kind == KindSymlink && e.Kind == tree.Symlink && e.Target == m.Target
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
func staleGroups(pl *planner, wanted map[string]bool) ([]*staleGroup, []ManifestEntry) {
	var dirs []ManifestEntry
	changed := map[string]bool{}
	for _, c := range pl.plan.Changes {
		changed[c.Path] = true
	}
	byKey := map[string]*staleGroup{}
	var keys []string
	for _, m := range pl.inv.Manifest.Entries {
		if wanted[m.Path] || wanted[shimKey(m.Service, m.Shim)] || changed[m.Path] || m.Path == pl.pol.manifestPath() || m.Shim == ShimManifest {
			continue
		}
		if e, ok := pl.inv.Tree.Lstat(m.Path); m.Kind != KindDir && m.Kind != KindRemoved && (!ok || !stillOurs(m, e)) {
			continue // gone, or a person's now (dpkg's conffile rule): not initcompat's to list
		}
		if m.Kind == KindRemoved && slicesContainsUnit(pl.pol.Disable, m.Service) {
			continue // the link stays removed while disable names the unit
		}
		key := m.Build + "\x00" + m.Service + "\x00" + string(m.Shim)
		g := byKey[key]
		if g == nil {
			g = &staleGroup{build: m.Build, service: m.Service, shim: m.Shim}
			byKey[key] = g
			keys = append(keys, key)
		}
		if m.Kind == KindDir {
			if m.Build == pl.pol.Build {
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

func slicesContainsUnit(names []string, service string) bool {
	for _, n := range names {
		if strings.TrimSuffix(n, ".service") == strings.TrimSuffix(service, ".service") {
			return true
		}
	}
	return false
}

// pruneGroup removes what is still as this build left it; a link removed
// for disable is put back, as mode = "remove" does.
func pruneGroup(pl *planner, g *staleGroup, removed map[string]bool) {
	t := pl.inv.Tree
	for _, m := range g.entries {
		e, exists := t.Lstat(m.Path)
		switch {
		case m.Kind == KindRemoved && !exists:
			pl.add(Change{Op: OpSymlink, Path: m.Path, Target: m.Target, Prior: Absent, Service: m.Service, Shim: ShimPrune,
				Reason: fmt.Sprintf("initcompat removed this link for disable in %s, and this configuration no longer disables %s: put back", buildName(m.Build), m.Service)})
		case m.Kind == KindRemoved:
			pl.conflict(m.Service, ShimPrune, m.Path, "initcompat removed this link for disable and something is there now; it is not put back")
		case !exists:
		case stillOurs(m, e):
			pl.remove(m.Service, ShimPrune, m.Path, fmt.Sprintf("written by %s (%s), no longer asked for: prune = true removes it", buildName(m.Build), m.Shim))
			removed[m.Path] = true
		default:
			pl.conflict(m.Service, ShimPrune, m.Path, pl.notOurs(m.Path, e)+"; prune keeps it")
		}
	}
}

// pruneDirs removes the directories this build made that nothing is left
// in once the pruned paths are gone, deepest first.
func pruneDirs(pl *planner, dirs []ManifestEntry, removed, wanted map[string]bool) {
	t := pl.inv.Tree
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Path > dirs[j].Path })
	for _, d := range dirs {
		e, ok := t.Lstat(d.Path)
		if !ok || e.Kind != tree.Dir || wanted[d.Path] || path.Dir(d.Path) == d.Path {
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
			pl.add(Change{Op: OpRemove, Path: d.Path, Prior: Prior{Kind: KindDir}, Service: d.Service, Shim: ShimPrune,
				Reason: "made by initcompat, empty once the pruned paths are gone: removed"})
			removed[d.Path] = true
		}
	}
}
