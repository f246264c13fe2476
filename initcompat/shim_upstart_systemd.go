package initcompat

import (
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"sort"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// jobScriptDir holds the script blocks of translated jobs, one directory
// per job, since a unit file cannot carry a multi-line shell script.
const jobScriptDir = "/etc/initcompat/jobs"

// enableLink is the wants link that enables a translated unit like its job.
type enableLink struct {
	service, link, target, reason string
}

// planUpstartUnits gives each job in /etc/init of a systemd image that has
// no unit of its name a native unit, translated stanza by stanza, and
// enables it when the job started by itself. What does not translate is a
// finding naming file and line, and keeps the unit disabled; so does an
// ordering cycle the enabled units would close. It returns the jobs as
// parsed, for the Upstart stages after it.
func planUpstartUnits(col *collector, scope []inScope) jobMemo {
	jobs := jobMemo{}
	if col.inv.Init != Systemd {
		return jobs
	}
	var links []enableLink
	for _, in := range scope {
		if l, ok := planUpstartUnit(col, in, jobs); ok {
			links = append(links, l)
		}
	}
	for _, l := range withoutCycles(col, links) {
		col.symlink(l.service, shimUpstartUnit, l.link, l.target, l.reason)
	}
	return jobs
}

// planUpstartUnit writes one job's unit and scripts, and returns the link
// that would enable it.
func planUpstartUnit(col *collector, in inScope, jobs jobMemo) (enableLink, bool) {
	s, inv := in.svc, col.inv
	if s.Job == nil {
		return enableLink{}, false
	}
	// A unit of ours from an earlier run is translated again (and updated
	// when this version writes it differently); any other unit wins.
	if s.Alias != "" || (s.Unit != nil && !col.ourUnit(s.Unit.Fragment)) {
		if in.explicit {
			col.find(Info, s.Name, shimUpstartUnit, s.Job.Conf, "a systemd unit of that name exists; the job file is ignored by systemd and left as it is")
		}
		return enableLink{}, false
	}
	if !scriptName.MatchString(s.Name) {
		col.find(Warning, s.Name, shimUpstartUnit, s.Job.Conf, fmt.Sprintf("%q is not a name to give a unit; not translated", s.Name))
		return enableLink{}, false
	}
	j := jobs.load(col, s.Job)
	if j == nil {
		return enableLink{}, false
	}
	u := translate(j, s.Job.Conf, lookupJob(col, jobs))
	for _, n := range u.notes {
		level := Info
		if n.blocking {
			level = Warning
		}
		col.find(level, s.Name, shimUpstartUnit, n.at, n.msg)
	}
	etc := realPath(inv.Tree, "/etc/systemd/system")
	unitPath := path.Join(etc, s.Name+".service")
	for _, name := range slices.Sorted(maps.Keys(u.scripts)) {
		p := path.Join(jobScriptDir, s.Name, name)
		body := "#!/bin/sh -e\n" + Marker(col.pol.Version) + "\n# The " + name + " block of " + s.Job.Conf + ".\n" + u.scripts[name]
		col.writeFile(s.Name, shimUpstartUnit, p, 0o755, []byte(body), "the "+name+" process of the job, run by "+s.Name+".service")
	}
	content := renderUnit(col.pol.Version, s.Job.Conf, u.opts)
	if !col.writeFile(s.Name, shimUpstartUnit, unitPath, 0o644, content,
		"systemd ignores /etc/init; the job becomes a native unit, translated stanza by stanza") {
		return enableLink{}, false
	}
	switch {
	case u.blocked():
		col.find(Warning, s.Name, shimUpstartUnit, unitPath, "written but not enabled, because of the stanzas above; enable it once checked (systemctl enable "+s.Name+")")
	case s.Unit != nil:
		// Enabled (or not) when first written; what people did with it since stands.
	case u.auto:
		return enableLink{
			service: s.Name,
			link:    path.Join(etc, u.target()+".wants", s.Name+".service"),
			target:  "/etc/systemd/system/" + s.Name + ".service",
			reason:  "the job started by itself (" + startOn(j) + "), so the unit is enabled in " + u.target(),
		}, true
	}
	return enableLink{}, false
}

// lookupJob tells the translation whether a unit or job of that name is in
// the image, and whether it is an Upstart task.
func lookupJob(col *collector, jobs jobMemo) func(name string) (exists, task bool) {
	return func(name string) (exists, task bool) { return jobKind(col, jobs, name) }
}

// jobKind is lookupJob's answer for one name.
func jobKind(col *collector, jobs jobMemo, name string) (exists, task bool) {
	s := col.inv.Service(name)
	if s == nil || !s.Exists() {
		return false, false
	}
	if s.Job != nil {
		if j := jobs.load(col, s.Job); j != nil {
			// A task that expects a fork is a forking unit: active while its
			// daemon runs, so After= it is not after the task's end.
			forks := false
			if e := j.Get("expect"); e != nil {
				forks = e.Args[0] == "fork" || e.Args[0] == "daemon"
			}
			return true, j.Has("task") && !forks
		}
	}
	return true, false
}

// withoutCycles drops the links whose units would close an ordering cycle
// that the image does not have yet: systemd would break it at boot by
// deleting a job, maybe a vital one.
func withoutCycles(col *collector, links []enableLink) []enableLink {
	if len(links) == 0 {
		return nil
	}
	// The boot, and each unit started by hand (systemctl start), which
	// pulls in what its links make it want.
	roots := []string{"default.target"}
	for _, l := range links {
		roots = append(roots, l.service+".service")
	}
	before := cycleSet(col.inv.Units.BuildGraphFrom(roots, nil).Cycles())
	trial := append([]Change(nil), col.plan.Changes...)
	for _, l := range links {
		trial = append(trial, Change{Op: OpSymlink, Path: l.link, Target: l.target})
	}
	units := systemd.NewStore(Overlay(col.inv.Tree, trial), OrderingDropIn)
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
			col.find(Warning, l.service, shimUpstartUnit, l.link, "not enabled: the job's events, as systemd orderings, close the cycle "+
				systemd.FormatCycle(c)+"; systemd would delete a job to break it when they start. Change the job's start on, or the unit, and enable it once the cycle is gone")
			continue
		}
		keep = append(keep, l)
	}
	return keep
}

func (v *view) ourUnit(fragment string) bool {
	e, ok := v.inv.Tree.Lstat(fragment)
	return ok && e.Kind == tree.File && v.ownsFile(fragment, e.Data)
}

func startOn(j *upstart.Job) string {
	if s := j.Get("start on"); s != nil {
		return "start on " + s.Raw
	}
	return ""
}

// renderUnit writes the unit with go-systemd's serializer under a header,
// sections in the order people expect.
func renderUnit(version, from string, opts []*unit.UnitOption) []byte {
	rank := map[string]int{"Unit": 0, "Service": 1, "Install": 2}
	sorted := append([]*unit.UnitOption(nil), opts...)
	sort.SliceStable(sorted, func(i, j int) bool { return rank[sorted[i].Section] < rank[sorted[j].Section] })
	body, _ := io.ReadAll(unit.Serialize(sorted)) // a bytes.Buffer reader: cannot fail
	return []byte(Marker(version) + "\n# Translated from the Upstart job " + from + ".\n" + string(body))
}
