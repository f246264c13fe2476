package planner

import (
	"slices"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// shim is one family of shims: what it reads, owns and writes (its
// footprint), and its step. A step reads what it is given (input: the
// image as inspected, the configuration, the scope and what earlier steps
// decided), plans its changes and findings through the collector, and
// returns what it decides for the steps after it.
type shim struct {
	name plan.Shim
	footprint
	step func(in *input, col *collector) decided
}

// footprint is what a shim declares of the image. The registry's union of
// them is the one list each reader takes: the snapshot watches places and
// watches (Watches), the unit store leaves out initcompat's drop-ins
// (DropIns), and the apply and its recovery hold a journal to the places
// (Places), in Go and in sh.
type footprint struct {
	// watches are what the step reads beyond inspection's own watches
	// (Watches).
	watches []tree.Watch
	// dropIns are the drop-in file names it owns in NAME.d/.
	dropIns []string
	// dirs are the directories it writes into (and may make), absolute:
	// one that is a link to a place the snapshot does not read fails the
	// build (checkWriteDirs). optionalDirs it writes into only where they
	// are directories of the image (or missing, where it may make them),
	// judging each itself: a runlevel whose rc directory leads out of the
	// image gets no link, a Provides: alias whose directory is below a
	// link no alias, each with a warning.
	// files are the single files it writes outside them.
	dirs, optionalDirs, files []string
}

// registry lists the shims in the order their steps run. The first two's
// units change what the rest read (the unit store, enablement, which
// services have units), so the runner inspects the image again after each;
// masks, disables and orderings decide the fate of units before the
// redirects that follow it; the Upstart overrides are written once every
// step that asks for a line has asked.
var registry = []*shim{
	shimUpstartUnits,
	shimNativeUnits,
	shimMasks,
	shimDisables,
	shimOrderings,
	shimRedirects,
	shimInitScripts,
	shimUpstartLinks,
	shimStopOns,
	shimOverrides,
	shimForegrounds,
	shimSystemctlPath,
	shimPresets,
}

// Places are where the shims write: the union of their footprints.
func Places() plan.Places {
	var all []string
	for _, s := range registry {
		all = append(append(append(all, s.dirs...), s.optionalDirs...), s.files...)
	}
	return plan.NewPlaces(all...)
}

// DropIns are the drop-in file names the shims own, sorted.
func DropIns() []string {
	var all []string
	for _, s := range registry {
		all = append(all, s.dropIns...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// Watches are what the shims read and write beyond inspection's own
// watches: the directories they write into with what those hold, the
// files they write for their kind (and link target).
func Watches() []tree.Watch {
	var out []tree.Watch
	for _, s := range registry {
		out = append(out, s.watches...)
		for _, d := range append(slices.Clone(s.dirs), s.optionalDirs...) {
			out = append(out, tree.Watch{Path: d[1:], Content: true})
		}
		for _, f := range s.files {
			out = append(out, tree.Watch{Path: f[1:]})
		}
	}
	return out
}
