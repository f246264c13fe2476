package planner

import (
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// What the build decided survives the first boot. Image pipelines reset
// /etc/machine-id so that each clone gets its own id; with it missing or
// "uninitialized", systemd takes the next boot for the first and applies
// the preset policy to every unit (machine-id(5), systemd.preset(5)):
// Debian's "enable *" enables what the build disabled; systemd built with
// first-boot-full-preset (Fedora, Azure Linux) also disables what the
// build enabled. The clean-up usually runs after initcompat, so the pins
// are written whatever the machine ID is at build time.
//
// systemd.preset(5): preset files are read from /etc/systemd/system-preset,
// /run and /usr/lib in that order of precedence, a file in /etc masking
// one of the same name below it, and all of them sorted by file name; the
// first line that matches a unit decides it. A file in /etc whose name
// sorts first therefore decides every unit it names, for the first boot's
// preset-all and for a `systemctl preset` run by hand alike.

const (
	shimPreset plan.Shim = "preset"
	// presetDir is where the pins go; presetFile sorts before the
	// distributions' (Debian's 90-systemd.preset, Fedora's 85-display-
	// manager.preset, 99-default-disable.preset) and any "00-" an admin
	// writes after "0-".
	presetDir  = "/etc/systemd/system-preset"
	presetFile = "0-initcompat.preset"
)

// shimPresets pins every enablement initcompat decides (and, with
// pin_all_enablement, the image's every unit's) in one preset file.
var shimPresets = &shim{
	name:      shimPreset,
	footprint: footprint{dirs: []string{presetDir}},
	step: func(in *input, col *collector) decided {
		planPresets(in, col)
		return decided{}
	},
}

// planPresets writes the pins, and says what the first boot will do.
func planPresets(in *input, col *collector) {
	inv := in.inv
	if inv.Init != inspect.Systemd {
		if in.pol.PinAllEnablement {
			col.find(plan.Info, "", shimPreset, "", "pin_all_enablement: this image boots with "+string(inv.Init)+", which has no presets; nothing is pinned")
		}
		return
	}
	planDBusID(inv, col)
	p := path.Join(inspect.RealPath(inv.Tree, presetDir), presetFile)
	// Without prune, what earlier runs pinned stays pinned, as what they
	// wrote stays in place; prune drops the pins no step decides now.
	pins := map[string]bool{}
	if e, ok := col.tree.Lstat(p); ok && !in.pol.Prune && col.ownsFile(p, e.Data) {
		pins = readPins(e.Data)
	}
	linked := linkedInstances(inv)
	if in.pol.PinAllEnablement {
		for _, n := range inv.Units.Names() {
			if on, ok := currentPin(inv, n); ok {
				pins[n] = on
			} else if pinnedTemplate(inv, n, linked) {
				pins[n] = false
			}
		}
	}
	// What the steps decided wins over the image's state before them. A
	// "disabled" that no step decided mirrors the image (the redirects' rc
	// links): systemctl's reading of the unit wins there, as a preset
	// "disable" would remove an alias link that enables it.
	for n, on := range in.pins {
		if !on && !in.disabled[n] && !in.masked[n] {
			if cur, ok := currentPin(inv, n); ok {
				on = cur
			}
		}
		pins[n] = on
	}
	if len(pins) == 0 {
		return
	}
	alsoPins(in, col, pins)
	lines := presetLines(in, pins, linked)
	var b strings.Builder
	b.WriteString(col.marker() + "\n")
	b.WriteString("# The enablement this build decided, pinned for the first boot (systemd.preset(5)):\n")
	b.WriteString("# a machine-id reset to \"uninitialized\" or removed makes systemd apply the presets\n")
	b.WriteString("# then, and the first file to name a unit decides it.\n")
	enable := 0
	// One question for all of them: systemctl reads the presets once.
	var said []string
	for _, n := range slices.Sorted(maps.Keys(lines)) {
		if on := lines[n]; on != nil {
			b.WriteString(strings.Join(append([]string{"enable", n}, on...), " ") + "\n")
			said = append(said, n+"=enabled")
			enable++
		} else {
			b.WriteString("disable " + n + "\n")
			said = append(said, n+"=disabled")
		}
	}
	reason := "pins " + count(enable, "enable") + " and " + count(len(lines)-enable, "disable") +
		" for a first boot, which a later step that resets the machine ID makes of the next one (now: " + inv.Boot() + ")"
	col.writeFile("", shimPreset, p, 0o644, []byte(b.String()), reason, plan.Expect{Check: plan.CheckPreset, Args: said})
}

// planDBusID says when every clone takes its id from the D-Bus file.
// machine-id(5), "Initialization": when /etc/machine-id is empty or
// missing ("uninitialized" is read as missing), systemd uses the id in
// /var/lib/dbus/machine-id unless that is a link. Booted here (e2e
// TestPresetDBusMachineID), two clones of an image with /etc/machine-id
// uninitialized or empty and the dbus file kept got the same id. With an
// id in /etc/machine-id the file does nothing yet, but the clean-up that
// usually runs after initcompat resets /etc/machine-id alone.
func planDBusID(inv *inspect.Inventory, col *collector) {
	if inv.DBusMachineID != inspect.MachineIDValid {
		return
	}
	fix := "Make it a link, as systemd and dbus document: ln -sf " + inspect.MachineIDPath + " " + inspect.DBusMachineIDPath
	switch inv.MachineID {
	case inspect.MachineIDMissing, inspect.MachineIDUninitialized, inspect.MachineIDEmpty, inspect.MachineIDInvalid:
		col.find(plan.Warning, "", shimPreset, inspect.DBusMachineIDPath, "is a regular file holding an id while "+inspect.MachineIDPath+
			" is "+string(inv.MachineID)+": systemd takes the id from it at boot (machine-id(5)), so every clone of this image gets the same id. "+fix)
	case inspect.MachineIDValid:
		col.find(plan.Info, "", shimPreset, inspect.DBusMachineIDPath, "is a regular file holding an id: once a later step resets "+inspect.MachineIDPath+
			" (uninitialized, empty or removed, as image pipelines do), systemd takes the id from it at boot (machine-id(5)) and every clone gets the same id. "+fix+", or remove it in the same clean-up")
	}
}

// presetLines turns the pins into the file's lines, by the unit each
// names: nil for "disable", the instances to name (none for a plain unit)
// for "enable". systemd.preset(5) matches a line against unit files, and an
// instance has none: `preset-all` takes a template's first matching line
// for all its instances ("disable T" removes every instance's links,
// "enable T" enables its DefaultInstance, "enable T A B" enables A and B).
// A line naming an instance matches nothing, and Debian's own "enable
// getty@.service" then enables getty@tty1 again. So every instance pinned
// becomes its template's line, naming the instances the build leaves
// enabled from /etc: the pinned ones and those linked that no pin turns off.
func presetLines(in *input, pins map[string]bool, linked map[string][]string) map[string][]string {
	lines := map[string][]string{}
	templates := map[string]bool{}
	for n, on := range pins {
		switch t := systemd.TemplateOf(n); {
		case t != "":
			templates[t] = true
		case systemd.IsTemplate(n):
			templates[n] = true
		case on:
			lines[n] = []string{}
		default:
			lines[n] = nil
		}
	}
	for t := range templates {
		var on []string
		if !in.disabled[t] && !in.masked[t] {
			for _, i := range linked[t] {
				if pin, ok := pins[i]; !ok || pin {
					on = append(on, i)
				}
			}
		}
		for i, pin := range pins {
			if pin && systemd.TemplateOf(i) == t && !slices.Contains(on, i) {
				on = append(on, i)
			}
		}
		lines[t] = nil
		for _, i := range slices.Sorted(slices.Values(on)) {
			lines[t] = append(lines[t], instanceOf(i))
		}
	}
	return lines
}

// linkedInstances lists the instances enabled from /etc, by template: the
// instance links in /etc/systemd/system/*.wants, *.requires and *.upholds.
func linkedInstances(inv *inspect.Inventory) map[string][]string {
	out := map[string][]string{}
	for _, d := range inv.Tree.ReadDir(inspect.RealPath(inv.Tree, "/etc/systemd/system")) {
		ext := path.Ext(d.Path)
		if d.Kind != tree.Dir || (ext != ".wants" && ext != ".requires" && ext != ".upholds") {
			continue
		}
		for _, l := range inv.Tree.ReadDir(d.Path) {
			if n := path.Base(l.Path); systemd.ValidName(n) && systemd.TemplateOf(n) != "" && !slices.Contains(out[systemd.TemplateOf(n)], n) {
				out[systemd.TemplateOf(n)] = append(out[systemd.TemplateOf(n)], n)
			}
		}
	}
	return out
}

// instanceOf is "tty1" for "getty@tty1.service".
func instanceOf(name string) string {
	_, i, _ := strings.Cut(systemd.Prefix(name), "@")
	return i
}

// pinnedTemplate says whether pin_all_enablement pins a template: one a
// preset could change, with instances enabled from /etc or a
// DefaultInstance that "enable" would enable.
func pinnedTemplate(inv *inspect.Inventory, name string, linked map[string][]string) bool {
	if !systemd.ValidName(name) || !systemd.IsTemplate(name) || inv.Units.AliasOf(name) != "" {
		return false
	}
	u := inv.Units.Load(name)
	if u == nil || u.Fragment == "" || u.Masked || !u.HasInstall() {
		return false
	}
	return len(linked[name]) > 0 || u.Last("Install", "DefaultInstance") != ""
}

// alsoPins keeps what Also= would undo. systemctl enable, and so a
// preset's "enable", enables the units a unit's [Install] Also= names with
// it (systemd.unit(5)), after every "disable" of the same preset-all: a
// unit the build leaves disabled comes back with any unit enabled that
// names it. A unit pinned disabled gets the units that name it and are
// disabled pinned disabled too; one pinned or left enabled cannot be kept
// from enabling it, and the plan says so.
func alsoPins(in *input, col *collector, pins map[string]bool) {
	inv := in.inv
	state := func(n string) (on, ok bool) {
		if on, ok := pins[n]; ok {
			return on, true
		}
		on, ok = currentPin(inv, n)
		return on && !in.disabled[n], ok
	}
	for _, x := range inv.Units.Names() {
		u := inv.Units.Load(x)
		if u == nil || inv.Units.AliasOf(x) != "" {
			continue
		}
		for _, a := range u.Values("Install", "Also") {
			if a == x || !systemd.ValidName(a) || in.masked[a] || inv.Units.Enablement(a).State == systemd.Masked {
				continue
			}
			if on, ok := state(a); !ok || on {
				continue
			}
			_, pinnedA := pins[a]
			xOn, xPinned := pins[x]
			if !xPinned {
				if !pinnedA {
					continue
				}
				var ok bool
				if xOn, ok = state(x); !ok {
					continue
				}
				if !xOn {
					pins[x] = false
					continue
				}
			}
			if xOn {
				col.find(plan.Warning, "", shimPreset, u.Fragment, x+" is enabled and its Also= names "+a+", which the build leaves disabled: a preset's \"enable\" of "+x+
					" (the distribution's, or a pin) enables "+a+" too (systemd.unit(5), Also=), at the first boot as by hand; mask "+a+" to keep it off, or enable it")
			}
		}
	}
}

// currentPin is the pin that keeps a unit as the image has it: enabled or
// disabled, for a unit systemctl can enable (an [Install] section, not a
// template, an alias, masked or generated).
func currentPin(inv *inspect.Inventory, name string) (on, ok bool) {
	if !systemd.ValidName(name) || systemd.IsTemplate(name) || inv.Units.AliasOf(name) != "" {
		return false, false
	}
	u := inv.Units.Load(name)
	if u == nil || u.Fragment == "" || u.Masked || !u.HasInstall() {
		return false, false
	}
	switch inv.Units.Enablement(name).State {
	case systemd.Enabled:
		return true, true
	case systemd.Disabled:
		// systemctl is-enabled says "enabled" of a unit whose [Install]
		// alias is linked in /etc (a display manager's
		// display-manager.service), and a preset's "disable" removes it.
		etc := inspect.RealPath(inv.Tree, "/etc/systemd/system")
		for _, a := range u.Values("Install", "Alias") {
			if e, ok := inv.Tree.Lstat(path.Join(etc, a)); ok && systemd.ValidName(a) && e.Kind == tree.Symlink && path.Base(e.Target) == name {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

// count is "n noun(s)".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// readPins reads the pins of a preset file initcompat wrote: "enable UNIT"
// and "disable UNIT" lines (systemd.preset(5)), a valid unit name each; a
// template's line pins the template, and the instances it names enabled.
func readPins(data []byte) map[string]bool {
	pins := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || (f[0] != "enable" && f[0] != "disable") || !systemd.ValidName(f[1]) {
			continue
		}
		pins[f[1]] = f[0] == "enable" && len(f) == 2
		for _, i := range f[2:] {
			if n := strings.TrimSuffix(f[1], "."+systemd.Suffix(f[1])) + i + "." + systemd.Suffix(f[1]); systemd.IsTemplate(f[1]) && systemd.ValidName(n) {
				pins[n] = true
			}
		}
	}
	return pins
}
