//go:build linux

package protocol

import (
	"strings"
	"testing"
)

// A directory the plan makes is made under the stage directory of its
// parent with what it holds, and renamed into place whole: no stage
// directory of its own (a mkdir and an rmdir each of 10,000 drop-in
// directories, which tar -x never pays), and the manifest's directory,
// when the plan makes it, renamed last.
func TestMadeDirectoriesStagedWhole(t *testing.T) {
	steps, err := Steps(freshPlan(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mkdirs, renames, staged []string
	for _, s := range steps {
		switch s.Op {
		case StepMkdir:
			mkdirs = append(mkdirs, s.Path)
		case StepRename:
			renames = append(renames, s.Path+" -> "+s.Target)
		case StepWrite, StepSymlink:
			staged = append(staged, s.Path)
		}
	}
	for _, c := range []struct {
		what string
		got  []string
		want string
	}{
		{"mkdirs", mkdirs, "/etc/init.d/.initcompat-stage /etc/.initcompat-stage /etc/systemd/system/.initcompat-stage /var/lib/.initcompat-stage " +
			"/etc/.initcompat-stage/initcompat /etc/.initcompat-stage/initcompat/lib /etc/systemd/system/.initcompat-stage/a.service.d /var/lib/.initcompat-stage/initcompat"},
		{"staged", staged, "/etc/init.d/.initcompat-stage/a /etc/.initcompat-stage/initcompat/run /etc/.initcompat-stage/initcompat/lib/run.sh " +
			"/etc/systemd/system/.initcompat-stage/a.service.d/initcompat.conf /var/lib/.initcompat-stage/initcompat/manifest.json"},
		{"renames", renames, "/etc/init.d/.initcompat-stage/a -> /etc/init.d/a " +
			"/etc/.initcompat-stage/initcompat -> /etc/initcompat " +
			"/etc/systemd/system/.initcompat-stage/a.service.d -> /etc/systemd/system/a.service.d " +
			"/var/lib/.initcompat-stage/initcompat -> /var/lib/initcompat"},
	} {
		if got := strings.Join(c.got, " "); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.what, got, c.want)
		}
	}
	// The journal recovery reads says the same: a stage directory beside
	// each made directory, none inside one.
	var j *Journal
	for _, s := range steps {
		if s.Op == StepJournal && s.State == JournalBegin {
			j, err = ParseJournal(s.Content, testPlaces)
		}
	}
	if j == nil || err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(j.StageDirs, " "), "/etc/init.d/.initcompat-stage /etc/.initcompat-stage /etc/systemd/system/.initcompat-stage /var/lib/.initcompat-stage"; got != want {
		t.Errorf("stagedir lines %s, want %s", got, want)
	}
}

// The payload's parts: about as many entries each, at most maxParts, and a
// directory staged whole never split across two (its tar makes it before
// what it holds).
func TestPayloadParts(t *testing.T) {
	if maxParts > 10 {
		t.Fatalf("maxParts %d: apply.sh hashes payload.* in the glob's order, which is the parts' only up to 10", maxParts)
	}
	for _, c := range []struct{ services, parts int }{{10, 1}, {400, 2}, {10000, 4}} {
		steps, err := Steps(manyServices(c.services), Options{})
		if err != nil {
			t.Fatal(err)
		}
		n, of := parts(steps)
		if n != c.parts {
			t.Errorf("%d services: %d parts, want %d", c.services, n, c.parts)
		}
		owner := map[string]int8{} // a directory staged whole: its part
		count := make([]int, n)
		total := 0
		for i, s := range steps {
			if !staging(s) {
				if of[i] != -1 {
					t.Fatalf("%s %s is in part %d, not staged", s.Op, s.Path, of[i])
				}
				continue
			}
			total++
			count[of[i]]++
			u, whole := unitKey(s)
			if !whole {
				continue
			}
			if k, ok := owner[u]; ok && k != of[i] {
				t.Fatalf("%s is in part %d, its directory in part %d", s.Path, of[i], k)
			}
			owner[u] = of[i]
		}
		for k, m := range count {
			if m > (total+n-1)/n+2 {
				t.Errorf("%d services: part %d holds %d of %d entries", c.services, k, m, total)
			}
		}
		if total != 5*c.services+1 { // every change; no stage directory
			t.Errorf("%d services: %d entries in the parts", c.services, total)
		}
	}
}
