package planner

import (
	"path"
	"regexp"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// What mode = "remove" and prune may undo. The manifest is read from the
// image, and a base image may plant one (a manifest entry for the build
// name "local", claiming a package's script with its published hash), so
// both hold every entry to the one predicate below before they touch its
// path: remove and prune differ only in which entries they undo, never in
// which they may.

// notUndoable says why initcompat leaves a manifest entry alone whatever
// the image holds there ("" when it may undo it): a path outside the
// places its shims write (and the manifest's own directory), one an OS
// package owns (dpkg's lists; on rpm images, whose database the plugin
// cannot read without rpm, anything outside /etc, where rpm packages put
// links of their own), and a link disable removed anywhere but
// /etc/systemd/system, or pointing at anything but a unit of the same type.
func notUndoable(inv *inspect.Inventory, places plan.Places, m plan.ManifestEntry, mp string) string {
	switch {
	case m.Kind == plan.KindRemoved && rcStartLink(m.Path, m.Target):
		return "" // an S link disable took on a SysV image (sysvDisable)
	case m.Kind == plan.KindRemoved && !strings.HasPrefix(m.Path, "/etc/systemd/system/"):
		return "the manifest says initcompat removed a link here, but disable only ever removes links under /etc/systemd/system and S links in /etc/rc[S2-5].d; it is not put back"
	case m.Kind == plan.KindRemoved && !unitLinkTarget(m.Path, m.Target):
		return "the manifest says initcompat removed a link here to " + m.Target + ", but disable only ever removes links to units of the same type; it is not put back"
	case m.Kind == plan.KindRemoved:
		return ""
	case !places.Contain(m.Path) && m.Path != path.Dir(mp):
		return "the manifest lists it, but initcompat never writes there; it is kept"
	case inv.Owned(m.Path):
		return "an OS package owns it (dpkg's file lists name it); it is kept"
	case !inv.DpkgLists && rpmFamily(inv.Distro) && !strings.HasPrefix(m.Path, "/etc/"):
		return "on an rpm image initcompat cannot read the package database, and a package may own it; it is kept"
	}
	return ""
}

// rcStartLink says whether link is an S link in an rc directory pointing
// at the /etc/init.d script of its name, as update-rc.d makes them.
func rcStartLink(link, target string) bool {
	dir, n := path.Split(link)
	return rcStartDir.MatchString(dir) && len(n) > 3 && n[0] == 'S' && rcLinkName.MatchString(n) &&
		(target == "../init.d/"+n[3:] || target == "/etc/init.d/"+n[3:])
}

var rcStartDir = regexp.MustCompile(`^/etc/rc[S2-5]\.d/$`)

// unitLinkTarget says whether target is what a link systemctl enable made
// at link may point to: a unit file in a unit directory (systemd.unit(5)'s
// search path), of the link's type (a wants link is NAME -> .../NAME, an
// alias ALIAS -> .../NAME).
func unitLinkTarget(link, target string) bool {
	base := path.Base(target)
	return tree.IsClean(target) && systemd.UnitDir(path.Dir(target)) && systemd.ValidName(base) &&
		systemd.Suffix(base) == systemd.Suffix(path.Base(link))
}

// stillOurs says whether the path is as initcompat left it: a file with
// the content the manifest records and initcompat's marker line, which
// every file it writes carries; a link to the target it records.
func stillOurs(m plan.ManifestEntry, e *tree.Entry) bool {
	return m.Kind == plan.KindFile && e.Kind == tree.File && !e.Omitted && plan.Sum(e.Data) == m.SHA256 && plan.IsOurs(e.Data) ||
		m.Kind == plan.KindSymlink && e.Kind == tree.Symlink && e.Target == m.Target
}

// rpmFamily reports an image whose packages rpm manages.
func rpmFamily(d inspect.Distro) bool {
	for _, id := range append([]string{d.ID}, d.IDLike...) {
		switch id {
		case "rhel", "fedora", "centos", "amzn", "suse", "opensuse", "sles", "rocky", "almalinux", "ol":
			return true
		}
	}
	return false
}
