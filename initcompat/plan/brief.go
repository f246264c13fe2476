package plan

import (
	"fmt"
	"strings"
)

// What a person reads in a build log: a screen, whatever the image. The
// plan change by change is Text (PACKER_LOG) and JSON (report_file); the
// build log says what happens to which service and what to act on, as
// packer-plugin-ansible keeps its UI to the play's outcome.

// briefGroups is the most service-and-shim lines Brief shows; past it,
// one line per shim says how many services it touches.
const briefGroups = 12

// briefFindings is the most findings Brief shows one by one; past it,
// one line per level and shim says how many there are, with the first.
const briefFindings = 8

// briefNames is how many names a line lists before "...".
const briefNames = 3

// Headline is the plan's first line: what the image is and what is in scope.
func (p *Plan) Headline() string {
	s := p.Summary
	cloud := "no cloud-init"
	if s.CloudInit {
		cloud = "cloud-init"
	}
	return fmt.Sprintf("image: %s, %s, %s; in scope: %s", orNone(s.initSystem()), orNone(s.Distro), cloud, names(s.InScope, "service"))
}

// Brief renders the plan for a person reading a build log: the headline,
// one line per service and shim with the first path and a count per kind
// (one per shim when there are many services), the findings that are not
// errors (the provisioner lists those once, beside the build's error),
// then the count. The changes of a plan with errors are only counted:
// none is written.
func (p *Plan) Brief() string {
	var b strings.Builder
	b.WriteString(p.Headline() + "\n")
	if s := p.Summary.Boot; s != "" {
		b.WriteString("  boot: " + s + "\n")
	}
	for _, c := range p.Summary.CfnInit {
		fmt.Fprintf(&b, "  cfn-init: %s\n", c.Where())
	}
	var shown []Finding
	for _, f := range p.Findings {
		if f.Level != Error {
			shown = append(shown, f)
		}
	}
	if len(shown) == len(p.Findings) {
		groups := groupChanges(p.Changes)
		if len(groups) > briefGroups {
			groups = byShim(groups)
		}
		for _, g := range groups {
			fmt.Fprintf(&b, "  %s: %s (%s)\n", g.who(), orNone(g.first), g.counts())
		}
	}
	writeBriefFindings(&b, shown)
	fmt.Fprintf(&b, "%s, %s", count(len(p.Changes), "change"), count(len(p.Findings), "finding"))
	return b.String()
}

// changeGroup is what a plan does for one service and shim (or, past
// briefGroups, for one shim).
type changeGroup struct {
	services []string
	shim     Shim
	first    string
	ops      map[Op]int
}

func groupChanges(changes []Change) []*changeGroup {
	var groups []*changeGroup
	index := map[string]*changeGroup{}
	for _, c := range changes {
		key := c.Service + "\x00" + string(c.Shim)
		g := index[key]
		if g == nil {
			g = &changeGroup{shim: c.Shim, ops: map[Op]int{}}
			if c.Service != "" {
				g.services = []string{c.Service}
			}
			index[key] = g
			groups = append(groups, g)
		}
		if g.first == "" && c.Op != OpMkdir {
			g.first = string(c.Op) + " " + c.Path
			if c.Op == OpSymlink {
				g.first += " -> " + c.Target
			}
		}
		g.ops[c.Op]++
	}
	return groups
}

// byShim merges the groups of each shim, in the order shims first appear.
func byShim(groups []*changeGroup) []*changeGroup {
	var out []*changeGroup
	index := map[Shim]*changeGroup{}
	for _, g := range groups {
		m := index[g.shim]
		if m == nil {
			m = &changeGroup{shim: g.shim, first: g.first, ops: map[Op]int{}}
			index[g.shim] = m
			out = append(out, m)
		}
		m.services = append(m.services, g.services...)
		for op, n := range g.ops {
			m.ops[op] += n
		}
	}
	return out
}

func (g *changeGroup) who() string {
	switch len(g.services) {
	case 0:
		return string(g.shim)
	case 1:
		return g.services[0] + ": " + string(g.shim)
	}
	return string(g.shim) + " for " + names(g.services, "service")
}

func (g *changeGroup) counts() string {
	var parts []string
	for _, op := range []Op{OpWrite, OpSymlink, OpRemove, OpMkdir} {
		if n := g.ops[op]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, opNoun(op, n)))
		}
	}
	return strings.Join(parts, ", ")
}

// writeBriefFindings writes each finding, or past briefFindings one line
// per level and shim with how many and the first of them.
func writeBriefFindings(b *strings.Builder, fs []Finding) {
	if len(fs) <= briefFindings {
		for _, f := range fs {
			fmt.Fprintf(b, "  %s\n", FindingLine(f))
		}
		return
	}
	type key struct {
		level Level
		shim  Shim
	}
	var order []key
	groups := map[key][]Finding{}
	for _, f := range fs {
		k := key{f.Level, f.Shim}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], f)
	}
	for _, k := range order {
		g := groups[k]
		if len(g) == 1 {
			fmt.Fprintf(b, "  %s\n", FindingLine(g[0]))
			continue
		}
		fmt.Fprintf(b, "  %-5s %s of [%s], the first: %s\n", k.level, count(len(g), "finding"), k.shim, FindingLine(g[0]))
	}
}

// FindingLine is a finding on one line: level, shim and service, where,
// and what to do.
func FindingLine(f Finding) string {
	at := ""
	if f.Path != "" {
		at = " " + f.Path + ":"
	}
	return fmt.Sprintf("%-5s [%s%s]%s %s", f.Level, f.Shim, svc(f.Service), at, f.Message)
}

// names lists a few names and says how many there are.
func names(list []string, noun string) string {
	switch {
	case len(list) == 0:
		return "none"
	case len(list) <= briefNames+1:
		return strings.Join(list, " ")
	}
	return fmt.Sprintf("%s (%s ... %s)", count(len(list), noun), strings.Join(list[:briefNames], " "), list[len(list)-1])
}

// count says "1 change", "2 changes".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func opNoun(op Op, n int) string {
	noun := map[Op]string{OpWrite: "file", OpSymlink: "link", OpRemove: "removal", OpMkdir: "directory"}[op]
	if n == 1 {
		return noun
	}
	if op == OpMkdir {
		return "directories"
	}
	return noun + "s"
}
