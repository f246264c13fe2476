package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// sampleTree sums, every 10 ms until stop is closed, the PSS of every
// descendant of process root (a phase's, with the remote transport: GNU
// time, the remote sh, its subshells, and what they run at once, such as
// the apply's four tars and their decoders), and sends the peak in KiB. PSS
// shares a page among the processes mapping it: the sum is the tree's
// memory, where a sum of RSS counts every subshell's pages shared with its
// shell again, and GNU time gives only the largest process.
func sampleTree(root int, stop <-chan struct{}) <-chan int {
	peak := make(chan int, 1)
	go func() {
		best := -1
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if kib, ok := treePSS(root); ok {
				best = max(best, kib)
			}
			select {
			case <-stop:
				peak <- best
				return
			case <-t.C:
			}
		}
	}()
	return peak
}

// treePSS is the PSS (KiB) summed over root's descendants, not root.
func treePSS(root int) (int, bool) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	kids := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The fields after the command, which may hold spaces: state, ppid.
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			kids[ppid] = append(kids[ppid], pid)
		}
	}
	sum := 0
	for todo := kids[root]; len(todo) > 0; {
		pid := todo[len(todo)-1]
		todo = append(todo[:len(todo)-1], kids[pid]...)
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "Pss:"); ok {
				if kib, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))); err == nil {
					sum += kib
				}
				break
			}
		}
	}
	return sum, true
}
