package cfn

import (
	"fmt"
	"slices"
	"strings"
)

// noteIndex finds the undecided Fn::If that bear on a service without
// looking at every one for every service: one undecided configSets item
// bears on every service, and 1,500 of them, noted on each of 1,500
// services, took 1.9 GiB (issue 34). The configSets notes make one summary
// that every service shares; the others are indexed by their place.
type noteIndex struct {
	res     *resolver
	sets    string           // the configSets' summary, "" when none
	byPlace map[string][]int // a place (at most config.services.KEY.NAME) -> notes there or below
}

// maxWhen is the most notes one service carries; the rest are counted.
const maxWhen = 8

func placeKey(p []string) string { return strings.Join(p, "\x00") }

func newNoteIndex(res *resolver) noteIndex {
	ix := noteIndex{res: res, byPlace: map[string][]int{}}
	var sets []int
	for i, n := range res.notes {
		if len(n.path) == 0 || n.path[0] == "configSets" {
			sets = append(sets, i) // which configs run: every service's business
			continue
		}
		k := placeKey(n.path[:min(4, len(n.path))])
		ix.byPlace[k] = append(ix.byPlace[k], i)
	}
	if len(sets) > 0 {
		ix.sets = res.noteText(&res.notes[sets[0]])
		if len(sets) > 1 {
			first, last := res.notes[sets[1]].line, res.notes[sets[len(sets)-1]].line
			lines := ""
			if first > 0 {
				lines = fmt.Sprintf(" (lines %d to %d)", first, last)
			}
			ix.sets += fmt.Sprintf("; and %d more undecided Fn::If in configSets%s", len(sets)-1, lines)
		}
	}
	return ix
}

// forService are the notes that bear on one service: the configSets', the
// ones above its entry (the config, its services, the key) and the ones in
// it, at most maxWhen and a count.
func (ix noteIndex) forService(config, key, name string) []string {
	var out []string
	if ix.sets != "" {
		out = append(out, ix.sets)
	}
	var own []string
	for _, p := range [][]string{{config}, {config, "services"}, {config, "services", key}, {config, "services", key, name}} {
		for _, i := range ix.byPlace[placeKey(p)] {
			n := &ix.res.notes[i]
			if len(p) < 4 && len(n.path) != len(p) {
				continue // below the place, but not in this service
			}
			own = append(own, ix.res.noteText(n))
		}
	}
	slices.Sort(own)
	own = slices.Compact(own)
	if len(own) > maxWhen {
		more := len(own) - maxWhen
		own = append(own[:maxWhen], fmt.Sprintf("and %d more undecided Fn::If in this service's entry", more))
	}
	return append(out, own...)
}
