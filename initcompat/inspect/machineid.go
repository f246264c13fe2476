package inspect

import (
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The machine ID decides whether the image's next boot is its first: what
// systemd does then is read from the snapshot, as machine-id(5) ("First
// Boot Semantics") and systemd(1) define it.
//
//   - /etc/machine-id missing, or holding "uninitialized" (systemd 247 and
//     later): the boot is a first boot. systemd generates an id and, at
//     that boot, applies the preset policy to every unit (systemd.preset(5)
//     "preset-all"): enable-only as Debian builds it; enable and disable
//     where it is built with first-boot-full-preset (Fedora, Azure Linux).
//   - empty, or not a valid id: a new id is generated at boot, which is not
//     a first boot: no presets.
//   - a valid id: every clone boots with it; no presets.
//
// /var/lib/dbus/machine-id, when it is a regular file, is where systemd
// takes the id from when /etc/machine-id has none (machine-id(5):
// "Initialization"): every clone of such an image gets the same id.

// MachineID is the state of a machine-id file in the image.
type MachineID string

// The states a machine-id file can be in.
const (
	MachineIDMissing       MachineID = "missing"
	MachineIDUninitialized MachineID = "uninitialized"
	MachineIDEmpty         MachineID = "empty"
	MachineIDValid         MachineID = "id"
	MachineIDInvalid       MachineID = "invalid"
	MachineIDLink          MachineID = "link"
	MachineIDOther         MachineID = "not a file"
)

// The machine-id files, as machine-id(5) names them.
const (
	MachineIDPath     = "/etc/machine-id"
	DBusMachineIDPath = "/var/lib/dbus/machine-id"
)

// machineIDOf reads the state of the machine-id file at p.
func machineIDOf(t *tree.Tree, p string) MachineID {
	e, ok := t.Lstat(p)
	switch {
	case !ok:
		return MachineIDMissing
	case e.Kind == tree.Symlink:
		return MachineIDLink
	case e.Kind != tree.File:
		return MachineIDOther
	case e.Omitted:
		return MachineIDInvalid
	}
	s := strings.TrimSuffix(string(e.Data), "\n")
	switch {
	case s == "":
		return MachineIDEmpty
	case s == "uninitialized":
		return MachineIDUninitialized
	case validMachineID(s):
		return MachineIDValid
	}
	return MachineIDInvalid
}

// validMachineID is 32 lower-case hexadecimal digits, not all zero
// (machine-id(5)).
func validMachineID(s string) bool {
	if len(s) != 32 || strings.Trim(s, "0") == "" {
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}

// FirstBoot says whether systemd takes the image's next boot for its first
// and applies the preset policy then.
func (inv *Inventory) FirstBoot() bool {
	return inv.MachineID == MachineIDMissing || inv.MachineID == MachineIDUninitialized
}

// Boot says, in a line of the plan, how the image's next boot treats the
// enablement the build leaves.
func (inv *Inventory) Boot() string {
	switch inv.MachineID {
	case MachineIDMissing, MachineIDUninitialized:
		return MachineIDPath + " is " + string(inv.MachineID) + ": first boot, presets will run (systemctl preset-all)"
	case MachineIDEmpty, MachineIDInvalid:
		return MachineIDPath + " is " + string(inv.MachineID) + ": a new id at boot, no presets; the build's enablement stands"
	case MachineIDValid:
		return MachineIDPath + " holds an id: no first boot, no presets; the build's enablement stands (every clone shares the id)"
	}
	return MachineIDPath + " is a " + string(inv.MachineID) + ": systemd reads the id through it"
}
