package planner

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/sysvunit"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// systemd 260 removed systemd-sysv-generator and
// systemd-rc-local-generator (v259's NEWS): on Debian forky (262) a
// hand-written init script and /etc/rc.local never run, and service,
// update-rc.d and cfn-init fail on them (FACTS.md, "Measured
// 2026-12-07"). The native-unit shim writes, for each init script in scope
// that has no unit, the unit the generator made for it (package sysvunit,
// ported from systemd v259's sysv-generator.c rule by rule and held to the
// real generator by its oracle), with the wants links its rc links made and
// an [Install] section, and rc-local.service for /etc/rc.local. Where the
// generator is still there (bookworm 252, trixie 257) it writes them only
// when asked (native_units_for_init_scripts), and otherwise says which
// scripts stop working at 260.

const shimNativeUnit plan.Shim = "sysv-native-unit"

// aliasDir is where a script's Provides aliases go: the generator's were
// in /run/systemd/generator, which systemctl disable does not touch, and
// update-rc.d NAME disable (which runs systemctl disable) removes every
// link to the unit in /etc/systemd/system, an alias there included
// (e2e TestNativeUnitsForky). A link in /usr/local/lib/systemd/system
// outlives a disable as the generator's did.
const aliasDir = "/usr/local/lib/systemd/system"

// shimNativeUnits runs second, after the Upstart units: the units it
// writes are what the steps after it read (masks, disables and presets
// act on them; the foreground drop-in is not needed beside them).
var shimNativeUnits = &shim{
	name: shimNativeUnit,
	// aliasDir is optional: an image whose /usr/local is a link (to
	// /opt/local, say) gets no alias, and a warning (aliasesBlocked),
	// rather than a failed build over a directory nothing else needs.
	footprint: footprint{dirs: []string{"/etc/systemd/system"}, optionalDirs: []string{aliasDir},
		// The directories above aliasDir, whether they exist: nothing
		// else the snapshot reads lies below them where aliasDir does not
		// exist yet, and the plan would make them (mkdir /usr/local on an
		// image that has it, which the apply refuses).
		watches: []tree.Watch{{Path: "usr/local"}, {Path: "usr/local/lib"}, {Path: "usr/local/lib/systemd"}}},
	step: func(in *input, col *collector) decided {
		before := len(col.plan.Changes)
		units := planNativeUnits(in, col)
		d := unitsDecided(in, col, before, units)
		d.native = leftNative(in.inv, col)
		for _, u := range units {
			d.native[u] = true
		}
		return d
	},
}

// leftNative are the units an earlier run wrote for init scripts and
// rc.local, which this one may no longer ask for (prune lists them), and
// those a person edited since: the redirects leave them alone all the
// same (a unit without its script would get a redirect that starts the
// unit it runs in).
func leftNative(inv *inspect.Inventory, col *collector) map[string]bool {
	out := map[string]bool{}
	for _, s := range inv.Services {
		if s.Unit == nil || s.Unit.Fragment == "" {
			continue
		}
		if (s.Name == "rc-local" && ourUnit(col, s.Unit.Fragment)) || scriptOf(col, s.Unit) != "" {
			out[s.Name+".service"] = true
		}
	}
	return out
}

// scriptOf is the init script a unit initcompat wrote was made for: the
// manifest lists the unit, it carries the marker, and its SourcePath= names
// an /etc/init.d script (the Upstart units' do not); "" otherwise. A
// person's edit since (the content no longer what the manifest records)
// leaves it the script's unit, and theirs.
func scriptOf(col *collector, u *systemd.Unit) string {
	if u == nil || u.Fragment == "" || !col.listed(u.Fragment) {
		return ""
	}
	e, ok := col.tree.Lstat(u.Fragment)
	if !ok || e.Kind != tree.File || !plan.IsOurs(e.Data) {
		return ""
	}
	for _, src := range u.Values("Unit", "SourcePath") {
		if dir, name := path.Split(src); dir == "/etc/init.d/" && name != "" {
			return src
		}
	}
	return ""
}

// planNativeUnits plans the units and returns their names.
func planNativeUnits(in *input, col *collector) (units []string) {
	inv := in.inv
	if inv.Init != inspect.Systemd {
		return nil
	}
	sd := inv.Systemd
	bake := !sd.RunsInitScripts() || in.pol.NativeUnitsForInitScripts
	wanted := nativeScope(in)
	scripts, links := readScripts(inv)
	// /etc/rc.local's unit is rc-local.service: a script of that name
	// gets none, as systemd's own rc-local.service shadowed it.
	rcLocal := (bake || !sd.RunsRCLocal()) && inv.Tree.LExists(sysvunit.RCLocalPath)
	etc := inspect.RealPath(inv.Tree, "/etc/systemd/system")
	fg := map[string]lsb.Judgement{}
	res := sysvunit.Generate(scripts, links, sysvunit.Options{
		// The generator skips a script that has a unit of its name; a
		// unit initcompat wrote for the script is the script's, made
		// again each run (or kept, when a person edited it).
		Native: func(unit string) bool {
			if u := inv.Units.Load(unit); u != nil && (u.Masked || u.Fragment != "") {
				// A mask is a unit file too (a link to /dev/null, as
				// Debian masks hwclock.service in /lib): an /etc unit
				// of the name would unmask it.
				if u.Masked {
					return !staleMask(in, col, etc, unit)
				}
				return scriptOf(col, u) == ""
			}
			return inv.Units.AliasOf(unit) != "" || (unit == "rc-local.service" && rcLocal)
		},
		Foreground: func(unit, script string) bool {
			s := inv.Service(path.Base(script))
			if s == nil || !wanted[s.Name] || !bake {
				return false
			}
			j := judgeStart(inv, s)
			fg[unit] = j
			return j.Verdict == lsb.VerdictForeground || slices.Contains(in.pol.Foreground, s.Name) || slices.Contains(in.pol.Foreground, unit)
		},
	})
	if res.Unordered > 0 && bake {
		col.find(plan.Warning, "", shimNativeUnit, inv.InitD, fmt.Sprintf("%d scripts without an LSB header have S links: the generator ordered each against all the others by their S numbers, which at this count is past initcompat's bound, so their units carry no such orderings; give them LSB headers", res.Unordered))
	}
	for _, sk := range res.Skipped {
		svc := path.Base(sk.Script)
		switch {
		case !wanted[svc] || !bake:
		case sk.Name == "rc-local.service" && rcLocal:
			col.find(plan.Warning, svc, shimNativeUnit, sk.Script, "no unit is written: rc-local.service is "+sysvunit.RCLocalPath+"'s, as systemd's own rc-local.service shadowed this script; rename the script to give it a unit of its own")
		case !strings.HasPrefix(sk.Reason, "a native unit"):
			col.find(plan.Warning, svc, shimNativeUnit, sk.Script, "no unit is written: "+systemd.Line(sk.Reason))
		}
	}
	if bake {
		unreadScripts(inv, col, wanted, links)
		goneScripts(inv, col)
	}
	for _, u := range res.Units {
		svc := path.Base(u.Script)
		if !wanted[svc] {
			if !sd.RunsInitScripts() && !ourScript(col, inv, u.Script) {
				col.find(plan.Warning, svc, shimNativeUnit, u.Script, "has no unit, and this image's systemd has no systemd-sysv-generator: it never starts at boot, and service, update-rc.d and cfn-init fail on it. It belongs to a package, so initcompat leaves it; name it in services to give it the unit the generator made")
			}
			continue
		}
		if !bake {
			col.find(plan.Info, svc, shimNativeUnit, u.Script, "runs through systemd-sysv-generator, which systemd 260 removed (Debian forky ships 262): upgraded in place, the image would never start it. native_units_for_init_scripts = true writes its unit now")
			continue
		}
		if planNativeUnit(in, col, etc, svc, u, fg[u.Name]) {
			units = append(units, u.Name)
		}
	}
	switch {
	case bake || !sd.RunsRCLocal():
		if planRCLocal(in, col, etc) {
			units = append(units, "rc-local.service")
		}
	case inv.Tree.Exists(sysvunit.RCLocalPath):
		col.find(plan.Info, "rc-local", shimNativeUnit, sysvunit.RCLocalPath, "runs through systemd-rc-local-generator, which systemd 260 removed: upgraded in place, the image would never run it. native_units_for_init_scripts = true writes rc-local.service now")
	}
	return units
}

// nativeScope are the scripts that get units: the scripts no package owns
// (hand-installed, as hand-installed units are in scope), those named in
// services, cfn_init or foreground_init_scripts, or all with "*". Not the
// services in scope only because their unit is one initcompat wrote: a
// package's script dropped from services loses its unit (prune).
func nativeScope(in *input) map[string]bool {
	out := map[string]bool{}
	all := in.pol.All()
	for _, s := range in.inv.Services {
		if s.Script != nil && (all || !s.ScriptPackaged) {
			out[s.Name] = true
		}
	}
	for _, n := range append(in.pol.Named(), in.pol.Foreground...) {
		out[strings.TrimSuffix(strings.TrimSpace(n), ".service")] = true
	}
	return out
}

// readScripts gives the generator what it read: the entries of
// /etc/init.d that are regular files with the owner's execute bit once
// links are followed (inside the image), and the names in rc1.d-rc5.d.
// Scripts initcompat wrote (the LSB redirects) are left out: their units
// exist.
func readScripts(inv *inspect.Inventory) ([]sysvunit.Script, []sysvunit.Link) {
	t := inv.Tree
	var scripts []sysvunit.Script
	for _, e := range t.ReadDir(inv.InitD) {
		f := e
		if e.Kind == tree.Symlink {
			r, ok := t.Stat(e.Path)
			if !ok {
				continue
			}
			f = r
		}
		if f.Kind != tree.File || f.Mode&0o100 == 0 || f.Omitted || plan.IsOurs(f.Data) {
			continue
		}
		scripts = append(scripts, sysvunit.Script{Path: path.Join("/etc/init.d", path.Base(e.Path)), Data: f.Data})
	}
	var links []sysvunit.Link
	for _, rl := range []string{"1", "2", "3", "4", "5"} {
		for _, e := range t.ReadDir(inv.RC[rl]) {
			links = append(links, sysvunit.Link{Runlevel: rl, Name: path.Base(e.Path)})
		}
	}
	return scripts, links
}

// ourScript says whether an /etc/init.d script is one initcompat wrote.
func ourScript(col *collector, inv *inspect.Inventory, script string) bool {
	e, ok := inv.Tree.Lstat(path.Join(inv.InitD, path.Base(script)))
	return ok && e.Kind == tree.File && col.ownsFile(e.Path, e.Data)
}

// judgeStart reads a script's start action as the foreground shim does
// (lsb.Judge over the programs the snapshot holds).
func judgeStart(inv *inspect.Inventory, s *inspect.Service) lsb.Judgement {
	e, ok := inv.Tree.Stat(s.ScriptPath)
	if !ok || e.Kind != tree.File || e.Omitted {
		return lsb.Judgement{}
	}
	return lsb.Judge(lsb.ReadStart(e.Data, sourced(inv.Tree)), Programs(inv.Tree))
}

// planNativeUnit writes one script's unit, its wants links and its alias
// links; it reports whether the unit is written or in place.
func planNativeUnit(in *input, col *collector, etc, svc string, u sysvunit.Unit, j lsb.Judgement) bool {
	inv := in.inv
	if unitNamed(in.pol.Mask, u.Name) {
		// mask writes its link to /dev/null where the unit would go: a
		// masked script gets no unit (and none to unmask it).
		col.find(plan.Info, svc, shimNativeUnit, u.Script, "mask names "+u.Name+": no unit is written for the script, and the mask makes sure nothing starts it")
		return false
	}
	for _, c := range u.Capped {
		col.find(plan.Warning, svc, shimNativeUnit, u.Script, "the header names too many units: "+c)
	}
	unitPath := path.Join(etc, u.Name)
	reason := "this image's systemd has no systemd-sysv-generator (systemd 260 removed it): without a unit the script never starts, and service, update-rc.d and cfn-init fail on it. The unit is the one the generator made"
	switch {
	case inv.Systemd.RunsInitScripts():
		reason = "native_units_for_init_scripts: the unit systemd-sysv-generator makes today, baked for systemd 260 and later, which removed it"
	case inv.Systemd.SysvGeneratorMasked:
		reason = "systemd-sysv-generator is masked here, as systemd 260 removed it: without a unit the script never starts, and service, update-rc.d and cfn-init fail on it. The unit is the one the generator made"
	}
	if u.Foreground {
		why := "named in foreground_init_scripts"
		if j.Verdict == lsb.VerdictForeground {
			why = systemd.Line(evidence(j))
		}
		reason += ", Type=simple: its start action waits for a daemon that stays in the foreground (" + why + ")"
	}
	existing := inv.Units.Load(u.Name)
	// Over initcompat's own mask only (staleMask): prune takes it away.
	written := col.writeFileOver(svc, shimNativeUnit, unitPath, 0o644, sysvunit.Render(u, col.marker()), reason, col.ours(unitPath),
		plan.Expect{Check: plan.CheckLoaded, Unit: u.Name, Args: []string{u.Name, "loaded"}})
	if !written && scriptOf(col, existing) == "" {
		return false
	}
	// Written, or edited by a person since an earlier run wrote it (the
	// collector said so): the script's unit either way, whose links stand.
	target := "/etc/systemd/system/" + u.Name
	switch {
	case unitNamed(in.pol.Disable, u.Name):
		// disable decides its enablement (the step after this).
	case existing == nil:
		// Enabled as the rc links say when first written; what people
		// did with it since (systemctl disable, update-rc.d) stands.
		for _, t := range u.Enabled {
			col.symlink(svc, shimNativeUnit, path.Join(etc, t+".wants", u.Name), target,
				"the script's S links in the runlevels of "+t+" made the generator's unit wanted there: the native unit is enabled alike")
		}
	default:
		for _, t := range u.Enabled {
			if l := path.Join(etc, t+".wants", u.Name); col.ours(l) {
				col.keep(svc, shimNativeUnit, l)
			}
		}
	}
	if len(u.Aliases) > 0 {
		if at, why := aliasesBlocked(inv); at != "" {
			col.find(plan.Warning, svc, shimNativeUnit, at, why+": the Provides: aliases of "+u.Name+" ("+strings.Join(u.Aliases, " ")+
				") go to "+aliasDir+", which initcompat writes only through real directories of the image, so they are not written; the unit works by its own name")
			u.Aliases = nil
		}
	}
	for _, a := range u.Aliases {
		col.symlink(svc, shimNativeUnit, path.Join(aliasDir, a), target,
			"the script's Provides: names "+systemd.Prefix(a)+", which the generator made an alias of "+u.Name+"; in "+aliasDir+", so that a disable keeps it, as the generator's did")
	}
	if !u.HasLSB {
		col.find(plan.Info, svc, shimNativeUnit, u.Script, "has no LSB header: update-rc.d refuses it (\"Default-Start contains no runlevels\"), and so does cfn-init's sysvinit key; the unit is enabled as its rc links say, and systemctl enable|disable "+systemd.Prefix(u.Name)+" work through its [Install] section")
	}
	if u.Foreground && j.Verdict == lsb.VerdictUnknown {
		col.probe(plan.Expect{Check: plan.CheckStartReturns, Unit: u.Name, Args: []string{u.Name}})
	}
	return written
}

// unreadScripts warns of the /etc/init.d entries in scope that the rc
// links start and nothing runs: not executable, or a link leading nowhere
// in the image. The generator skipped them without a word.
func unreadScripts(inv *inspect.Inventory, col *collector, wanted map[string]bool, links []sysvunit.Link) {
	started := map[string]bool{}
	for _, l := range links {
		if n := l.Name; len(n) > 3 && n[0] == 'S' && l.Runlevel >= "2" && l.Runlevel <= "5" {
			started[n[3:]] = true
		}
	}
	for _, e := range inv.Tree.ReadDir(inv.InitD) {
		name := path.Base(e.Path)
		if !started[name] || plan.IsOurs(e.Data) {
			continue
		}
		f, ok := inv.Tree.Stat(e.Path)
		switch {
		case e.Kind == tree.Symlink && !ok:
			col.find(plan.Warning, name, shimNativeUnit, e.Path, "its S links start it, but it is a link to "+e.Target+", which is not in the image (or not read): no unit is written, and nothing runs at boot")
		case ok && f.Kind == tree.File && f.Mode&0o100 == 0 && (wanted[name] || !inv.Owned(e.Path)):
			col.find(plan.Warning, name, shimNativeUnit, e.Path, "its S links start it, but it is not executable: systemd never ran it, and no unit is written; chmod +x it to give it one")
		}
	}
}

// goneScripts says which units an earlier run wrote for a script that is
// gone (update-rc.d NAME remove, rm): they run nothing now.
func goneScripts(inv *inspect.Inventory, col *collector) {
	for _, s := range inv.Services {
		if s.Unit == nil || s.Script != nil {
			continue
		}
		if src := scriptOf(col, s.Unit); src != "" && !inv.Tree.LExists(path.Join(inv.InitD, strings.ReplaceAll(path.Base(src), "%%", "%"))) {
			col.find(plan.Warning, s.Name, shimNativeUnit, s.Unit.Fragment, "initcompat wrote it for "+src+", which is gone: it runs nothing now; prune = true (or mode = \"remove\") takes it away")
		}
	}
}

// planRCLocal writes rc-local.service for an /etc/rc.local, and enables it.
func planRCLocal(in *input, col *collector, etc string) bool {
	inv := in.inv
	e, ok := inv.Tree.Stat(sysvunit.RCLocalPath)
	if l, linked := inv.Tree.Lstat(sysvunit.RCLocalPath); !ok && linked && l.Kind == tree.Symlink {
		// A link the snapshot cannot follow (to a file it does not read):
		// the unit's ConditionFileIsExecutable= judges it at each boot,
		// as the generator's access(X_OK) did.
		col.find(plan.Info, "rc-local", shimNativeUnit, sysvunit.RCLocalPath, "is a link to "+l.Target+", which the snapshot does not read: rc-local.service is written, and runs it at boot when it leads to an executable file")
		e, ok = &tree.Entry{Kind: tree.File, Mode: 0o755}, true
	}
	if !ok {
		return false
	}
	if e.Kind != tree.File {
		col.find(plan.Warning, "rc-local", shimNativeUnit, sysvunit.RCLocalPath, "is a "+e.Kind.String()+", not a file: systemd never runs it, and initcompat writes no unit for it")
		return false
	}
	const unit = "rc-local.service"
	if u := inv.Units.Load(unit); u != nil && u.Fragment != "" && !ourUnit(col, u.Fragment) && !strings.HasPrefix(u.Fragment, "/usr/") && !strings.HasPrefix(u.Fragment, "/lib/") {
		col.find(plan.Info, "rc-local", shimNativeUnit, u.Fragment, "a unit of that name is there already; it is left as it is")
		return false
	}
	// Debian's drop-in (rc-local.service.d/debian.conf) is the package's
	// until 260; where it is there it applies to this unit too.
	debian := inv.Distro.Debian() && !inv.Tree.Exists("/usr/lib/systemd/system/rc-local.service.d/debian.conf") && !inv.Tree.Exists("/lib/systemd/system/rc-local.service.d/debian.conf")
	reason := "this image's systemd has no systemd-rc-local-generator (systemd 260 removed it): " + sysvunit.RCLocalPath + " never runs without this unit"
	if inv.Systemd.RCLocalGeneratorMasked {
		reason = "systemd-rc-local-generator is masked here, as systemd 260 removed it: " + sysvunit.RCLocalPath + " never runs without this unit"
	}
	if inv.Systemd.RunsRCLocal() {
		reason = "native_units_for_init_scripts: rc-local.service as systemd shipped it, for systemd 260 and later, which removed it"
	}
	if !col.writeFile("rc-local", shimNativeUnit, path.Join(etc, unit), 0o644, sysvunit.RCLocal(col.marker(), debian), reason,
		plan.Expect{Check: plan.CheckLoaded, Unit: unit, Args: []string{unit, "loaded"}}) {
		return false
	}
	col.symlink("rc-local", shimNativeUnit, path.Join(etc, "multi-user.target.wants", unit), "/etc/systemd/system/"+unit,
		"systemd-rc-local-generator linked rc-local.service into multi-user.target when "+sysvunit.RCLocalPath+" was executable; the unit's ConditionFileIsExecutable= keeps that rule at each boot")
	if e.Mode&0o111 == 0 {
		col.find(plan.Warning, "rc-local", shimNativeUnit, sysvunit.RCLocalPath, "is not executable, so it does not run at boot (rc-local.service's ConditionFileIsExecutable=, the generator's access(X_OK)): chmod +x "+sysvunit.RCLocalPath+" if it should")
	}
	return true
}

// unitNamed says whether a list of the configuration names the unit, with
// or without its suffix.
func unitNamed(list []string, unit string) bool {
	return slices.ContainsFunc(list, func(n string) bool { return plan.UnitName(n) == unit })
}

// aliasesBlocked names the first directory on the way to aliasDir that is
// there and not a directory (a link to /opt/local, say), and what it is;
// "" when the way is clear (directories, or missing ones the plan makes).
func aliasesBlocked(inv *inspect.Inventory) (at, why string) {
	p := ""
	for _, c := range strings.Split(strings.TrimPrefix(aliasDir, "/"), "/") {
		p += "/" + c
		e, ok := inv.Tree.Lstat(p)
		switch {
		case !ok:
			return "", ""
		case e.Kind == tree.Symlink:
			return p, "is a symlink to " + e.Target
		case e.Kind != tree.Dir:
			return p, "is a " + e.Kind.String()
		}
	}
	return "", ""
}

// staleMask says whether the mask of unit is one initcompat made for a
// mask the configuration no longer names, and prune takes it away: the
// script's unit then goes where the mask was, in the same plan.
func staleMask(in *input, col *collector, etc, unit string) bool {
	return in.pol.Prune && !unitNamed(in.pol.Mask, unit) && col.ours(path.Join(etc, unit))
}
