package planner

import (
	"fmt"
	"maps"
	"path"
	"sort"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/insserv"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// RemovePlan undoes what the manifest records: the files and links
// initcompat wrote are removed, the links it removed for disable are put
// back, the directories it made are removed when nothing else is in them,
// and the manifest goes last. It goes through the same apply protocol as
// any plan. A path a person changed since is kept, with a conflict
// (dpkg's conffile rule again), and so is the directory holding it.
func RemovePlan(inv *inspect.Inventory, pol plan.Policy) *plan.Plan {
	t := inv.Tree
	mp := pol.ManifestFile()
	col := newCollector(inv, pol)
	places := Places()
	col.plan.Summary.Init = string(inv.Init)
	col.plan.Summary.Distro = strings.TrimSpace(inv.Distro.ID + " " + inv.Distro.VersionID)
	col.plan.Gzip = inv.Tools.Gzip
	if inv.Manifest == nil {
		if _, ok := t.Lstat(mp); !ok {
			col.find(plan.Info, "", plan.ShimRemove, mp, "no manifest: initcompat has written nothing here, so there is nothing to remove")
		} else {
			col.plan.Findings = append(col.plan.Findings, inv.Problems...)
		}
		col.plan.Sort(mp)
		return col.plan
	}
	entries := append([]plan.ManifestEntry(nil), inv.Manifest.Entries...)
	// Deepest first: what is in a directory goes before the directory.
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path > entries[j].Path })
	kept := map[string]bool{} // directories that keep something
	keep := func(p string) {
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			kept[d] = true
		}
	}
	removed := map[string]bool{mp: true} // the manifest goes last
	var regenerated []plan.ManifestEntry
	for _, m := range entries {
		e, exists := t.Lstat(m.Path)
		if why := notUndoable(inv, places, m, mp); why != "" && (exists || m.Kind == plan.KindRemoved) {
			if madeOnTheWay(places, m, e) {
				col.find(plan.Info, m.Service, plan.ShimRemove, m.Path, "a directory initcompat made on the way to where it writes; kept, as the snapshot does not read what else it may hold now: remove it by hand if it is empty")
			} else {
				col.conflict(m.Service, plan.ShimRemove, m.Path, why)
			}
			keep(m.Path)
			continue
		}
		switch m.Kind {
		case plan.KindFile, plan.KindSymlink:
			switch {
			case !exists:
				// Gone already: nothing to undo.
			case stillOurs(m, e):
				col.remove(m.Service, plan.ShimRemove, m.Path, "written by initcompat ("+string(m.Shim)+"): removed")
				removed[m.Path] = true
			case m.Kind == plan.KindFile && e.Kind == tree.File && !e.Omitted && plan.Sum(e.Data) == m.SHA256:
				col.conflict(m.Service, plan.ShimRemove, m.Path, "the manifest's hash matches, but the file lacks initcompat's marker line, which every file it writes carries: not initcompat's, it is kept")
				keep(m.Path)
			default:
				col.conflict(m.Service, plan.ShimRemove, m.Path, col.notOurs(m.Path, e))
				keep(m.Path)
			}
		case plan.KindRegenerated:
			if exists {
				regenerated = append(regenerated, m) // once the scripts are planned away
				keep(m.Path)
			}
		case plan.KindRemoved:
			if exists {
				col.conflict(m.Service, plan.ShimRemove, m.Path, "initcompat removed this link for disable and something is there now; it is not put back")
				keep(m.Path)
				continue
			}
			col.add(plan.Change{Op: plan.OpSymlink, Path: m.Path, Target: m.Target, Prior: plan.Absent, Service: m.Service, Shim: plan.ShimRemove,
				Reason: "initcompat removed this link for disable (" + string(m.Shim) + "): put back"})
			keep(m.Path)
		case plan.KindDir:
			if !exists || e.Kind != tree.Dir || kept[m.Path] {
				continue
			}
			empty := true
			for _, c := range t.ReadDir(m.Path) {
				if !removed[c.Path] {
					empty = false
					break
				}
			}
			if !empty {
				keep(m.Path)
				continue
			}
			col.add(plan.Change{Op: plan.OpRemove, Path: m.Path, Prior: plan.Prior{Kind: plan.KindDir}, Service: m.Service, Shim: plan.ShimRemove,
				Reason: "made by initcompat, empty once its files are gone: removed"})
			removed[m.Path] = true
		}
	}
	removeRegenerated(col, inv, regenerated)
	// The manifest last, and its directory when initcompat made it.
	if e, ok := t.Lstat(mp); ok && e.Kind == tree.File {
		col.add(plan.Change{Op: plan.OpRemove, Path: mp, Prior: plan.Prior{Kind: plan.KindFile, SHA256: plan.Sum(e.Data)}, Shim: plan.ShimRemove,
			Reason: fmt.Sprintf("the manifest: everything it listed is undone (%d entries)", len(entries))})
	}
	col.plan.Sort(mp)
	return col.plan
}

// removeRegenerated gives insserv's boot order files back without
// initcompat's scripts: its additions taken out (insserv.Strip). A file is
// changed only when it is what initcompat wrote, or what insserv makes of
// the image as it is (insserv ran since: update-rc.d enable, a package's
// postinst), so that nothing a person edited is lost; and the result is
// written when it is the content the manifest recorded before, byte for
// byte, or what insserv makes of the image as the rest of the plan leaves
// it. Otherwise the file is left, with a warning.
func removeRegenerated(col *collector, inv *inspect.Inventory, entries []plan.ManifestEntry) {
	const rerun = "; run insserv (update-rc.d NAME defaults does) once the scripts are gone"
	if len(entries) == 0 {
		return
	}
	var names []string
	for _, o := range inv.Manifest.Entries {
		if o.Shim == shimInit && o.Kind == plan.KindFile && path.Dir(o.Path) == "/etc/init.d" {
			names = append(names, path.Base(o.Path))
		}
	}
	rc := map[string]string{"S": inspect.RealPath(inv.Tree, rcDirs[0])}
	maps.Copy(rc, inv.RC)
	asIs := insserv.Read(inv.Tree, inv.InitD, rc).Consistent()
	stripped := map[string][]byte{}
	for _, m := range entries {
		e, _ := inv.Tree.Lstat(m.Path)
		if e.Kind != tree.File || e.Omitted || plan.Sum(e.Data) != m.SHA256 && asIs != nil {
			col.find(plan.Warning, "", plan.ShimRemove, m.Path, "insserv's boot order file was changed since initcompat added its scripts to it, and is not what insserv makes of the image ("+
				systemd.Line(fmt.Sprint(asIs))+"), so it is left as it is"+rerun)
			continue
		}
		cur, err := insserv.ParseMakefile(e.Data)
		if err != nil {
			col.find(plan.Warning, "", plan.ShimRemove, m.Path, systemd.Line(err.Error())+rerun)
			continue
		}
		stripped[m.Path] = []byte(insserv.Strip(map[string]*insserv.Makefile{m.Path: cur}, names)[m.Path].Render())
	}
	// The image as the rest of the plan leaves it, with the files stripped.
	after := plan.Overlay(inv.Tree, col.plan.Changes)
	for p, data := range stripped {
		e, _ := after.Lstat(p)
		ne := *e
		ne.Data = data
		after.Remove(p)
		_ = after.Add(ne)
	}
	consistent := insserv.Read(after, inv.InitD, rc).Consistent()
	for _, m := range entries {
		data, ok := stripped[m.Path]
		if !ok {
			continue
		}
		if plan.Sum(data) != m.Prior && consistent != nil {
			col.find(plan.Warning, "", plan.ShimRemove, m.Path, "without initcompat's scripts this file is neither what it was before initcompat wrote it nor what insserv makes of the image ("+
				systemd.Line(consistent.Error())+"), so it is left as it is"+rerun)
			continue
		}
		e, _ := inv.Tree.Lstat(m.Path)
		col.add(plan.Change{Op: plan.OpWrite, Path: m.Path, Mode: e.Mode, Content: data, SHA256: plan.Sum(data),
			Prior: plan.Prior{Kind: plan.KindFile, SHA256: plan.Sum(e.Data)}, Shim: plan.ShimRemove,
			Reason: "insserv's boot order without initcompat's scripts (" + string(m.Shim) + "): taken out"})
	}
}

// madeOnTheWay says whether a manifest entry is a directory initcompat
// made on the way to a place it writes (/usr/local on an image without
// one): what else it holds now is not read, so it stays, and that is no
// conflict.
func madeOnTheWay(places plan.Places, m plan.ManifestEntry, e *tree.Entry) bool {
	return m.Kind == plan.KindDir && places.Above(m.Path) && e != nil && e.Kind == tree.Dir
}
