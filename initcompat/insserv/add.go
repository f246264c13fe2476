package insserv

import (
	"fmt"
	"maps"
	"slices"
)

// New is a script initcompat adds, or one whose links it changes
// (update-rc.d NAME disable): its name, header and the levels of its links.
type New struct {
	Name        string
	Header      Header
	Start, Stop Levels
}

// Result is the three files with the new scripts, and the sequence number
// insserv gives each new script's links (its start and stop depth).
type Result struct {
	Files    map[string]*Makefile
	StartSeq map[string]int
	StopSeq  map[string]int
}

// Add puts new scripts into the image's files as insserv orders them: each
// gets its target and line in the files of its levels, and the targets
// that run after it (a $all script, one it starts before, one whose stop
// needs it) get it in their lines. A script the image has already is
// taken out first and put back at its new levels (what update-rc.d's
// disable and its insserv run make of it). Nothing else the files hold is
// rewritten. The image must be Consistent.
func (img *Image) Add(news []New) (*Result, error) {
	if err := img.Consistent(); err != nil {
		return nil, err
	}
	after := &Image{Scripts: maps.Clone(img.Scripts), facilities: img.facilities, interactive: img.interactive}
	for _, n := range news {
		seq := map[string]int{}
		if old := img.Scripts[n.Name]; old != nil {
			seq = old.Seq
		}
		after.Scripts[n.Name] = &Script{Name: n.Name, Header: n.Header, Start: n.Start, Stop: n.Stop, Seq: seq}
	}
	res := &Result{Files: map[string]*Makefile{}, StartSeq: map[string]int{}, StopSeq: map[string]int{}}
	names := make([]string, len(news))
	for i, n := range news {
		names[i] = n.Name
	}
	slices.Sort(names)
	stripped := Strip(img.Files, names)
	for _, f := range []string{BootFile, StartFile, StopFile} {
		m := stripped[f]
		edges := after.edges(f)
		for _, n := range order(names, edges) {
			if !fileOf(f, after.Scripts[n]) {
				continue
			}
			var dependents []string
			for _, t := range slices.Sorted(maps.Keys(edges)) {
				if t != n && slices.Contains(edges[t], n) && slices.Contains(m.Targets, t) {
					dependents = append(dependents, t)
				}
			}
			m.add(n, edges[n], dependents, after.Scripts[n].Header.Interactive || after.interactive[n])
		}
		res.Files[f] = m
	}
	for _, n := range names {
		res.StartSeq[n] = depth(after, n, after.edges(StartFile), after.edges(BootFile), "S")
		res.StopSeq[n] = depth(after, n, after.edges(StopFile), nil, "K")
	}
	return res, nil
}

// order lists the new names so that each comes after the new names it
// depends on (a dependency cycle keeps name order).
func order(names []string, edges map[string][]string) []string {
	var out []string
	done := map[string]bool{}
	var visit func(n string, depth int)
	visit = func(n string, depth int) {
		if done[n] || depth > len(names) {
			return
		}
		for _, d := range edges[n] {
			if slices.Contains(names, d) {
				visit(d, depth+1)
			}
		}
		if !done[n] {
			done[n] = true
			out = append(out, n)
		}
	}
	for _, n := range names {
		visit(n, 0)
	}
	return out
}

// depth is a new script's sequence number: one more than the highest of
// the scripts it runs after, read from their links in its rc directories
// (insserv numbers links by start or stop depth, listing.c __follow);
// 1 when it runs after none.
func depth(img *Image, n string, edges, boot map[string][]string, prefix string) int {
	s := img.Scripts[n]
	lv := s.Start
	if prefix == "K" {
		lv = s.Stop
	}
	best := 0
	deps := slices.Concat(edges[n], boot[n])
	for _, d := range deps {
		ds := img.Scripts[d]
		for _, dir := range lv.Dirs() {
			if q, ok := ds.Seq[dir+"/"+prefix]; ok && q > best {
				best = q
			} else if !ok && len(ds.Seq) == 0 {
				// Another new script: its own depth.
				if q := depth(img, d, edges, boot, prefix); q > best {
					best = q
				}
			}
		}
	}
	return min(best+1, 99)
}

// Strip takes the named scripts out of files Add made: what remains is the
// files as they were before, when nothing else changed them since.
func Strip(files map[string]*Makefile, names []string) map[string]*Makefile {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	out := map[string]*Makefile{}
	for f, m := range files {
		c := m.Clone()
		c.strip(set)
		out[f] = c
	}
	return out
}

// LinksFor are the rc links of a new script, as insserv names them:
// "rc2.d/S01NAME" in its start levels, "rc0.d/K01NAME" in its stop levels.
func LinksFor(n New, startSeq, stopSeq int) []string {
	var out []string
	for _, d := range n.Start.Dirs() {
		out = append(out, fmt.Sprintf("%s/S%02d%s", d, startSeq, n.Name))
	}
	for _, d := range n.Stop.Dirs() {
		out = append(out, fmt.Sprintf("%s/K%02d%s", d, stopSeq, n.Name))
	}
	return out
}
