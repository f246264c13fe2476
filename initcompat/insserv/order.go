package insserv

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The order insserv makes of the scripts' headers: which scripts each file
// lists and which runs after which (insserv.c rememberreq, reversereq,
// all_script, makedep), and the test that a file holds that order.

// provider maps each name a script provides to the script (the first in
// name order when two provide one: insserv keeps one and warns).
func (img *Image) provider() map[string]string {
	out := map[string]string{}
	for _, n := range slices.Sorted(maps.Keys(img.Scripts)) {
		s := img.Scripts[n]
		prov := s.Header.Provides
		if len(prov) == 0 {
			prov = []string{n}
		}
		for _, p := range prov {
			if strings.HasPrefix(p, "$") || strings.HasPrefix(p, "#") {
				continue
			}
			if _, ok := out[p]; !ok {
				out[p] = n
			}
		}
	}
	return out
}

// resolve expands the words of a header field to script names: a
// facility through /etc/insserv.conf (recursively), a "+" word is
// optional, a name to the script providing it; $all and $null are none.
func (img *Image) resolve(words []string, prov map[string]string) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(w string, depth int)
	walk = func(w string, depth int) {
		w = strings.TrimPrefix(w, "+")
		if w == "" || depth > 32 {
			return
		}
		if strings.HasPrefix(w, "$") {
			if strings.EqualFold(w, "$all") || strings.EqualFold(w, "$null") {
				return
			}
			for _, r := range img.facilities[w] {
				walk(r, depth+1)
			}
			return
		}
		if s, ok := prov[w]; ok && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, w := range words {
		walk(w, 0)
	}
	return out
}

// fileOf says which scripts a file lists (makedep's listscripts): boot
// the S level, start the levels 0-6 of S links, stop the levels 0-6 of K
// links of scripts not stopped in S.
func fileOf(f string, s *Script) bool {
	switch f {
	case BootFile:
		return s.Start&LevelS != 0
	case StartFile:
		return s.Start&levelAll != 0
	default:
		return s.Stop&levelNorm != 0 && s.Stop&LevelS == 0
	}
}

// edges is the dependency relation of one file as insserv builds it
// (rememberreq, reversereq, all_script, makedep): target -> what it runs
// after, among the file's targets and sharing a level.
func (img *Image) edges(f string) map[string][]string {
	prov := img.provider()
	in := map[string]*Script{}
	for n, s := range img.Scripts {
		if fileOf(f, s) {
			in[n] = s
		}
	}
	out := map[string][]string{}
	add := func(t, d string) {
		ts, ds := in[t], in[d]
		if ts == nil || ds == nil || t == d {
			return
		}
		if f == StopFile {
			if ts.Stop&ds.Stop == 0 {
				return
			}
		} else if ts.Start&ds.Start == 0 || ds.all() {
			return
		}
		if !slices.Contains(out[t], d) {
			out[t] = append(out[t], d)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(in)) {
		s := in[n]
		h := s.Header
		if f == StopFile {
			for _, t := range img.resolve(slices.Concat(h.RequiredStop, h.ShouldStop), prov) {
				add(t, n)
			}
			for _, d := range img.resolve(h.StopAfter, prov) {
				add(n, d)
			}
			if s.first() {
				for t, ts := range in {
					if !ts.first() {
						add(t, n)
					}
				}
			}
			continue
		}
		for _, d := range img.resolve(slices.Concat(h.RequiredStart, h.ShouldStart), prov) {
			add(n, d)
		}
		for _, t := range img.resolve(h.StartBefore, prov) {
			add(t, n)
		}
		if s.all() {
			for d := range in {
				add(n, d)
			}
		}
	}
	return out
}

// targets are the scripts a file lists.
func (img *Image) targets(f string) map[string]bool {
	out := map[string]bool{}
	for n, s := range img.Scripts {
		if fileOf(f, s) {
			out[n] = true
		}
	}
	return out
}

// Consistent says whether the image's three files are what insserv makes
// of the image as it is, as far as startpar can tell: the same targets,
// and the same order between them (the transitive closure of the lines).
// insserv's own choices (the order of words, which implied dependencies it
// leaves out) are free; a target or an order a person added or took out
// is not.
func (img *Image) Consistent() error {
	if img.Problem != "" {
		return fmt.Errorf("%s", img.Problem)
	}
	for _, f := range []string{BootFile, StartFile, StopFile} {
		if err := Equivalent(f, img.Files[f], img.targets(f), img.edges(f)); err != nil {
			return err
		}
	}
	return nil
}

// Equivalent compares a file with targets and edges: the same targets and
// the same transitive closure of the edges.
func Equivalent(f string, m *Makefile, targets map[string]bool, edges map[string][]string) error {
	have := map[string]bool{}
	for _, t := range m.Targets {
		have[t] = true
	}
	for _, t := range slices.Sorted(maps.Keys(targets)) {
		if !have[t] {
			return fmt.Errorf("%s lacks the target %s", f, t)
		}
	}
	for _, t := range m.Targets {
		if !targets[t] {
			return fmt.Errorf("%s lists %s, which insserv would not", f, t)
		}
	}
	a, b := closure(m.Edges()), closure(edges)
	for _, t := range m.Targets {
		for _, d := range slices.Sorted(maps.Keys(a[t])) {
			if !b[t][d] {
				return fmt.Errorf("%s runs %s after %s, which the headers do not ask", f, t, d)
			}
		}
		for _, d := range slices.Sorted(maps.Keys(b[t])) {
			if !a[t][d] {
				return fmt.Errorf("%s does not run %s after %s, which the headers ask", f, t, d)
			}
		}
	}
	return nil
}

// closure is the transitive closure of edges.
func closure(edges map[string][]string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	var visit func(t string) map[string]bool
	visiting := map[string]bool{}
	visit = func(t string) map[string]bool {
		if c, ok := out[t]; ok {
			return c
		}
		c := map[string]bool{}
		if visiting[t] {
			return c
		}
		visiting[t] = true
		for _, d := range edges[t] {
			c[d] = true
			maps.Copy(c, visit(d))
		}
		visiting[t] = false
		out[t] = c
		return c
	}
	for t := range edges {
		visit(t)
	}
	return out
}
