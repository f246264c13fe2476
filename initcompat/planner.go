package initcompat

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/cfn"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// BuildPlan inspects the snapshot and plans every shim the policy asks for.
// The same tree and policy always give the same plan, byte for byte.
func BuildPlan(t *tree.Tree, pol Policy) *Plan {
	inv := Inspect(t, pol)
	pl := &planner{inv: inv, pol: pol, mine: inv.Manifest.index(), dirs: map[string]bool{},
		plan: &Plan{Version: pol.Version, ManifestPath: pol.manifestPath()}}
	pl.plan.Findings = append(pl.plan.Findings, inv.Problems...)
	if pol.ReportDrift {
		pl.plan.Findings = append(pl.plan.Findings, drift(t, inv.Manifest)...)
	}
	if j, ok := t.Lstat(JournalPath); ok {
		// An apply recovers before its snapshot; plan and check do not
		// write, so they stop here rather than plan over a half-written image.
		state := "unreadable"
		if parsed, err := ParseJournal(j.Data); err == nil {
			state = parsed.State
		}
		pl.find(Error, "", ShimManifest, JournalPath, "an apply was interrupted here (journal state "+state+"): the image may be half-written; run the build once with mode = \"apply\", which rolls it back or finishes it first")
	}
	checkWriteDirs(pl)
	// Units made from Upstart jobs first; the other shims then see the
	// image as it will be, with those units in it.
	planUpstartUnits(pl, pl.scope(false))
	if len(pl.plan.Changes) > 0 {
		pl.inv = Inspect(Overlay(t, pl.plan.Changes), pol)
	}
	// Masks, disables and orderings next; what they decide is the fate
	// the per-service shims read. Override lines gather from every stage
	// and are written last, one file per job.
	over := overrides{}
	var fate unitFate
	fate.masked = planMasks(pl, over)
	fate.disabled = planDisables(pl, over)
	fate.after = planOrdering(pl)
	scope := pl.scope(true)
	for _, s := range scope {
		pl.plan.Summary.InScope = append(pl.plan.Summary.InScope, s.svc.Name)
	}
	planRedirects(pl, scope, fate)
	for _, s := range scope {
		planUpstartLink(pl, s)
		planStopOn(pl, s, over)
	}
	planOverrides(pl, over)
	planForeground(pl)
	reportTemplates(pl)
	planCfnInit(pl)
	planPrune(pl, t)
	pl.plan.Summary.Init = string(inv.Init)
	pl.plan.Summary.Distro = strings.TrimSpace(inv.Distro.ID + " " + inv.Distro.VersionID)
	pl.plan.Summary.CloudInit = inv.CloudInit
	pl.plan.Gzip = inv.Tools.Gzip
	pl.finish()
	return pl.plan
}

// planner is the plan being built and what every stage reads: the image,
// the policy and the manifest. What one stage decides for the next is
// passed as values (unitFate, overrides), not kept here.
type planner struct {
	inv  *Inventory
	pol  Policy
	plan *Plan
	mine map[string]*ManifestEntry
	// dirs holds the directories this plan makes, so each is made once.
	dirs map[string]bool
	// expect is how many changes the plan may come to, room made at the
	// first: growing a slice of 80,000 Changes by doubling moved each
	// several times, and a plan with nothing to do makes no room at all.
	expect int
	// parsedJobs is a memo of the Upstart jobs as parsed, the same
	// whichever stage asks first (a job that does not parse is reported
	// once).
	parsedJobs map[string]*upstart.Job
	// rcLinks holds the rc links by service, read when the redirects are
	// planned (after the Upstart units, which change the image).
	rcLinks map[string][]*tree.Entry
	// scratch is a buffer to render into, for content most often found
	// in the image already.
	scratch bytes.Buffer
}

// fork is a planner for a run of services planned beside others: the same
// image, policy, manifest and rc links (read-only meanwhile), a plan,
// directories and buffer of its own.
func (pl *planner) fork(expect int) *planner {
	f := *pl
	f.expect = expect
	f.scratch = bytes.Buffer{}
	f.dirs = map[string]bool{}
	f.plan = &Plan{}
	return &f
}

// join adds a fork's changes and findings after the plan's own. A
// directory both planned is made once, by the one planned first: the
// result is the plan a single planner makes.
func (pl *planner) join(f *planner) {
	for _, c := range f.plan.Changes {
		if c.Op == OpMkdir {
			if pl.dirs[c.Path] {
				continue
			}
			pl.dirs[c.Path] = true
		}
		pl.plan.Changes = append(pl.plan.Changes, c)
	}
	pl.plan.Findings = append(pl.plan.Findings, f.plan.Findings...)
}

// unitFate is what the mask, disable and ordering stages decide about
// units, which the LSB shim follows: a masked unit gets no redirect, a
// disabled one gets kill links only, and a redirect's Required-Start
// follows the After= its unit will have.
type unitFate struct {
	masked, disabled map[string]bool
	// after holds the After= values the ordering drop-ins add, by unit.
	after map[string][]string
}

// checkWriteDirs refuses directories initcompat writes into that are
// symlinks to places the snapshot does not read: the plan could not know
// what is there, and the apply would find it "changed" on every run.
// Symlinks between watched directories (RHEL's /etc/init.d -> rc.d/init.d,
// merged /usr) are fine: their targets are read.
func checkWriteDirs(pl *planner) {
	dirs := []string{"/etc/init.d", "/etc/systemd/system", "/etc/init", JobScriptDir, path.Dir(pl.pol.manifestPath()), path.Dir(JournalPath)}
	for _, d := range dirs {
		for p := d; p != "/"; p = path.Dir(p) {
			e, ok := pl.inv.Tree.Lstat(p)
			if !ok || e.Kind != tree.Symlink {
				continue
			}
			real, err := pl.inv.Tree.Resolve(p)
			if err == nil {
				if re, ok := pl.inv.Tree.Lstat(real); ok && re.Kind == tree.Dir {
					break
				}
			}
			pl.find(Error, "", ShimScope, p, fmt.Sprintf("is a symlink to %s, a place the snapshot does not read; initcompat writes only into real directories of the image (it would write to %s through it): make %s a directory", e.Target, d, p))
			break
		}
	}
}

// inScope is a service the shims consider, and why.
type inScope struct {
	svc      *Service
	explicit bool // named by the user: every skip is worth a Finding
}

// scope lists the services the shims consider; with report, a named
// service the image lacks is an error.
func (pl *planner) scope(report bool) []inScope {
	var out []inScope
	named := map[string]bool{}
	fromCfn := map[string][]cfn.Service{}
	for _, c := range pl.pol.CfnInit {
		n := strings.TrimSuffix(c.Name, ".service")
		fromCfn[n] = append(fromCfn[n], c)
	}
	for _, n := range pl.pol.named() {
		s := pl.inv.Service(n)
		if strings.HasSuffix(n, "@") && pl.inv.Units.Load(n+".service") != nil {
			continue // a template: reportTemplates says why it gets no shim
		}
		if s == nil || !s.Exists() {
			if report {
				msg := pl.missing(n)
				for _, c := range fromCfn[n] {
					msg = "cfn-init will manage it (" + c.Where() + "): " + msg
				}
				pl.find(Error, n, ShimScope, "", msg)
			}
			continue
		}
		named[n] = true
	}
	all := pl.pol.all()
	for _, s := range pl.inv.Services {
		custom := s.Custom()
		if named[s.Name] || custom || all {
			out = append(out, inScope{svc: s, explicit: named[s.Name] || custom})
		}
	}
	return out
}

// missing words the error for a named service the image lacks.
func (pl *planner) missing(name string) string {
	var have []string
	for _, s := range pl.inv.Services {
		if s.Exists() && s.Alias == "" {
			have = append(have, s.Name)
		}
	}
	return fmt.Sprintf("service %q is not in the image (no unit %s.service, no /etc/init.d/%s, no Upstart job)", name, name, name) +
		suggest(name, have, "Services in the image")
}

// suggest ends a "not in the image" message: the names close to name, then
// (the first 40 of) the names there are.
func suggest(name string, have []string, label string) string {
	var close []string
	for _, h := range have {
		if near(name, h) {
			close = append(close, h)
		}
	}
	msg := "."
	if len(close) > 0 {
		msg = "; did you mean " + strings.Join(close, ", ") + "?"
	}
	const show = 40
	more := ""
	if len(have) > show {
		have, more = have[:show], fmt.Sprintf(" ... and %d more", len(have)-show)
	}
	return msg + " " + label + ": " + orNone(strings.Join(have, " ")) + more
}

// near is a small edit distance or one name containing the other.
func near(a, b string) bool {
	if strings.Contains(b, a) || strings.Contains(a, b) {
		return true
	}
	return editDistance(a, b) <= 2
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func (pl *planner) find(l Level, service string, shim Shim, p, msg string) {
	pl.plan.Findings = append(pl.plan.Findings, Finding{Level: l, Service: service, Shim: shim, Path: p, Message: msg})
}

// conflict reports a path that exists and is not initcompat's; the change
// is skipped, or the build fails with strict.
func (pl *planner) conflict(service string, shim Shim, p, msg string) {
	l := Warning
	if pl.pol.Strict {
		l = Error
	}
	pl.find(l, service, shim, p, msg+"; initcompat never changes files it did not write: move it away, or leave it and drop this service from scope")
}

// add records a change. Nothing under /usr is written, but for the one
// link the systemctl-path shim makes: /usr is read-only on some images and
// the package manager's everywhere.
func (pl *planner) add(c Change) {
	if (systemd.VendorDir(c.Path) || c.Path == "/usr") && c.Shim != ShimSystemctlPath {
		pl.find(Error, c.Service, c.Shim, c.Path, "initcompat does not write under /usr; this is a bug in initcompat, please report it")
		return
	}
	if n := len(pl.plan.Changes); n == cap(pl.plan.Changes) && pl.expect > n {
		pl.plan.Changes = slices.Grow(pl.plan.Changes, pl.expect-n)
	}
	pl.plan.Changes = append(pl.plan.Changes, c)
}

// ensureDir plans the directories missing above and at dir.
func (pl *planner) ensureDir(service string, shim Shim, dir string) bool {
	if dir == "/" || pl.dirs[dir] {
		return true
	}
	if e, ok := pl.inv.Tree.Lstat(dir); ok {
		if e.Kind == tree.Dir {
			return true
		}
		pl.conflict(service, shim, dir, "expected a directory, found a "+e.Kind.String())
		return false
	}
	if !pl.ensureDir(service, shim, path.Dir(dir)) {
		return false
	}
	pl.dirs[dir] = true
	pl.add(Change{Op: OpMkdir, Path: dir, Mode: 0o755, Prior: Absent, Service: service, Shim: shim,
		Reason: "the directory does not exist yet"})
	return true
}

// writeFile plans a file unless it is already there with that content. It
// returns false when the path is taken by something not ours. The plan
// keeps content.
func (pl *planner) writeFile(service string, shim Shim, p string, mode fs.FileMode, content []byte, reason string) bool {
	return pl.writeFileOver(service, shim, p, mode, content, reason, false)
}

// writeFileOver is writeFile that may also replace a symlink not ours,
// when the user allowed it (replace_upstart_job_links).
func (pl *planner) writeFileOver(service string, shim Shim, p string, mode fs.FileMode, content []byte, reason string, overLink bool) bool {
	c := Change{Op: OpWrite, Path: p, Mode: mode, Content: content,
		Prior: Absent, Service: service, Shim: shim, Reason: reason}
	e, ok := pl.inv.Tree.Lstat(p)
	switch {
	case !ok:
		if !pl.ensureDir(service, shim, path.Dir(p)) {
			return false
		}
	case sameFile(e, content, mode):
		return true
	case e.Kind == tree.File && !e.Omitted && pl.ownsFile(p, e.Data):
		c.Prior = Prior{Kind: KindFile, SHA256: sum(e.Data)}
		c.Reason = "update: " + reason
	case e.Kind == tree.File && p == pl.pol.manifestPath() && pl.inv.Manifest != nil:
		c.Prior = Prior{Kind: KindFile, SHA256: sum(e.Data)}
	case overLink && e.Kind == tree.Symlink:
		c.Prior = Prior{Kind: KindSymlink, Target: e.Target}
		c.Reason = "replaces the link to " + e.Target + ": " + reason
	default:
		pl.conflict(service, shim, p, pl.notOurs(p, e))
		return false
	}
	c.SHA256 = sum(content) // only now: a second run finds most files as they are
	pl.add(c)
	return true
}

// sameFile says whether e is a file with that content and mode.
func sameFile(e *tree.Entry, content []byte, mode fs.FileMode) bool {
	return e != nil && e.Kind == tree.File && !e.Omitted && string(e.Data) == string(content) && e.Mode == mode
}

// symlink plans a link unless it is already there.
func (pl *planner) symlink(service string, shim Shim, p, target, reason string) bool {
	c := Change{Op: OpSymlink, Path: p, Target: target, Prior: Absent, Service: service, Shim: shim, Reason: reason}
	e, ok := pl.inv.Tree.Lstat(p)
	switch {
	case !ok:
		if !pl.ensureDir(service, shim, path.Dir(p)) {
			return false
		}
	case e.Kind == tree.Symlink && e.Target == target:
		return true
	case e.Kind == tree.Symlink && pl.ours(p):
		c.Prior = Prior{Kind: KindSymlink, Target: e.Target}
		c.Reason = "update: " + reason
	default:
		pl.conflict(service, shim, p, pl.notOurs(p, e))
		return false
	}
	pl.add(c)
	return true
}

// remove plans the removal of a path initcompat made earlier.
func (pl *planner) remove(service string, shim Shim, p, reason string) {
	e, ok := pl.inv.Tree.Lstat(p)
	if !ok {
		return
	}
	prior := Prior{Kind: KindSymlink, Target: e.Target}
	if e.Kind == tree.File {
		prior = Prior{Kind: KindFile, SHA256: sum(e.Data)}
	}
	pl.add(Change{Op: OpRemove, Path: p, Prior: prior, Service: service, Shim: shim, Reason: reason})
}

// ours says whether the link at p is initcompat's: in the manifest, and
// pointing where the manifest says (a link a person re-pointed is theirs).
func (pl *planner) ours(p string) bool {
	m := pl.mine[p]
	if m == nil || m.Kind != KindSymlink {
		return false
	}
	e, exists := pl.inv.Tree.Lstat(p)
	return !exists || (e.Kind == tree.Symlink && e.Target == m.Target)
}

// listed says whether the manifest lists p as initcompat's.
func (pl *planner) listed(p string) bool {
	m := pl.mine[p]
	return m != nil && m.Kind != KindRemoved
}

// ownsFile applies dpkg's conffile rule: a file is initcompat's when the
// manifest lists it and its content is still what initcompat wrote. A
// marker line alone proves nothing, and a person's edit makes it theirs.
func (pl *planner) ownsFile(p string, data []byte) bool {
	m := pl.mine[p]
	return m != nil && m.Kind == KindFile && m.SHA256 == sum(data)
}

// notOurs says why a path in the way is not initcompat's to change.
func (pl *planner) notOurs(p string, e *tree.Entry) string {
	m := pl.mine[p]
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

// finish adds the manifest as the last change and sorts the plan.
func (pl *planner) finish() {
	mp := pl.pol.manifestPath()
	if len(pl.plan.Changes) > 0 && len(pl.plan.Errors()) == 0 {
		// The manifest's directory first, so that the manifest lists it
		// and mode = "remove" takes it away when initcompat made it.
		pl.ensureDir("", ShimManifest, path.Dir(mp))
		content := nextManifest(pl.inv.Manifest, pl.mine, pl.pol.Version, pl.pol.Build, pl.plan.Changes)
		if !pl.writeFile("", ShimManifest, mp, 0o644, content, "records what initcompat wrote, for the next run and for people") {
			// Without its manifest the next run would take initcompat's
			// own files for foreign ones: nothing is applied.
			pl.find(Error, "", ShimManifest, mp, "the manifest cannot be written there (see the conflict above); nothing is applied without it: fix the path or set manifest_path")
		}
	}
	pl.plan.sort(mp)
}

// checkUnitName fails the build for a name systemd would not accept, before
// it reaches a path.
func (pl *planner) checkUnitName(shim Shim, source, name string) bool {
	if systemd.ValidName(name) {
		return true
	}
	pl.find(Error, "", shim, "", fmt.Sprintf("%s: %q is not a unit name (letters, digits and \":-_.\\@\", a type suffix)", source, name))
	return false
}

// missingUnit words the error for a named unit the image lacks.
func (pl *planner) missingUnit(source, name string) string {
	if systemd.Suffix(name) == "service" {
		return source + ": " + pl.missing(systemd.Prefix(name))
	}
	var have []string
	for _, n := range pl.inv.Units.Names() {
		if systemd.Suffix(n) == systemd.Suffix(name) {
			have = append(have, n)
		}
	}
	return fmt.Sprintf("%s: unit %q is not in the image", source, name) + suggest(name, have, "Units of that type")
}

// Overlay returns t with the changes applied, as the image will be after
// an apply; t itself is not changed.
func Overlay(t *tree.Tree, changes []Change) *tree.Tree {
	o := t.Clone()
	for _, c := range changes {
		switch c.Op {
		case OpMkdir:
			_ = o.Add(tree.Entry{Path: c.Path, Kind: tree.Dir, Mode: c.Mode})
		case OpWrite:
			_ = o.Add(tree.Entry{Path: c.Path, Kind: tree.File, Mode: c.Mode, Data: c.Content})
		case OpSymlink:
			_ = o.Add(tree.Entry{Path: c.Path, Kind: tree.Symlink, Mode: 0o777, Target: c.Target})
		case OpRemove:
			o.Remove(c.Path)
		}
	}
	return o
}
