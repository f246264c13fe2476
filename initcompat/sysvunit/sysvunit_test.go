package sysvunit

import (
	"fmt"
	"strings"
	"testing"
)

// A unit's lists are capped: 1100 header-less scripts ordered before one
// (fix_order), and a header naming 1500 services.
func TestListsCapped(t *testing.T) {
	var scripts []Script
	var links []Link
	for i := range 1100 {
		n := fmt.Sprintf("early%04d", i)
		scripts = append(scripts, Script{Path: "/etc/init.d/" + n, Data: []byte("#!/bin/sh\n")})
		links = append(links, Link{Runlevel: "2", Name: "S10" + n})
	}
	scripts = append(scripts, Script{Path: "/etc/init.d/last", Data: []byte("#!/bin/sh\n")})
	links = append(links, Link{Runlevel: "2", Name: "S99last"})
	var deps []string
	for i := range 1500 {
		deps = append(deps, fmt.Sprintf("dep%d", i))
	}
	scripts = append(scripts, Script{Path: "/etc/init.d/wide", Data: []byte("#!/bin/sh\n### BEGIN INIT INFO\n# Required-Start: " + strings.Join(deps, " ") + "\n### END INIT INFO\n")})
	res := Generate(scripts, links, Options{})
	got := map[string]Unit{}
	for _, u := range res.Units {
		got[u.Name] = u
	}
	last, wide := got["last.service"], got["wide.service"]
	if len(last.After) != maxList || len(last.Capped) != 1 || last.Capped[0] != "After: 1100 names, the first 1000 kept" {
		t.Errorf("last: %d After, capped %q", len(last.After), last.Capped)
	}
	if len(wide.After) != maxList || len(wide.Capped) != 1 || wide.Capped[0] != "After: 1500 names, the first 1000 kept" {
		t.Errorf("wide: %d After, capped %q", len(wide.After), wide.Capped)
	}
	if e := got["early0000.service"]; len(e.Before) != 1 || e.Before[0] != "last.service" || len(e.Capped) != 0 {
		t.Errorf("early0000: Before %q, capped %q", e.Before, e.Capped)
	}
	if n := strings.Count(string(Render(last, "#")), "\nAfter="); n != maxList {
		t.Errorf("last renders %d After= lines", n)
	}
}

// Past maxOrderPairs the header-less scripts' S-number orderings are left
// out, and said: 2,000 of them would order each against the 1,999 others.
func TestHeaderlessOrderingsBounded(t *testing.T) {
	var scripts []Script
	var links []Link
	for i := range 2000 {
		n := fmt.Sprintf("old%04d", i)
		scripts = append(scripts, Script{Path: "/etc/init.d/" + n, Data: []byte("#!/bin/sh\n")})
		links = append(links, Link{Runlevel: "2", Name: fmt.Sprintf("S%02d%s", i%100, n)})
	}
	res := Generate(scripts, links, Options{})
	if res.Unordered != 2000 || len(res.Units) != 2000 {
		t.Fatalf("Unordered %d, %d units", res.Unordered, len(res.Units))
	}
	for _, u := range res.Units {
		if len(u.After)+len(u.Before) != 0 || len(u.Enabled) != 1 {
			t.Fatalf("%s: After %d, Before %d, Enabled %q", u.Name, len(u.After), len(u.Before), u.Enabled)
		}
	}
}

// What the lines and words of a script are, as systemd reads them.
func TestLinesAndWords(t *testing.T) {
	got := strings.Join(lines([]byte("  a \r\nb\n\rc\r\rd\x00\ne\x00\x00f\n\n"), longLineMax), "|")
	if want := "a|b|c||d||e||f|"; got != want {
		t.Errorf("lines: %q, want %q", got, want)
	}
	if got := lines([]byte("short\n"+strings.Repeat("x", 10)+"\nafter\n"), 8); len(got) != 1 {
		t.Errorf("a line past the limit ends the reading: %q", got)
	}
	got = strings.Join(words(` a "b c" 'd'e f\ g "unbalanced`), "|")
	if want := "a|b c|de|f g|unbalanced"; got != want {
		t.Errorf("words: %q, want %q", got, want)
	}
}

func BenchmarkGenerate10k(b *testing.B) {
	var scripts []Script
	var links []Link
	for i := range 10000 {
		n := fmt.Sprintf("svc%05d", i)
		scripts = append(scripts, Script{Path: "/etc/init.d/" + n, Data: []byte("#!/bin/sh\n### BEGIN INIT INFO\n# Provides: " + n + " alias-" + n +
			"\n# Required-Start: $remote_fs $network\n# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n# Short-Description: service " + n +
			"\n### END INIT INFO\necho \"Usage: $0 {start|stop|reload}\"\n")})
		for _, rl := range []string{"2", "3", "4", "5"} {
			links = append(links, Link{Runlevel: rl, Name: "S01" + n})
		}
	}
	b.ResetTimer()
	for range b.N {
		res := Generate(scripts, links, Options{})
		for _, u := range res.Units {
			_ = Render(u, "#")
		}
	}
}

func BenchmarkGenerateHeaderless(b *testing.B) {
	for _, n := range []int{10000, 50000} {
		var scripts []Script
		var links []Link
		for i := range n {
			name := fmt.Sprintf("old%06d", i)
			scripts = append(scripts, Script{Path: "/etc/init.d/" + name, Data: []byte("#!/bin/sh\necho hi\n")})
			links = append(links, Link{Runlevel: "2", Name: fmt.Sprintf("S%02d%s", i%100, name)})
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for range b.N {
				Generate(scripts, links, Options{})
			}
		})
	}
}
