package lsb

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// doubling is the red team's /etc/default bomb (issue 34, 5): each
// variable twice the one before, V40 a terabyte if expanded.
func doubling(n int) string {
	var b strings.Builder
	b.WriteString("V0=xxxxxxxx\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "V%d=$V%d$V%d\n", i, i-1, i-1)
	}
	return b.String()
}

// bombs are scripts (and sourced files) built to make a reader's memory
// or time grow without bound.
var bombs = []struct {
	name, script, defaults string
}{
	{"default-file", "#!/bin/sh\n. /etc/default/b\ncase \"$1\" in start) start-stop-daemon --start --exec /usr/bin/$V40 -- $V40 ;; esac\n", doubling(40)},
	{"script", doubling(40) + "start-stop-daemon --start --exec \"$V40\" -- $V40 $V40\n", ""},
	{"quoted-and-defaults", "A=x\n" + strings.Repeat("A=\"${A:-$A}$A${A}\"\n", 60) + "start-stop-daemon -S -x /x -- $A\n", ""},
	{"functions", func() string {
		// f40 calls f39 twice, ..., f1 calls f0 twice: 2^40 calls.
		var b strings.Builder
		b.WriteString("f0() { start-stop-daemon --start --exec /usr/bin/x; }\n")
		for i := 1; i <= 40; i++ {
			fmt.Fprintf(&b, "f%d() { f%d; f%d; }\n", i, i-1, i-1)
		}
		b.WriteString("f40\n")
		return b.String()
	}(), ""},
	{"recursion", "f() { f; f; f; }\ng() { g \"$@\" \"$@\"; }\nf\ng a\n", ""},
	{"eval", "X='eval \"$X\"; eval \"$X\"'\neval \"$X\"\n", ""},
	{"su-c", "C='su -c \"$C\" u; su -c \"$C\" u'\nsu -c \"$C\" u\n", ""},
	{"nesting", strings.Repeat("$(", 20000) + strings.Repeat(")", 20000) + "\n", ""},
	{"commands", strings.Repeat("start-stop-daemon --start --exec /usr/bin/x\n", 30000), ""},
	{"sourced-loop", ". /etc/default/b\n. /etc/default/b\n", ". /etc/default/b\n. /etc/default/b\nV=$V$V$V$V\n"},
	{"removal", "A=" + strings.Repeat("a", 60000) + "\n" + strings.Repeat("B=${A%%*a*a*a*a*a*a*a*a*a*a*a*b}\n", 200), ""},
	{"case", "A=" + strings.Repeat("a", 60000) + "\n" + strings.Repeat("case $A in *a*a*a*a*a*a*a*a*b) x;; esac\n", 300), ""},
}

// TestBombsAreBounded reads each bomb and holds the reading to a few
// tens of MiB allocated and a few seconds, however the script grows; the
// plugin was killed at 1 GiB in 2 s by the first one.
func TestBombsAreBounded(t *testing.T) {
	for _, bomb := range bombs {
		t.Run(bomb.name, func(t *testing.T) {
			defaults := func(string) []byte { return []byte(bomb.defaults) }
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			st := ReadStart([]byte(bomb.script), defaults)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %d calls, %d runs, %d MiB allocated, %v; %s", bomb.name, len(st.Calls), len(st.Runs), alloc>>20, elapsed.Round(time.Millisecond), st.Unread)
			if alloc > 128<<20 {
				t.Errorf("%d MiB allocated", alloc>>20)
			}
			// The steps are bounded (the reading stops, Unread says where);
			// the time only shows it, tenfold under the race detector.
			if bound := 5 * time.Second; elapsed > bound && !raceOn || elapsed > 10*bound {
				t.Errorf("took %v", elapsed)
			}
			for _, c := range st.Calls {
				for _, a := range c.Args {
					if len(a.Text) > maxValue {
						t.Fatalf("a word of %d bytes passed the %d-byte bound", len(a.Text), maxValue)
					}
				}
			}
		})
	}
}
