package insserv

import (
	"testing"
)

// The files and headers come from the image: whatever they hold, reading
// them never panics, and a file ParseMakefile accepts renders back to the
// same bytes (so that what initcompat writes keeps every byte it did not
// add).
func FuzzMakefile(f *testing.F) {
	f.Add([]byte("TARGETS = killprocs bootlogs rmnologin single rc.local\nINTERACTIVE =\nsingle: killprocs\nrc.local: bootlogs rmnologin\n"))
	f.Add([]byte("TARGETS = sendsigs umountnfs.sh\numountnfs.sh: sendsigs\n"))
	f.Add([]byte("#!/bin/sh\n### BEGIN INIT INFO\n# Provides: a b,c;d\n# Required-Start: $all  x\n# X-Start-Before: y\n### END INIT INFO\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ParseHeader(data)
		m, err := ParseMakefile(data)
		if err != nil {
			return
		}
		if m.Render() != string(data) {
			t.Fatalf("accepted but renders differently:\n%q\n%q", data, m.Render())
		}
		c := m.Clone()
		c.add("new", m.Targets[:min(1, len(m.Targets))], m.Targets, true)
		c.strip(map[string]bool{"new": true})
		if c.Render() != string(data) && !slicesHas(m.Targets, "new") {
			t.Fatalf("add then strip changed the file:\n%q\n%q", data, c.Render())
		}
	})
}

func slicesHas(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
