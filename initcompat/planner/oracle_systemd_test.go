//go:build linux

package planner_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// The ordering oracle's side of systemd: the drop-ins written into a tree
// and taken out again, and the cycles systemd-analyze verify reports.

// writeDropIns writes files (image paths) under dir; undo removes them,
// and the directories it made.
func writeDropIns(dir string, files map[string][]byte) (undo func(), err error) {
	var made, written []string
	undo = func() {
		for _, p := range written {
			_ = os.Remove(p)
		}
		for i := len(made) - 1; i >= 0; i-- {
			_ = os.Remove(made[i])
		}
	}
	for p, data := range files {
		full := filepath.Join(dir, p)
		d := filepath.Dir(full)
		if _, err := os.Lstat(d); err != nil {
			if err := os.Mkdir(d, 0o755); err != nil {
				return undo, err
			}
			made = append(made, d)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			return undo, err
		}
		written = append(written, full)
	}
	return undo, nil
}

// systemdCycles runs systemd-analyze verify over default.target and reads
// the cycles it reports ("Found ordering cycle on A/start", "Found
// dependency on B/start", ...), each as its sorted units.
func systemdCycles(analyze, dir string) (map[string]bool, string, error) {
	cmd := exec.Command(analyze, "verify", "--root="+dir, "--man=no", "default.target")
	out, err := cmd.CombinedOutput()
	// It exits non-zero on findings; only failing to run is an error.
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, "", fmt.Errorf("systemd-analyze: %w", err)
	}
	cycles := map[string]bool{}
	var cur []string
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.Contains(line, "Found ordering cycle on "):
			cur = []string{jobUnit(line, "Found ordering cycle on ")}
		case strings.Contains(line, "Found dependency on ") && cur != nil:
			cur = append(cur, jobUnit(line, "Found dependency on "))
		case strings.Contains(line, "to break ordering cycle") && cur != nil:
			cycles[cycleKey(cur)] = true
			cur = nil
		}
	}
	return cycles, string(out), nil
}

// within reports whether every unit of cycle key a is in key b.
func within(a, b string) bool {
	in := map[string]bool{}
	for _, u := range strings.Fields(b) {
		in[u] = true
	}
	for _, u := range strings.Fields(a) {
		if !in[u] {
			return false
		}
	}
	return true
}

// caseUnits are the units a case names.
func caseUnits(c oracleCase) []string {
	var out []string
	for _, s := range c.services {
		out = append(out, s+".service")
	}
	for _, b := range c.blocks {
		out = append(out, b.Unit+".service")
	}
	return out
}

func jobUnit(line, after string) string {
	s := strings.SplitN(line, after, 2)[1]
	return strings.TrimSpace(strings.SplitN(s, "/", 2)[0])
}

// cycleKey is a cycle's units, once each, sorted: systemd and the planner
// may start the same cycle at different units.
func cycleKey(units []string) string {
	set := map[string]bool{}
	for _, u := range units {
		set[strings.TrimSpace(u)] = true
	}
	out := make([]string, 0, len(set))
	for u := range set {
		out = append(out, u)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
