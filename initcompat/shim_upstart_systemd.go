package initcompat

import (
	"fmt"
	"io"
	"path"
	"sort"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// ShimUpstartUnit translates Upstart jobs into systemd units.
const ShimUpstartUnit = "upstart-to-systemd"

// JobScriptDir holds the script blocks of translated jobs, one directory
// per job, since a unit file cannot carry a multi-line shell script.
const JobScriptDir = "/etc/initcompat/jobs"

// planUpstartToSystemd gives each job in /etc/init of a systemd image that
// has no unit of its name a native unit, translated stanza by stanza, and
// enables it when the job started by itself. What does not translate is a
// finding naming file and line, and keeps the unit disabled.
func planUpstartToSystemd(pl *planner, in inScope) {
	s, inv := in.svc, pl.inv
	if inv.Init != Systemd || s.Job == nil {
		return
	}
	// A unit of ours from an earlier run is translated again (and updated
	// when this version writes it differently); any other unit wins.
	if s.Alias != "" || (s.Unit != nil && !ourUnit(inv, s.Unit.Fragment)) {
		if in.explicit {
			pl.find(Info, s.Name, ShimUpstartUnit, s.Job.Conf, "a systemd unit of that name exists; the job file is ignored by systemd and left as it is")
		}
		return
	}
	if !scriptName.MatchString(s.Name) {
		pl.find(Warning, s.Name, ShimUpstartUnit, s.Job.Conf, fmt.Sprintf("%q is not a name to give a unit; not translated", s.Name))
		return
	}
	j := pl.loadJob(s.Job)
	if j == nil {
		return
	}
	tr := translate(j)
	blocked := false
	for _, n := range tr.notes {
		level := Info
		if n.blocking {
			level, blocked = Warning, true
		}
		pl.find(level, s.Name, ShimUpstartUnit, n.at, n.msg)
	}
	etc := realPath(inv.Tree, "/etc/systemd/system")
	unitPath := path.Join(etc, s.Name+".service")
	for _, name := range sortedKeys(tr.scripts) {
		p := path.Join(JobScriptDir, s.Name, name)
		body := "#!/bin/sh -e\n" + Marker(pl.pol.Version) + "\n# The " + name + " block of " + s.Job.Conf + ".\n" + tr.scripts[name]
		pl.writeFile(s.Name, ShimUpstartUnit, p, 0o755, []byte(body), "the "+name+" script block of the job, run by "+s.Name+".service")
	}
	content := renderUnit(pl.pol.Version, s.Job.Conf, tr.opts)
	if !pl.writeFile(s.Name, ShimUpstartUnit, unitPath, 0o644, content,
		"systemd ignores /etc/init; the job becomes a native unit, translated stanza by stanza") {
		return
	}
	switch {
	case blocked:
		pl.find(Warning, s.Name, ShimUpstartUnit, unitPath, "written but not enabled, because of the stanzas above; enable it once checked (systemctl enable "+s.Name+")")
	case s.Unit != nil:
		// Enabled (or not) when first written; what people did with it since stands.
	case tr.target != "":
		link := path.Join(etc, tr.target+".wants", s.Name+".service")
		pl.symlink(s.Name, ShimUpstartUnit, link, "/etc/systemd/system/"+s.Name+".service",
			"the job started by itself ("+startOn(j)+"), so the unit is enabled in "+tr.target)
	}
}

func ourUnit(inv *Inventory, fragment string) bool {
	e, ok := inv.Tree.Lstat(fragment)
	return ok && e.Kind == tree.File && IsOurs(e.Data)
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
