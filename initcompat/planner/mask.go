package planner

import (
	"fmt"
	"path"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The names of the mask and disable shims.
const (
	shimMask    plan.Shim = "mask"
	shimDisable plan.Shim = "disable"
)

// shimMasks masks units from /etc, the one place that works when the unit
// and its enablement live in a read-only /usr (CoreOS, Flatcar). On
// Upstart it asks for "manual" in the job's override.
var shimMasks = &shim{
	name:      shimMask,
	footprint: footprint{dirs: []string{"/etc/systemd/system", "/etc/init"}},
	step: func(in *input, col *collector) decided {
		over := overrides{}
		masked := planMasks(in, col, over)
		return decided{masked: masked, overrides: over, pins: pinned(masked, false)}
	},
}

// shimDisables unhooks units from the boot as systemctl disable does; on
// Upstart, "manual" in the job's override.
var shimDisables = &shim{
	name:      shimDisable,
	footprint: footprint{dirs: []string{"/etc/systemd/system", "/etc/init"}},
	step: func(in *input, col *collector) decided {
		over := overrides{}
		disabled := planDisables(in, col, over)
		return decided{disabled: disabled, overrides: over, pins: pinned(disabled, false)}
	},
}

// planMasks plans the masks and returns the units that will be masked.
func planMasks(in *input, col *collector, over overrides) map[string]bool {
	inv := in.inv
	masked := map[string]bool{}
	eachUnit(in, col, over, shimMask, in.pol.Mask, masked, func(name, svc string) {
		// An init script's unit is there at boot (the generator's), or
		// will be (the native unit's step leaves it to the mask): a link
		// to /dev/null masks either, as systemctl mask does.
		if _, _, ok := inv.Units.Entry(name); !ok && !scriptUnit(inv, name) {
			col.find(plan.Error, svc, shimMask, "", missingUnit(inv, "mask", name))
			return
		}
		p := path.Join(inspect.RealPath(inv.Tree, "/etc/systemd/system"), name)
		e, ok := inv.Tree.Lstat(p)
		switch {
		case ok && e.Kind == tree.Symlink && path.Clean(e.Target) == "/dev/null":
			col.keep(svc, shimMask, p)
			masked[name] = true
			return
		case ok && (e.Kind != tree.Symlink || !col.ours(p)):
			col.conflict(svc, shimMask, p, "a unit file of that name is in /etc/systemd/system, so there is no room for the mask (systemctl mask refuses too)")
			return
		}
		reason := name + " masked from /etc: it cannot start, whatever links pull it in"
		if en := inv.Units.Enablement(name); en.VendorOnly() {
			reason += fmt.Sprintf(" (its enablement is a link under /usr: %s)", en.Wants[0].Link)
		}
		if col.symlink(svc, shimMask, p, "/dev/null", reason, plan.Expect{Check: plan.CheckLoaded, Unit: name, Args: []string{name, "masked"}}) {
			masked[name] = true
		}
	})
	return masked
}

// planDisables plans the disables: the links in /etc go (the manifest
// records them, to put back by hand). It returns the units disabled.
func planDisables(in *input, col *collector, over overrides) map[string]bool {
	inv := in.inv
	disabled := map[string]bool{}
	eachUnit(in, col, over, shimDisable, in.pol.Disable, disabled, func(name, svc string) {
		u := inv.Units.Load(name)
		if u == nil {
			col.find(plan.Error, svc, shimDisable, "", missingUnit(inv, "disable", name))
			return
		}
		if real := inv.Units.AliasOf(name); real != "" {
			// systemctl disable sshd disables ssh.service, which the alias
			// names: its links, and the alias with them.
			name = real
		}
		disabled[name] = true
		removed := 0
		for _, w := range inv.Units.WantedBy(name) {
			if w.Vendor {
				col.find(plan.Warning, svc, shimDisable, w.Link, fmt.Sprintf(
					"%s is pulled into %s by this link under /usr, which disable cannot remove (and /usr may be read-only); mask it instead (mask = [%q])", name, w.Target, svc))
				continue
			}
			col.remove(svc, shimDisable, w.Link, fmt.Sprintf("disable: %s no longer starts with %s (as systemctl disable does)", name, w.Target), disabledExpect(name)...)
			removed++
		}
		etc := inspect.RealPath(inv.Tree, "/etc/systemd/system")
		for _, alias := range u.Values("Install", "Alias") {
			if !systemd.ValidName(alias) {
				// Alias=../../x would lead out of /etc/systemd/system.
				col.find(plan.Warning, svc, shimDisable, u.Fragment, fmt.Sprintf("Alias=%q is not a unit name; not followed", alias))
				continue
			}
			p := path.Join(etc, alias)
			if e, ok := inv.Tree.Lstat(p); ok && e.Kind == tree.Symlink && path.Base(e.Target) == name {
				col.remove(svc, shimDisable, p, "disable: the alias "+alias+" goes with the enablement, as systemctl disable does", disabledExpect(name)...)
				removed++
			}
		}
		if removed == 0 && !inv.Units.Enablement(name).VendorOnly() {
			col.find(plan.Info, svc, shimDisable, "", name+" is not enabled from /etc; nothing to remove")
		}
	})
	return disabled
}

// eachUnit calls f with each unit the mask or disable list names (and its
// service name), once the name is known valid. On Upstart each name is a
// job, which both keep from starting the one way Upstart has: "manual" in
// its override.
// On SysV the unit's init script is disabled as update-rc.d does it; sysv
// collects those names.
func eachUnit(in *input, col *collector, over overrides, shim plan.Shim, list []string, sysv map[string]bool, f func(name, svc string)) {
	for _, raw := range list {
		name := plan.UnitName(raw)
		svc := systemd.Prefix(name)
		if !col.checkUnitName(shim, string(shim), name) {
			continue
		}
		if in.inv.Init == inspect.Upstart {
			over.disableJob(in.inv, col, svc, shim)
			continue
		}
		if in.inv.Init == inspect.SysV {
			if sysvDisable(in, col, shim, name, svc) {
				sysv[name] = true
			}
			continue
		}
		f(name, svc)
	}
}

// disableJob stops an Upstart job from starting by itself: a "manual"
// line in its override file.
func (over overrides) disableJob(inv *inspect.Inventory, col *collector, job string, shim plan.Shim) {
	j := inv.Job(job)
	if j == nil {
		col.find(plan.Error, job, shim, "", fmt.Sprintf("%s: Upstart job %q is not in the image (no /etc/init/%s.conf)", shim, job, job))
		return
	}
	over.add(j, shim, "manual", "the job starts only when asked (initctl start "+job+")")
}

// disabledExpect is what verify asks of a unit a disable unhooked.
func disabledExpect(name string) []plan.Expect {
	return []plan.Expect{
		{Check: plan.CheckLoaded, Unit: name, Args: []string{name, "loaded"}},
		{Check: plan.CheckNotEnabled, Unit: name, Args: []string{name}},
	}
}

// pinned pins each unit of set as on says (enabled or disabled), for the
// first boot's presets.
func pinned(set map[string]bool, on bool) map[string]bool {
	out := make(map[string]bool, len(set))
	for u := range set {
		out[u] = on
	}
	return out
}

// sysvDisable does on a SysV image what update-rc.d NAME disable does
// (init-system-helpers' update-rc.d, sysv_toggle): the script's S links
// in S 2 3 4 5 become K links, and insserv's files follow (the init-script
// step makes the K links and the files; the image's own S links are taken
// away here, recorded so that mode = "remove" puts them back). SysV has no
// mask: mask does the same, and no script is written for a unit without
// one. It reports whether the name is a service of the image.
func sysvDisable(in *input, col *collector, shim plan.Shim, name, svc string) bool {
	inv := in.inv
	s := inv.Service(svc)
	if systemd.Suffix(name) != "service" || s == nil || !s.Exists() {
		col.find(plan.Error, svc, shim, "", missingUnit(inv, string(shim), name))
		return false
	}
	what := "update-rc.d " + svc + " disable"
	if shim == shimMask {
		what += " (SysV has no mask: /etc/systemd/system/" + name + " -> /dev/null means nothing to SysV init)"
	}
	switch {
	case s.Script == nil && shim == shimMask:
		col.find(plan.Info, svc, shim, "", "this image's PID 1 is SysV init: as "+what+"; the unit gets no init script, so nothing starts it")
		return true
	case s.Script == nil || col.listed(s.ScriptPath):
		col.find(plan.Info, svc, shim, "", "this image's PID 1 is SysV init: as "+what+", the init script initcompat writes from the unit gets K links only")
		return true
	}
	removed := 0
	for _, lv := range []string{"S", "2", "3", "4", "5"} {
		dir := inspect.RealPath(inv.Tree, "/etc/rc"+lv+".d")
		for _, e := range inv.Tree.ReadDir(dir) {
			n := path.Base(e.Path)
			if e.Kind == tree.Symlink && len(n) > 3 && n[0] == 'S' && rcLinkName.MatchString(n) && n[3:] == svc {
				col.remove(svc, shim, e.Path, "this image's PID 1 is SysV init: as "+what+", its start link goes and a K link takes its place")
				removed++
			}
		}
	}
	if removed == 0 {
		col.find(plan.Info, svc, shim, s.ScriptPath, "this image's PID 1 is SysV init, and "+svc+" has no S link in S 2 3 4 5: it does not start at boot already")
	}
	return true
}

// scriptUnit says whether a service unit of that name is an init
// script's: /etc/init.d holds its script.
func scriptUnit(inv *inspect.Inventory, name string) bool {
	if systemd.Suffix(name) != "service" {
		return false
	}
	s := inv.Service(systemd.Prefix(name))
	return s != nil && s.Script != nil
}
