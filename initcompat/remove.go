package initcompat

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// BuildRemovePlan undoes what the manifest records: the files and links
// initcompat wrote are removed, the links it removed for disable are put
// back, the directories it made are removed when nothing else is in them,
// and the manifest goes last. It goes through the same apply protocol as
// any plan. A path a person changed since is kept, with a conflict
// (dpkg's conffile rule again), and so is the directory holding it.
func BuildRemovePlan(t *tree.Tree, pol Policy) *Plan {
	inv := Inspect(t, pol)
	mp := pol.manifestPath()
	col := newCollector(newView(inv, pol, inv.Manifest.index()))
	col.plan.Summary.Init = string(inv.Init)
	col.plan.Summary.Distro = strings.TrimSpace(inv.Distro.ID + " " + inv.Distro.VersionID)
	col.plan.Gzip = inv.Tools.Gzip
	if inv.Manifest == nil {
		if _, ok := t.Lstat(mp); !ok {
			col.find(Info, "", shimRemove, mp, "no manifest: initcompat has written nothing here, so there is nothing to remove")
		} else {
			col.plan.Findings = append(col.plan.Findings, inv.Problems...)
		}
		col.plan.sort(mp)
		return col.plan
	}
	entries := append([]ManifestEntry(nil), inv.Manifest.Entries...)
	// Deepest first: what is in a directory goes before the directory.
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path > entries[j].Path })
	kept := map[string]bool{} // directories that keep something
	keep := func(p string) {
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			kept[d] = true
		}
	}
	removed := map[string]bool{mp: true} // the manifest goes last
	for _, m := range entries {
		e, exists := t.Lstat(m.Path)
		if why := col.notRemovable(m, mp); why != "" && exists {
			col.conflict(m.Service, shimRemove, m.Path, why)
			keep(m.Path)
			continue
		}
		switch m.Kind {
		case KindFile, KindSymlink:
			switch {
			case !exists:
				// Gone already: nothing to undo.
			case m.Kind == KindFile && e.Kind == tree.File && !e.Omitted && sum(e.Data) == m.SHA256 && IsOurs(e.Data),
				m.Kind == KindSymlink && e.Kind == tree.Symlink && e.Target == m.Target:
				col.remove(m.Service, shimRemove, m.Path, "written by initcompat ("+string(m.Shim)+"): removed")
				removed[m.Path] = true
			case m.Kind == KindFile && e.Kind == tree.File && !e.Omitted && sum(e.Data) == m.SHA256:
				col.conflict(m.Service, shimRemove, m.Path, "the manifest's hash matches, but the file lacks initcompat's marker line, which every file it writes carries: not initcompat's, it is kept")
				keep(m.Path)
			default:
				col.conflict(m.Service, shimRemove, m.Path, col.notOurs(m.Path, e))
				keep(m.Path)
			}
		case KindRemoved:
			if !strings.HasPrefix(m.Path, "/etc/systemd/system/") {
				// disable removes only systemd's /etc links: the manifest
				// says otherwise, so it is not initcompat's.
				col.conflict(m.Service, shimRemove, m.Path, "the manifest says initcompat removed a link here, but disable only ever removes links under /etc/systemd/system; it is not put back")
				continue
			}
			if exists {
				col.conflict(m.Service, shimRemove, m.Path, "initcompat removed this link for disable and something is there now; it is not put back")
				keep(m.Path)
				continue
			}
			col.add(Change{Op: OpSymlink, Path: m.Path, Target: m.Target, Prior: Absent, Service: m.Service, Shim: shimRemove,
				Reason: "initcompat removed this link for disable (" + string(m.Shim) + "): put back"})
			keep(m.Path)
		case KindDir:
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
			col.add(Change{Op: OpRemove, Path: m.Path, Prior: Prior{Kind: KindDir}, Service: m.Service, Shim: shimRemove,
				Reason: "made by initcompat, empty once its files are gone: removed"})
			removed[m.Path] = true
		}
	}
	// The manifest last, and its directory when initcompat made it.
	if e, ok := t.Lstat(mp); ok && e.Kind == tree.File {
		col.add(Change{Op: OpRemove, Path: mp, Prior: Prior{Kind: KindFile, SHA256: sum(e.Data)}, Shim: shimRemove,
			Reason: fmt.Sprintf("the manifest: everything it listed is undone (%d entries)", len(entries))})
	}
	col.plan.sort(mp)
	return col.plan
}

// notRemovable says why remove leaves a path the manifest lists alone
// whatever it holds ("" when it may go): the manifest is read from the
// image, so it names only paths initcompat's shims write, in its own
// directory, and none an OS package owns (dpkg's lists; on rpm images,
// whose database the plugin cannot read without rpm, nothing outside
// /etc, where rpm packages put links of their own).
func (v *view) notRemovable(m ManifestEntry, mp string) string {
	switch {
	case m.Kind == KindRemoved:
		return ""
	case !protocol.Places(m.Path) && m.Path != path.Dir(mp):
		return "the manifest lists it, but initcompat never writes there; it is kept"
	case v.inv.owned[m.Path]:
		return "an OS package owns it (dpkg's file lists name it); it is kept"
	case !v.inv.DpkgLists && rpmFamily(v.inv.Distro) && !strings.HasPrefix(m.Path, "/etc/"):
		return "on an rpm image initcompat cannot read the package database, and a package may own it; it is kept"
	}
	return ""
}

// rpmFamily reports an image whose packages rpm manages.
func rpmFamily(d Distro) bool {
	for _, id := range append([]string{d.ID}, d.IDLike...) {
		switch id {
		case "rhel", "fedora", "centos", "amzn", "suse", "opensuse", "sles", "rocky", "almalinux", "ol":
			return true
		}
	}
	return false
}
