package planner

import (
	"fmt"
	"maps"
	"path"
	"slices"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstartunit"
)

// shimUpstartUnit is the name of the Upstart-to-systemd shim.
const shimUpstartUnit plan.Shim = "upstart-to-systemd"

// shimUpstartUnits gives each job of a systemd image that has no unit of
// its name a native unit (package upstartunit translates it) and enables
// it like the job. It runs first, and hands the image as it leaves it to
// the steps after it: the units it makes are what they read.
var shimUpstartUnits = &shim{
	name: shimUpstartUnit,
	// It writes the units, their wants links, and the job's script
	// blocks under upstartunit.ScriptDir, in the directory it makes.
	footprint: footprint{dirs: []string{"/etc/systemd/system", path.Dir(upstartunit.ScriptDir)}},
	step: func(in *input, col *collector) decided {
		before := len(col.plan.Changes)
		return unitsDecided(in, col, before, planUpstartUnits(in, col))
	},
}

// unitsDecided is what a step that writes units decides: the image as it
// leaves it, when it changed it (the rest of the inventory, and the jobs'
// parses, carry over: the step wrote none of what they are read from), and
// each unit pinned as it leaves it: enabled like its job or script, or not
// while a person must decide.
func unitsDecided(in *input, col *collector, before int, units []string) decided {
	var d decided
	image := in.inv
	if len(col.plan.Changes) > before {
		image = in.inv.Reinspect(plan.Overlay(in.inv.Tree, col.plan.Changes))
		d.image = image
	}
	d.pins = map[string]bool{}
	for _, u := range units {
		if on, ok := currentPin(image, u); ok {
			d.pins[u] = on
		}
	}
	return d
}

// enableLink is the wants link that enables a translated unit like its job.
type enableLink struct {
	service, link, target, reason string
}

// planUpstartUnits gives each job in /etc/init of a systemd image that has
// no unit of its name a native unit, translated stanza by stanza, and
// enables it when the job started by itself. What does not translate is a
// finding naming file and line, and keeps the unit disabled; so does an
// ordering cycle the enabled units would close. It returns the units it
// writes or finds as it writes them.
func planUpstartUnits(in *input, col *collector) (units []string) {
	if in.inv.Init != inspect.Systemd {
		return nil
	}
	var links []enableLink
	for _, sc := range in.scope {
		l, unit := planUpstartUnit(in, col, sc)
		if unit != "" {
			units = append(units, unit)
		}
		if l != nil {
			links = append(links, *l)
		}
	}
	for _, l := range withoutCycles(in.inv, col, links) {
		col.symlink(l.service, shimUpstartUnit, l.link, l.target, l.reason)
	}
	return units
}

// planUpstartUnit writes one job's unit and scripts, and returns the unit's
// name ("" when none is written) and the link that would enable it (nil
// when it stays as it is).
func planUpstartUnit(in *input, col *collector, sc inScope) (*enableLink, string) {
	s, inv, jobs := sc.svc, in.inv, in.jobs
	if s.Job == nil {
		return nil, ""
	}
	// A unit of ours from an earlier run is translated again (and updated
	// when this version writes it differently); any other unit wins.
	if s.Alias != "" || (s.Unit != nil && !ourUnit(col, s.Unit.Fragment)) {
		if sc.explicit {
			col.find(plan.Info, s.Name, shimUpstartUnit, s.Job.Conf, "a systemd unit of that name exists; the job file is ignored by systemd and left as it is")
		}
		return nil, ""
	}
	if !lsb.ValidName(s.Name) {
		col.find(plan.Warning, s.Name, shimUpstartUnit, s.Job.Conf, fmt.Sprintf("%q is not a name to give a unit; not translated", s.Name))
		return nil, ""
	}
	j := jobs.load(col, s.Job)
	if j == nil {
		return nil, ""
	}
	u := upstartunit.Translate(j, s.Job.Conf, lookupJob(inv, col, jobs))
	for _, n := range u.Notes {
		level := plan.Info
		if n.Blocking {
			level = plan.Warning
		}
		col.find(level, s.Name, shimUpstartUnit, n.At, n.Msg)
	}
	etc := inspect.RealPath(inv.Tree, "/etc/systemd/system")
	unitPath := path.Join(etc, s.Name+".service")
	for _, name := range slices.Sorted(maps.Keys(u.Scripts)) {
		p := path.Join(upstartunit.ScriptDir, s.Name, name)
		body := "#!/bin/sh -e\n" + col.marker() + "\n# The " + name + " block of " + s.Job.Conf + ".\n" + u.Scripts[name]
		col.writeFile(s.Name, shimUpstartUnit, p, 0o755, []byte(body), "the "+name+" process of the job, run by "+s.Name+".service")
	}
	content := upstartunit.Render(col.marker(), s.Job.Conf, u.Options)
	unitName := s.Name + ".service"
	if !col.writeFile(s.Name, shimUpstartUnit, unitPath, 0o644, content,
		"systemd ignores /etc/init; the job becomes a native unit, translated stanza by stanza",
		plan.Expect{Check: plan.CheckLoaded, Unit: unitName, Args: []string{unitName, "loaded"}}) {
		return nil, ""
	}
	switch {
	case u.Blocked():
		col.find(plan.Warning, s.Name, shimUpstartUnit, unitPath, "written but not enabled, because of the stanzas above; enable it once checked (systemctl enable "+s.Name+")")
	case s.Unit != nil:
		// Enabled (or not) when first written; what people did with it since stands.
	case u.Auto:
		return &enableLink{
			service: s.Name,
			link:    path.Join(etc, u.Target+".wants", s.Name+".service"),
			target:  "/etc/systemd/system/" + s.Name + ".service",
			reason:  "the job started by itself (" + upstartunit.StartOn(j) + "), so the unit is enabled in " + u.Target,
		}, unitName
	}
	return nil, unitName
}

// lookupJob tells the translation whether a unit or job of that name is in
// the image, and whether it is an Upstart task.
func lookupJob(inv *inspect.Inventory, col *collector, jobs jobMemo) upstartunit.Lookup {
	return func(name string) (exists, task bool) { return jobKind(inv, col, jobs, name) }
}

// jobKind is lookupJob's answer for one name.
func jobKind(inv *inspect.Inventory, col *collector, jobs jobMemo, name string) (exists, task bool) {
	s := inv.Service(name)
	if s == nil || !s.Exists() {
		return false, false
	}
	if s.Job != nil {
		if j := jobs.load(col, s.Job); j != nil {
			// A task that expects a fork is a forking unit: active while its
			// daemon runs, so After= it is not after the task's end.
			c := j.Class()
			return true, c.Task && c.Expect != "fork" && c.Expect != "daemon"
		}
	}
	return true, false
}

// withoutCycles drops the links whose units would close an ordering cycle
// that the image does not have yet: systemd would break it at boot by
// deleting a job, maybe a vital one.
func withoutCycles(inv *inspect.Inventory, col *collector, links []enableLink) []enableLink {
	if len(links) == 0 {
		return nil
	}
	// The boot, and each unit started by hand (systemctl start), which
	// pulls in what its links make it want.
	roots := []string{"default.target"}
	for _, l := range links {
		roots = append(roots, l.service+".service")
	}
	before := cycleSet(inv.Units.BuildGraphFrom(roots, nil).Cycles())
	trial := append([]plan.Change(nil), col.plan.Changes...)
	for _, l := range links {
		trial = append(trial, plan.Change{Op: plan.OpSymlink, Path: l.link, Target: l.target})
	}
	units := inv.StoreOf(plan.Overlay(inv.Tree, trial))
	fresh := newCycles(units.BuildGraphFrom(roots, nil).Cycles(), before)
	if len(fresh) == 0 {
		return links
	}
	inCycle := map[string][]string{}
	for _, c := range fresh {
		for _, name := range c {
			inCycle[name] = c
		}
	}
	var keep []enableLink
	for _, l := range links {
		if c, bad := inCycle[l.service+".service"]; bad {
			col.find(plan.Warning, l.service, shimUpstartUnit, l.link, "not enabled: the job's events, as systemd orderings, close the cycle "+
				systemd.FormatCycle(c)+"; systemd would delete a job to break it when they start. Change the job's start on, or the unit, and enable it once the cycle is gone")
			continue
		}
		keep = append(keep, l)
	}
	return keep
}

// ourUnit says whether the unit file is initcompat's, as the manifest
// recorded it.
func ourUnit(col *collector, fragment string) bool {
	e, ok := col.tree.Lstat(fragment)
	return ok && e.Kind == tree.File && col.ownsFile(fragment, e.Data)
}
