// Package planner decides which shims an image lacks. Each shim is a
// value in one registry (registry.go) with a declared footprint (what it
// reads, the drop-ins it owns, where it writes) and a step that reads an
// input it cannot change and returns what it decides; the collector
// gathers the changes and findings, and checks each against the places
// the footprints declare. Prune and remove undo the manifest's entries
// under one predicate (undo.go).
package planner

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// Plan plans every shim the policy asks for over the image as inspected.
// The same image and policy always give the same plan, byte for byte.
//
// The registry's steps run in order, each over an input it cannot change
// (the image, the policy, the manifest by path, the scope, what the steps
// before it decided) and each returning what it decides. The image is
// inspected, and the scope read, once; again only when the Upstart units
// change the image. Prune runs last: what the configuration asks for is
// what the steps asked for in this plan, changed or found in place.
func Plan(inv *inspect.Inventory, pol plan.Policy) *plan.Plan {
	col := planShims(inv, pol)
	planPrune(inv, col, pol)
	col.finish(inv)
	return col.plan
}

// input is what a step reads.
type input struct {
	inv *inspect.Inventory
	pol plan.Policy
	// scope is the services the shims consider.
	scope []inScope
	// jobs holds the Upstart jobs parsed, whichever step asks first.
	jobs jobMemo
	decided
}

// decided is what a step decides for the steps after it; each returns its
// part, and the runner gathers them into the next steps' input.
type decided struct {
	// image is the image as the step leaves it, when it changed what
	// inspection reads (the units made from Upstart jobs).
	image *inspect.Inventory
	// masked and disabled are the units that will be masked or
	// disabled: a masked unit gets no redirect, a disabled one kill links.
	masked, disabled map[string]bool
	// after holds the After= values the ordering drop-ins add, by unit:
	// a redirect's Required-Start follows them.
	after map[string][]string
	// overrides are the lines steps ask for in Upstart override files.
	overrides overrides
	// pins are the units whose enablement a step decided (true: enabled),
	// for the first boot's presets.
	pins map[string]bool
	// native are the units written for init scripts and rc.local
	// (nativeunit.go): the script is theirs, so no redirect is made.
	native map[string]bool
}

// merge adds what a step decided to what the steps before it did.
func (d *decided) merge(n decided) {
	for _, m := range []struct {
		into *map[string]bool
		from map[string]bool
	}{{&d.masked, n.masked}, {&d.disabled, n.disabled}, {&d.native, n.native}} {
		for k, v := range m.from {
			if *m.into == nil {
				*m.into = map[string]bool{}
			}
			(*m.into)[k] = v
		}
	}
	for k, v := range n.after {
		if d.after == nil {
			d.after = map[string][]string{}
		}
		d.after[k] = append(d.after[k], v...)
	}
	for k, v := range n.pins {
		if d.pins == nil {
			d.pins = map[string]bool{}
		}
		d.pins[k] = v
	}
	for k, v := range n.overrides {
		if d.overrides == nil {
			d.overrides = overrides{}
		}
		d.overrides[k] = append(d.overrides[k], v...)
	}
}

// planShims runs every step of the registry.
func planShims(inv *inspect.Inventory, pol plan.Policy) *collector {
	col := newCollector(inv, pol)
	if m := inv.Manifest; m != nil && len(m.Entries) > 0 {
		col.kept = newAsked() // prune will read what the steps find in place
	}
	preflight(col, inv, pol)
	in := &input{inv: inv, pol: pol, jobs: jobMemo{}}
	var scoping []plan.Finding
	in.scope, scoping = scopeOf(inv, pol)
	for _, s := range registry {
		d := s.step(in, col)
		if d.image != nil {
			// The units are read from the tree (their enablement, the
			// unit graph, which services have units): the steps after
			// read the image as this one leaves it, and the scope again.
			in.inv, col.tree = d.image, d.image.Tree
			in.scope, scoping = scopeOf(in.inv, pol)
		}
		in.merge(d)
	}
	col.plan.Findings = append(col.plan.Findings, scoping...)
	for _, s := range in.scope {
		col.plan.Summary.InScope = append(col.plan.Summary.InScope, s.svc.Name)
	}
	col.plan.Summary.Init = string(inv.Init)
	col.plan.Summary.Distro = strings.TrimSpace(inv.Distro.ID + " " + inv.Distro.VersionID)
	col.plan.Summary.CloudInit = in.inv.CloudInit
	if inv.Init == inspect.Systemd {
		col.plan.Summary.Boot = inv.Boot()
		col.plan.Summary.Systemd = systemdLine(inv.Systemd)
	}
	col.plan.Gzip = inv.Tools.Gzip
	return col
}

// preflight reports what holds before any shim: what Inspect could not
// read, drift, an interrupted apply, directories not safe to write into.
func preflight(col *collector, inv *inspect.Inventory, pol plan.Policy) {
	col.plan.Findings = append(col.plan.Findings, inv.Problems...)
	if pol.ReportDrift {
		col.plan.Findings = append(col.plan.Findings, drift(inv.Tree, inv.Manifest)...)
	}
	if j, ok := inv.Tree.Lstat(protocol.JournalPath); ok {
		// An apply recovers before its snapshot; plan and check do not
		// write, so they stop here rather than plan over a half-written image.
		state := "unreadable"
		if parsed, err := protocol.ParseJournal(j.Data, Places()); err == nil {
			state = parsed.State
		}
		col.find(plan.Error, "", plan.ShimManifest, protocol.JournalPath, "an apply was interrupted here (journal state "+state+"): the image may be half-written; run the build once with mode = \"apply\", which rolls it back or finishes it first")
	}
	checkWriteDirs(col, inv, pol)
}

// checkWriteDirs refuses directories initcompat writes into that are
// symlinks to places the snapshot does not read: the plan could not know
// what is there, and the apply would find it "changed" on every run.
// Symlinks between watched directories (RHEL's /etc/init.d -> rc.d/init.d,
// merged /usr) are fine: their targets are read.
func checkWriteDirs(col *collector, inv *inspect.Inventory, pol plan.Policy) {
	var dirs []string
	for _, s := range registry {
		dirs = append(dirs, s.dirs...)
	}
	dirs = append(dirs, path.Dir(pol.ManifestFile()), path.Dir(protocol.JournalPath))
	slices.Sort(dirs)
	dirs = slices.Compact(dirs)
	t := inv.Tree
	for _, d := range dirs {
		for p := d; p != "/"; p = path.Dir(p) {
			e, ok := t.Lstat(p)
			if !ok || e.Kind != tree.Symlink {
				continue
			}
			real, err := t.Resolve(p)
			if err == nil {
				if re, ok := t.Lstat(real); ok && re.Kind == tree.Dir {
					break
				}
			}
			col.find(plan.Error, "", plan.ShimScope, p, fmt.Sprintf("is a symlink to %s, a place the snapshot does not read; initcompat writes only into real directories of the image (it would write to %s through it): make %s a directory", e.Target, d, p))
			break
		}
	}
}

// finish adds the manifest as the last change and sorts the plan.
func (col *collector) finish(inv *inspect.Inventory) {
	mp := col.manifest
	if len(col.plan.Changes) > 0 && len(col.plan.Errors()) == 0 {
		// The manifest's directory first, so that the manifest lists it
		// and mode = "remove" takes it away when initcompat made it.
		col.ensureDir("", plan.ShimManifest, path.Dir(mp))
		content := plan.NextManifest(inv.Manifest, col.mine, col.version, col.build, col.plan.Changes)
		if !col.writeFile("", plan.ShimManifest, mp, 0o644, content, "records what initcompat wrote, for the next run and for people") {
			// Without its manifest the next run would take initcompat's
			// own files for foreign ones: nothing is applied.
			col.find(plan.Error, "", plan.ShimManifest, mp, "the manifest cannot be written there (see the conflict above); nothing is applied without it: fix the path or set manifest_path")
		}
	}
	col.plan.Sort(mp)
}

// systemdLine says what the image's systemd is as far as init scripts go,
// for the image line: its version and whether systemd-sysv-generator runs
// them ("262, no SysV generator"); "" when the version is unknown and the
// generator there, the case that needs no word.
func systemdLine(sd systemd.Install) string {
	var parts []string
	if sd.Version > 0 {
		parts = append(parts, sd.VersionText)
	}
	switch {
	case sd.SysvGeneratorMasked:
		parts = append(parts, "SysV generator masked")
	case sd.SysvGenerator == "":
		parts = append(parts, "no SysV generator")
	case len(parts) > 0:
		parts = append(parts, "SysV generator")
	}
	return strings.Join(parts, ", ")
}
