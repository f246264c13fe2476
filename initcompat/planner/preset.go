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
	if inv.FirstBoot() && inv.DBusMachineID == inspect.MachineIDValid {
		col.find(plan.Warning, "", shimPreset, inspect.DBusMachineIDPath, "is a regular file holding an id while "+inspect.MachineIDPath+
			" is "+string(inv.MachineID)+": systemd takes the id from it at the first boot (machine-id(5)), so every clone of this image gets the same id. Make it a link, as systemd and dbus document: ln -sf "+
			inspect.MachineIDPath+" "+inspect.DBusMachineIDPath)
	}
	p := path.Join(inspect.RealPath(inv.Tree, presetDir), presetFile)
	// Without prune, what earlier runs pinned stays pinned, as what they
	// wrote stays in place; prune drops the pins no step decides now.
	pins := map[string]bool{}
	if e, ok := col.tree.Lstat(p); ok && !in.pol.Prune && col.ownsFile(p, e.Data) {
		pins = readPins(e.Data)
	}
	if in.pol.PinAllEnablement {
		for _, n := range inv.Units.Names() {
			if on, ok := currentPin(inv, n); ok {
				pins[n] = on
			}
		}
	}
	// What the steps decided wins over the image's state before them.
	maps.Copy(pins, in.pins)
	if len(pins) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString(col.marker() + "\n")
	b.WriteString("# The enablement this build decided, pinned for the first boot (systemd.preset(5)):\n")
	b.WriteString("# a machine-id reset to \"uninitialized\" or removed makes systemd apply the presets\n")
	b.WriteString("# then, and the first file to name a unit decides it.\n")
	enable := 0
	for _, n := range slices.Sorted(maps.Keys(pins)) {
		if pins[n] {
			b.WriteString("enable " + n + "\n")
			enable++
		} else {
			b.WriteString("disable " + n + "\n")
		}
	}
	reason := "pins " + count(enable, "enable") + " and " + count(len(pins)-enable, "disable") +
		" for a first boot, which a later step that resets the machine ID makes of the next one (now: " + inv.Boot() + ")"
	// One question for all of them: systemctl reads the presets once.
	var said []string
	for _, n := range slices.Sorted(maps.Keys(pins)) {
		want := "disabled"
		if pins[n] {
			want = "enabled"
		}
		said = append(said, n+"="+want)
	}
	col.writeFile("", shimPreset, p, 0o644, []byte(b.String()), reason, plan.Expect{Check: plan.CheckPreset, Args: said})
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
// and "disable UNIT" lines (systemd.preset(5)), a valid unit name each.
func readPins(data []byte) map[string]bool {
	pins := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		verb, unit, ok := strings.Cut(l, " ")
		if ok && (verb == "enable" || verb == "disable") && systemd.ValidName(unit) {
			pins[unit] = verb == "enable"
		}
	}
	return pins
}
