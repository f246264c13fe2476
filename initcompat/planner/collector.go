package planner

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// collector gathers what the steps plan: Changes and Findings, and the
// paths they asked for and found already in place. It reads the image
// only to plan a write where the image differs, and to tell initcompat's
// paths (the manifest by path, mine) from the image's own; it holds no
// decision of a step for another: those are returned (decided).
type collector struct {
	// tree is the image as the steps so far leave it.
	tree *tree.Tree
	mine map[string]*plan.ManifestEntry
	// strict makes a conflict an error; manifest, version and build say
	// what the plan's last change, the manifest, records.
	strict                   bool
	manifest, version, build string
	// places are where the shims declare they write (Places).
	places plan.Places
	// notUndoable says why a manifest entry is not initcompat's to
	// change whatever the image holds (undo.go), "" when it is.
	notUndoable func(plan.ManifestEntry) string
	// manifestRead says the file at manifest parsed as initcompat's
	// manifest: the plan may replace it.
	manifestRead bool
	plan         *plan.Plan
	// dirs holds the directories this plan makes, so each is made once.
	dirs map[string]bool
	// expect is how many changes the plan may come to, room made at the
	// first: growing a slice of 80,000 Changes by doubling moved each
	// several times, and a plan with nothing to do makes no room at all.
	expect int
	// kept holds, when prune will read it (the image has a manifest), the
	// paths the steps asked for and found as asked, and the shims that
	// asked: with the changes, what this configuration asks for.
	kept *asked
	// scratch is a buffer to render into, for content most often found
	// in the image already.
	scratch bytes.Buffer
}

func newCollector(inv *inspect.Inventory, pol plan.Policy) *collector {
	mp, places := pol.ManifestFile(), Places()
	undo := func(m plan.ManifestEntry) string { return notUndoable(inv, places, m, mp) }
	return &collector{tree: inv.Tree, mine: inv.Manifest.Index(), manifestRead: inv.Manifest != nil, places: places, notUndoable: undo,
		strict: pol.Strict, manifest: mp, version: pol.Version, build: pol.Build,
		dirs: map[string]bool{}, plan: &plan.Plan{Version: pol.Version, ManifestPath: mp, Places: places}}
}

// marker is the first line of every file this plan writes.
func (col *collector) marker() string { return plan.Marker(col.version) }

// fork is a collector for a run of services planned beside others: the
// same view, a plan, directories, kept paths and buffer of its own.
func (col *collector) fork(expect int) *collector {
	f := &collector{tree: col.tree, mine: col.mine, manifestRead: col.manifestRead, places: col.places, notUndoable: col.notUndoable, strict: col.strict, manifest: col.manifest, version: col.version, build: col.build,
		expect: expect, dirs: map[string]bool{}, plan: &plan.Plan{}}
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
		if c.Op == plan.OpMkdir {
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

// probe asks a booted builder what reading could not decide (verify asks
// it, as a warning, when it runs).
func (col *collector) probe(e plan.Expect) { col.plan.Probes = append(col.plan.Probes, e) }

// keep records a path a stage asked for and found already as asked.
func (col *collector) keep(service string, shim plan.Shim, p string) {
	if col.kept != nil {
		col.kept.add(service, shim, p)
	}
}

func (col *collector) find(l plan.Level, service string, shim plan.Shim, p, msg string) {
	col.plan.Findings = append(col.plan.Findings, plan.Finding{Level: l, Service: service, Shim: shim, Path: p, Message: msg})
}

// conflict reports a path that exists and is not initcompat's; the change
// is skipped, or the build fails with strict.
func (col *collector) conflict(service string, shim plan.Shim, p, msg string) {
	l := plan.Warning
	if col.strict {
		l = plan.Error
	}
	col.find(l, service, shim, p, msg+"; initcompat never changes files it did not write: move it away, or leave it and drop this service from scope")
}

// add records a change. A change outside the places the registry's
// footprints declare (but a directory made on the way to one, and the
// manifest and the directories above it) is refused: the apply's journal
// check would refuse it, and nothing under /usr is written but the one
// link the systemctl-path shim declares (/usr is read-only on some images,
// and the package manager's everywhere).
func (col *collector) add(c plan.Change) {
	if !col.inPlace(c.Service, c.Shim, c.Path, c.Op == plan.OpMkdir) {
		return
	}
	if n := len(col.plan.Changes); n == cap(col.plan.Changes) && col.expect > n {
		col.plan.Changes = slices.Grow(col.plan.Changes, col.expect-n)
	}
	col.plan.Changes = append(col.plan.Changes, c)
}

// inPlace says whether a change at p is in the places the shims declare
// (a directory made on the way to one, with mkdir), or the manifest's; if
// not, the change is refused with a finding saying where initcompat
// writes.
func (col *collector) inPlace(service string, shim plan.Shim, p string, mkdir bool) bool {
	if col.places.Contain(p) || (mkdir && col.places.Above(p)) || p == col.manifest || strings.HasPrefix(col.manifest, p+"/") {
		return true
	}
	col.find(plan.Error, service, shim, p, "is outside every place initcompat's shims write ("+strings.Join(col.places, " ")+
		"): a directory on the way leads out of them (a link: see above), or this is a bug in initcompat")
	return false
}

// ensureDir plans the directories missing above and at dir.
func (col *collector) ensureDir(service string, shim plan.Shim, dir string) bool {
	if dir == "/" || col.dirs[dir] {
		return true
	}
	if e, ok := col.tree.Lstat(dir); ok {
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
	col.add(plan.Change{Op: plan.OpMkdir, Path: dir, Mode: 0o755, Prior: plan.Absent, Service: service, Shim: shim,
		Reason: "the directory does not exist yet"})
	return true
}

// writeFile plans a file unless it is already there with that content. It
// returns false when the path is taken by something not ours. The plan
// keeps content.
func (col *collector) writeFile(service string, shim plan.Shim, p string, mode fs.FileMode, content []byte, reason string, expect ...plan.Expect) bool {
	return col.writeFileOver(service, shim, p, mode, content, reason, false, expect...)
}

// writeFileOver is writeFile that may also replace a symlink not ours,
// when the user allowed it (replace_upstart_job_links).
func (col *collector) writeFileOver(service string, shim plan.Shim, p string, mode fs.FileMode, content []byte, reason string, overLink bool, expect ...plan.Expect) bool {
	c := plan.Change{Op: plan.OpWrite, Path: p, Mode: mode, Content: content,
		Prior: plan.Absent, Service: service, Shim: shim, Reason: reason, Expect: expect}
	if !col.inPlace(service, shim, p, false) {
		return false
	}
	e, ok := col.tree.Lstat(p)
	switch {
	case !ok:
		if !col.ensureDir(service, shim, path.Dir(p)) {
			return false
		}
	case sameFile(e, content, mode):
		col.keep(service, shim, p)
		return true
	case e.Kind == tree.File && !e.Omitted && col.ownsFile(p, e.Data):
		c.Prior = plan.Prior{Kind: plan.KindFile, SHA256: plan.Sum(e.Data)}
		c.Reason = "update: " + reason
	case e.Kind == tree.File && p == col.manifest && col.manifestRead:
		c.Prior = plan.Prior{Kind: plan.KindFile, SHA256: plan.Sum(e.Data)}
	case overLink && e.Kind == tree.Symlink:
		c.Prior = plan.Prior{Kind: plan.KindSymlink, Target: e.Target}
		c.Reason = "replaces the link to " + e.Target + ": " + reason
	default:
		col.conflict(service, shim, p, col.notOurs(p, e))
		return false
	}
	c.SHA256 = plan.Sum(content) // only now: a second run finds most files as they are
	col.add(c)
	return true
}

// sameFile says whether e is a file with that content and mode.
func sameFile(e *tree.Entry, content []byte, mode fs.FileMode) bool {
	return e != nil && e.Kind == tree.File && !e.Omitted && string(e.Data) == string(content) && e.Mode == mode
}

// symlink plans a link unless it is already there.
func (col *collector) symlink(service string, shim plan.Shim, p, target, reason string, expect ...plan.Expect) bool {
	c := plan.Change{Op: plan.OpSymlink, Path: p, Target: target, Prior: plan.Absent, Service: service, Shim: shim, Reason: reason, Expect: expect}
	if !col.inPlace(service, shim, p, false) {
		return false
	}
	e, ok := col.tree.Lstat(p)
	switch {
	case !ok:
		if !col.ensureDir(service, shim, path.Dir(p)) {
			return false
		}
	case e.Kind == tree.Symlink && e.Target == target:
		col.keep(service, shim, p)
		return true
	case e.Kind == tree.Symlink && col.ours(p):
		c.Prior = plan.Prior{Kind: plan.KindSymlink, Target: e.Target}
		c.Reason = "update: " + reason
	default:
		col.conflict(service, shim, p, col.notOurs(p, e))
		return false
	}
	col.add(c)
	return true
}

// remove plans the removal of a path initcompat made earlier.
func (col *collector) remove(service string, shim plan.Shim, p, reason string, expect ...plan.Expect) {
	e, ok := col.tree.Lstat(p)
	if !ok {
		return
	}
	prior := plan.Prior{Kind: plan.KindSymlink, Target: e.Target}
	if e.Kind == tree.File {
		prior = plan.Prior{Kind: plan.KindFile, SHA256: plan.Sum(e.Data)}
	}
	col.add(plan.Change{Op: plan.OpRemove, Path: p, Prior: prior, Service: service, Shim: shim, Reason: reason, Expect: expect})
}

// ours says whether the link at p is initcompat's: in the manifest, and
// pointing where the manifest says (a link a person re-pointed is theirs).
func (col *collector) ours(p string) bool {
	m := col.mine[p]
	if m == nil || m.Kind != plan.KindSymlink || col.notUndoable(*m) != "" {
		return false
	}
	e, exists := col.tree.Lstat(p)
	return !exists || (e.Kind == tree.Symlink && e.Target == m.Target)
}

// listed says whether the manifest lists p as initcompat's.
func (col *collector) listed(p string) bool {
	m := col.mine[p]
	return m != nil && m.Kind != plan.KindRemoved
}

// ownsFile applies dpkg's conffile rule: a file is initcompat's when the
// manifest lists it and its content is still what initcompat wrote, with
// the marker line every file it writes carries. A marker line alone proves
// nothing, and a person's edit makes it theirs. The manifest is the
// image's, so a planted one claims nothing remove and prune would keep
// (notUndoable): a package's file stays the package's.
func (col *collector) ownsFile(p string, data []byte) bool {
	m := col.mine[p]
	return m != nil && m.Kind == plan.KindFile && m.SHA256 == plan.Sum(data) && plan.IsOurs(data) && col.notUndoable(*m) == ""
}

// notOurs says why a path in the way is not initcompat's to change.
func (col *collector) notOurs(p string, e *tree.Entry) string {
	m := col.mine[p]
	listed := m != nil
	switch {
	case listed && col.notUndoable(*m) != "":
		return col.notUndoable(*m)
	case listed && m.Kind == plan.KindFile && e.Kind == tree.File:
		return "edited since initcompat wrote it (its content is not the one the manifest records), so it is kept as it is; to let initcompat manage it again, remove it or restore what initcompat wrote"
	case listed && m.Kind == plan.KindSymlink && e.Kind == tree.Symlink:
		return "re-pointed since initcompat made it (to " + e.Target + ", not " + m.Target + "), so it is kept as it is; remove it to let initcompat manage it again"
	case e.Kind == tree.File && plan.IsOurs(e.Data):
		return "carries initcompat's marker line, but the manifest does not list it: a file initcompat did not write (or wrote without a manifest) is kept; remove it to let initcompat write its own"
	}
	return fmt.Sprintf("a %s not written by initcompat is in the way", e.Kind)
}
