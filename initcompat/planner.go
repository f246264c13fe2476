package initcompat

import (
	"fmt"
	"path"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/cfn"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// BuildPlan inspects the snapshot and plans every shim the policy asks for.
// The same tree and policy always give the same plan, byte for byte.
//
// Each stage reads a view (inventory, policy, manifest index) it cannot
// change, adds to the collector, and returns what a later stage reads.
// The image is inspected, and the scope read, once; again only when the
// Upstart units change the image.
func BuildPlan(t *tree.Tree, pol Policy) *Plan {
	col := planShims(t, pol)
	planPrune(col)
	col.finish()
	return col.plan
}

// planShims runs every stage but prune, which reads what they asked for.
func planShims(t *tree.Tree, pol Policy) *collector {
	inv := Inspect(t, pol)
	v := newView(inv, pol, inv.Manifest.index())
	col := newCollector(v)
	watchAsks(col)
	preflight(col, t)
	scope, scoping := scopeOf(v)
	// Units made from Upstart jobs first; the other shims then see the
	// image as it will be, with those units in it.
	jobs := planUpstartUnits(col, scope)
	if len(col.plan.Changes) > 0 {
		// The units are read from the tree (their enablement, the unit
		// graph, which services have units): read them again as the
		// stage leaves the image. The rest of the inventory, the manifest
		// index and the jobs' parses carry over: the stage wrote none of
		// what they are read from.
		v = newView(inv.reinspect(Overlay(t, col.plan.Changes)), pol, v.mine)
		col.view = v
		scope, scoping = scopeOf(v)
	}
	col.plan.Findings = append(col.plan.Findings, scoping...)
	// Masks, disables and orderings next; what they decide is the fate
	// the per-service shims read. Override lines gather from every stage
	// and are written last, one file per job.
	over := overrides{}
	var fate unitFate
	fate.masked = planMasks(col, over)
	fate.disabled = planDisables(col, over)
	fate.after = planOrdering(col)
	for _, s := range scope {
		col.plan.Summary.InScope = append(col.plan.Summary.InScope, s.svc.Name)
	}
	planRedirects(col, scope, fate)
	for _, s := range scope {
		planUpstartLink(col, s, jobs)
		planStopOn(col, s, over, jobs)
	}
	planOverrides(col, over)
	planForeground(col)
	reportTemplates(v, col)
	planCfnInit(col)
	col.plan.Summary.Init = string(inv.Init)
	col.plan.Summary.Distro = strings.TrimSpace(inv.Distro.ID + " " + inv.Distro.VersionID)
	col.plan.Summary.CloudInit = inv.CloudInit
	col.plan.Gzip = inv.Tools.Gzip
	return col
}

// preflight reports what holds before any shim: what Inspect could not
// read, drift, an interrupted apply, directories not safe to write into.
func preflight(col *collector, t *tree.Tree) {
	col.plan.Findings = append(col.plan.Findings, col.inv.Problems...)
	if col.pol.ReportDrift {
		col.plan.Findings = append(col.plan.Findings, drift(t, col.inv.Manifest)...)
	}
	if j, ok := t.Lstat(protocol.JournalPath); ok {
		// An apply recovers before its snapshot; plan and check do not
		// write, so they stop here rather than plan over a half-written image.
		state := "unreadable"
		if parsed, err := protocol.ParseJournal(j.Data); err == nil {
			state = parsed.State
		}
		col.find(Error, "", shimManifest, protocol.JournalPath, "an apply was interrupted here (journal state "+state+"): the image may be half-written; run the build once with mode = \"apply\", which rolls it back or finishes it first")
	}
	checkWriteDirs(col)
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
func checkWriteDirs(col *collector) {
	dirs := []string{"/etc/init.d", "/etc/systemd/system", "/etc/init", jobScriptDir, path.Dir(col.pol.manifestPath()), path.Dir(protocol.JournalPath)}
	for _, d := range dirs {
		for p := d; p != "/"; p = path.Dir(p) {
			e, ok := col.inv.Tree.Lstat(p)
			if !ok || e.Kind != tree.Symlink {
				continue
			}
			real, err := col.inv.Tree.Resolve(p)
			if err == nil {
				if re, ok := col.inv.Tree.Lstat(real); ok && re.Kind == tree.Dir {
					break
				}
			}
			col.find(Error, "", shimScope, p, fmt.Sprintf("is a symlink to %s, a place the snapshot does not read; initcompat writes only into real directories of the image (it would write to %s through it): make %s a directory", e.Target, d, p))
			break
		}
	}
}

// inScope is a service the shims consider, and why.
type inScope struct {
	svc      *Service
	explicit bool // named by the user: every skip is worth a Finding
}

// scopeOf lists the services the shims consider, and the errors for the
// named services the image lacks.
func scopeOf(v *view) (out []inScope, errs []Finding) {
	named := map[string]bool{}
	fromCfn := map[string][]cfn.Service{}
	for _, c := range v.pol.CfnInit {
		n := strings.TrimSuffix(c.Name, ".service")
		fromCfn[n] = append(fromCfn[n], c)
	}
	for _, n := range v.pol.named() {
		s := v.inv.Service(n)
		if strings.HasSuffix(n, "@") && v.inv.Units.Load(n+".service") != nil {
			continue // a template: reportTemplates says why it gets no shim
		}
		if s == nil || !s.Exists() {
			msg := v.missing(n)
			for _, c := range fromCfn[n] {
				msg = "cfn-init will manage it (" + c.Where() + "): " + msg
			}
			errs = append(errs, Finding{Level: Error, Service: n, Shim: shimScope, Message: msg})
			continue
		}
		named[n] = true
	}
	all := v.pol.all()
	for _, s := range v.inv.Services {
		custom := s.Custom()
		if named[s.Name] || custom || all {
			out = append(out, inScope{svc: s, explicit: named[s.Name] || custom})
		}
	}
	return out, errs
}

// missing words the error for a named service the image lacks.
func (v *view) missing(name string) string {
	var have []string
	for _, s := range v.inv.Services {
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
	// A line of the build log, not a listing: a few names and a count
	// (a 300-unit image gave a line of 457 characters).
	const show = 8
	msg := "."
	if len(close) > show {
		close = close[:show]
	}
	if len(close) > 0 {
		msg = "; did you mean " + strings.Join(close, ", ") + "?"
	}
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

// finish adds the manifest as the last change and sorts the plan.
func (col *collector) finish() {
	mp := col.pol.manifestPath()
	if len(col.plan.Changes) > 0 && len(col.plan.Errors()) == 0 {
		// The manifest's directory first, so that the manifest lists it
		// and mode = "remove" takes it away when initcompat made it.
		col.ensureDir("", shimManifest, path.Dir(mp))
		content := nextManifest(col.inv.Manifest, col.mine, col.pol.Version, col.pol.Build, col.plan.Changes)
		if !col.writeFile("", shimManifest, mp, 0o644, content, "records what initcompat wrote, for the next run and for people") {
			// Without its manifest the next run would take initcompat's
			// own files for foreign ones: nothing is applied.
			col.find(Error, "", shimManifest, mp, "the manifest cannot be written there (see the conflict above); nothing is applied without it: fix the path or set manifest_path")
		}
	}
	col.plan.sort(mp)
}

// checkUnitName fails the build for a name systemd would not accept, before
// it reaches a path.
func (col *collector) checkUnitName(shim Shim, source, name string) bool {
	if systemd.ValidName(name) {
		return true
	}
	col.find(Error, "", shim, "", fmt.Sprintf("%s: %q is not a unit name (letters, digits and \":-_.\\@\", a type suffix)", source, name))
	return false
}

// missingUnit words the error for a named unit the image lacks.
func (v *view) missingUnit(source, name string) string {
	if systemd.Suffix(name) == "service" {
		return source + ": " + v.missing(systemd.Prefix(name))
	}
	var have []string
	for _, n := range v.inv.Units.Names() {
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
