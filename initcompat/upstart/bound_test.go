package upstart

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// allocated is the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Hostile jobs cost memory in proportion to their size (issue 34, item 5:
// 200,000 continuation lines took 18.9 s, nine times the time of four
// times fewer; 100,000 lines of open parentheses in start on took 34.6 s).
// Twice the lines may cost at most 2.5 times the bytes; quadratic would be
// 4.
func TestHostileJobsLinear(t *testing.T) {
	for name, job := range map[string]func(n int) string{
		"continuation lines": func(n int) string {
			return "exec /bin/daemon \\\n" + strings.Repeat("  --flag \\\n", n) + "  --last\n"
		},
		"open parentheses": func(n int) string {
			return "start on " + strings.Repeat("(\n", n) + "a" + strings.Repeat(")", n) + "\nexec /bin/x\n"
		},
		"unclosed parentheses": func(n int) string {
			return "start on " + strings.Repeat("(a and\n", n) + "b\n"
		},
		"continued start on": func(n int) string {
			return "start on a \\\n" + strings.Repeat("and b X=1 \\\n", n) + "and c\n"
		},
		"event arguments": func(n int) string {
			return "start on a " + strings.Repeat("K=v \\\n", n) + "\n"
		},
		"script lines": func(n int) string {
			return "script\n" + strings.Repeat("  echo x\n", n) + "end script\n"
		},
	} {
		t.Run(name, func(t *testing.T) {
			cost := func(n int) (uint64, int) {
				src := []byte(job(n))
				if len(src) > MaxJobBytes {
					t.Fatalf("%d lines make %d bytes, past MaxJobBytes", n, len(src))
				}
				return allocated(func() {
					if _, err := Load("h", "/etc/init/h.conf", src, "", nil); err != nil && len(ParseErrors(err)) == 0 {
						t.Fatal(err)
					}
				}), len(src)
			}
			small, _ := cost(20_000)
			large, size := cost(40_000)
			t.Logf("%s: 20,000 lines: %d KiB, 40,000 (%d KiB of job): %d KiB (%.2fx)", name, small>>10, size>>10, large>>10, float64(large)/float64(small))
			if large > small*5/2 {
				t.Errorf("twice the lines cost %.2f times the bytes (%d KiB, %d KiB)", float64(large)/float64(small), small>>10, large>>10)
			}
			if large > 64*uint64(size) {
				t.Errorf("%d KiB of job cost %d KiB: more than 64 bytes a byte", size>>10, large>>10)
			}
		})
	}
}

// A job file past MaxJobBytes is not read at all.
func TestJobTooLarge(t *testing.T) {
	src := []byte(strings.Repeat("task\n", MaxJobBytes/5+1))
	var st []*Stanza
	var err error
	cost := allocated(func() { st, err = Parse("/etc/init/big.conf", src) })
	var tl *TooLargeError
	if !errors.As(err, &tl) || st != nil || cost > 1<<16 {
		t.Fatalf("got %d stanzas, %v, %d bytes allocated", len(st), err, cost)
	}
}
