package initcompat

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// view is what every stage reads and none changes: the image as inspected,
// the policy, and the manifest by path. A stage that changes the image
// (the Upstart units) does not change the view; BuildPlan makes a new one
// over the image as that stage leaves it.
type view struct {
	inv  *Inventory
	pol  Policy
	mine map[string]*ManifestEntry
}

func newView(inv *Inventory, pol Policy, mine map[string]*ManifestEntry) *view {
	return &view{inv: inv, pol: pol, mine: mine}
}

// collector gathers what the stages plan: Changes and Findings, and the
// paths they asked for and found already in place. It reads through its
// view (a write is planned only where the image differs), and holds no
// decision of a stage for another: those are returned as values (the rc
// links, the parsed jobs, the unitFate, the override lines).
type collector struct {
	*view
	plan *Plan
	// dirs holds the directories this plan makes, so each is made once.
	dirs map[string]bool
	// expect is how many changes the plan may come to, room made at the
	// first: growing a slice of 80,000 Changes by doubling moved each
	// several times, and a plan with nothing to do makes no room at all.
	expect int
	// kept holds, when prune will read it (the image has a manifest), the
	// paths the stages asked for and found as asked, and the shims that
	// asked: with the changes, what this configuration asks for.
	kept *asked
	// scratch is a buffer to render into, for content most often found
	// in the image already.
	scratch bytes.Buffer
}

func newCollector(v *view) *collector {
	return &collector{view: v, dirs: map[string]bool{},
		plan: &Plan{Version: v.pol.Version, ManifestPath: v.pol.manifestPath()}}
}

// fork is a collector for a run of services planned beside others: the
// same view, a plan, directories, kept paths and buffer of its own.
func (col *collector) fork(expect int) *collector {
	f := &collector{view: col.view, expect: expect, dirs: map[string]bool{}, plan: &Plan{}}
	if col.kept != nil {
		f.kept = newAsked()
	}
	return f
}

// join adds a fork's changes and findings after the plan's own. A
// directory both planned is made once, by the one planned first: the
// result is the plan a single collector makes.
func (col *collector) join(f *collector) {
	for _, c := range f.plan.Changes {
		if c.Op == OpMkdir {
			if col.dirs[c.Path] {
				continue
			}
			col.dirs[c.Path] = true
		}
		col.plan.Changes = append(col.plan.Changes, c)
	}
	col.plan.Findings = append(col.plan.Findings, f.plan.Findings...)
	if col.kept != nil {
		col.kept.merge(f.kept)
	}
}

// keep records a path a stage asked for and found already as asked.
func (col *collector) keep(service string, shim Shim, p string) {
	if col.kept != nil {
		col.kept.add(service, shim, p)
	}
}

func (col *collector) find(l Level, service string, shim Shim, p, msg string) {
	col.plan.Findings = append(col.plan.Findings, Finding{Level: l, Service: service, Shim: shim, Path: p, Message: msg})
}

// conflict reports a path that exists and is not initcompat's; the change
// is skipped, or the build fails with strict.
func (col *collector) conflict(service string, shim Shim, p, msg string) {
	l := Warning
	if col.pol.Strict {
		l = Error
	}
	col.find(l, service, shim, p, msg+"; initcompat never changes files it did not write: move it away, or leave it and drop this service from scope")
}

// add records a change. Nothing under /usr is written, but for the one
// link the systemctl-path shim makes: /usr is read-only on some images and
// the package manager's everywhere.
func (col *collector) add(c Change) {
	if (systemd.VendorDir(c.Path) || c.Path == "/usr") && c.Shim != shimSystemctlPath {
		col.find(Error, c.Service, c.Shim, c.Path, "initcompat does not write under /usr; this is a bug in initcompat, please report it")
		return
	}
	if n := len(col.plan.Changes); n == cap(col.plan.Changes) && col.expect > n {
		col.plan.Changes = slices.Grow(col.plan.Changes, col.expect-n)
	}
	col.plan.Changes = append(col.plan.Changes, c)
}

// ensureDir plans the directories missing above and at dir.
func (col *collector) ensureDir(service string, shim Shim, dir string) bool {
	if dir == "/" || col.dirs[dir] {
		return true
	}
	if e, ok := col.inv.Tree.Lstat(dir); ok {
		if e.Kind == tree.Dir {
			return true
		}
		col.conflict(service, shim, dir, "expected a directory, found a "+e.Kind.String())
		return false
	}
	if !col.ensureDir(service, shim, path.Dir(dir)) {
		return false
	}
	col.dirs[dir] = true
	col.add(Change{Op: OpMkdir, Path: dir, Mode: 0o755, Prior: Absent, Service: service, Shim: shim,
		Reason: "the directory does not exist yet"})
	return true
}

// writeFile plans a file unless it is already there with that content. It
// returns false when the path is taken by something not ours. The plan
// keeps content.
func (col *collector) writeFile(service string, shim Shim, p string, mode fs.FileMode, content []byte, reason string) bool {
	return col.writeFileOver(service, shim, p, mode, content, reason, false)
}

// writeFileOver is writeFile that may also replace a symlink not ours,
// when the user allowed it (replace_upstart_job_links).
func (col *collector) writeFileOver(service string, shim Shim, p string, mode fs.FileMode, content []byte, reason string, overLink bool) bool {
	c := Change{Op: OpWrite, Path: p, Mode: mode, Content: content,
		Prior: Absent, Service: service, Shim: shim, Reason: reason}
	e, ok := col.inv.Tree.Lstat(p)
	switch {
	case !ok:
		if !col.ensureDir(service, shim, path.Dir(p)) {
			return false
		}
	case sameFile(e, content, mode):
		col.keep(service, shim, p)
		return true
	case e.Kind == tree.File && !e.Omitted && col.ownsFile(p, e.Data):
		c.Prior = Prior{Kind: KindFile, SHA256: sum(e.Data)}
		c.Reason = "update: " + reason
	case e.Kind == tree.File && p == col.pol.manifestPath() && col.inv.Manifest != nil:
		c.Prior = Prior{Kind: KindFile, SHA256: sum(e.Data)}
	case overLink && e.Kind == tree.Symlink:
		c.Prior = Prior{Kind: KindSymlink, Target: e.Target}
		c.Reason = "replaces the link to " + e.Target + ": " + reason
	default:
		col.conflict(service, shim, p, col.notOurs(p, e))
		return false
	}
	c.SHA256 = sum(content) // only now: a second run finds most files as they are
	col.add(c)
	return true
}

// sameFile says whether e is a file with that content and mode.
func sameFile(e *tree.Entry, content []byte, mode fs.FileMode) bool {
	return e != nil && e.Kind == tree.File && !e.Omitted && string(e.Data) == string(content) && e.Mode == mode
}

// symlink plans a link unless it is already there.
func (col *collector) symlink(service string, shim Shim, p, target, reason string) bool {
	c := Change{Op: OpSymlink, Path: p, Target: target, Prior: Absent, Service: service, Shim: shim, Reason: reason}
	e, ok := col.inv.Tree.Lstat(p)
	switch {
	case !ok:
		if !col.ensureDir(service, shim, path.Dir(p)) {
			return false
		}
	case e.Kind == tree.Symlink && e.Target == target:
		col.keep(service, shim, p)
		return true
	case e.Kind == tree.Symlink && col.ours(p):
		c.Prior = Prior{Kind: KindSymlink, Target: e.Target}
		c.Reason = "update: " + reason
	default:
		col.conflict(service, shim, p, col.notOurs(p, e))
		return false
	}
	col.add(c)
	return true
}

// remove plans the removal of a path initcompat made earlier.
func (col *collector) remove(service string, shim Shim, p, reason string) {
	e, ok := col.inv.Tree.Lstat(p)
	if !ok {
		return
	}
	prior := Prior{Kind: KindSymlink, Target: e.Target}
	if e.Kind == tree.File {
		prior = Prior{Kind: KindFile, SHA256: sum(e.Data)}
	}
	col.add(Change{Op: OpRemove, Path: p, Prior: prior, Service: service, Shim: shim, Reason: reason})
}

// ours says whether the link at p is initcompat's: in the manifest, and
// pointing where the manifest says (a link a person re-pointed is theirs).
func (v *view) ours(p string) bool {
	m := v.mine[p]
	if m == nil || m.Kind != KindSymlink {
		return false
	}
	e, exists := v.inv.Tree.Lstat(p)
	return !exists || (e.Kind == tree.Symlink && e.Target == m.Target)
}

// listed says whether the manifest lists p as initcompat's.
func (v *view) listed(p string) bool {
	m := v.mine[p]
	return m != nil && m.Kind != KindRemoved
}

// ownsFile applies dpkg's conffile rule: a file is initcompat's when the
// manifest lists it and its content is still what initcompat wrote. A
// marker line alone proves nothing, and a person's edit makes it theirs.
func (v *view) ownsFile(p string, data []byte) bool {
	m := v.mine[p]
	return m != nil && m.Kind == KindFile && m.SHA256 == sum(data)
}

// notOurs says why a path in the way is not initcompat's to change.
func (v *view) notOurs(p string, e *tree.Entry) string {
	m := v.mine[p]
	listed := m != nil
	switch {
	case listed && m.Kind == KindFile && e.Kind == tree.File:
		return "edited since initcompat wrote it (its content is not the one the manifest records), so it is kept as it is; to let initcompat manage it again, remove it or restore what initcompat wrote"
	case listed && m.Kind == KindSymlink && e.Kind == tree.Symlink:
		return "re-pointed since initcompat made it (to " + e.Target + ", not " + m.Target + "), so it is kept as it is; remove it to let initcompat manage it again"
	case e.Kind == tree.File && IsOurs(e.Data):
		return "carries initcompat's marker line, but the manifest does not list it: a file initcompat did not write (or wrote without a manifest) is kept; remove it to let initcompat write its own"
	}
	return fmt.Sprintf("a %s not written by initcompat is in the way", e.Kind)
}
