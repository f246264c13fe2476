package initcompat

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// A 10,000-service image: the second run plans nothing, and one service
// added since plans exactly that service (its redirect, its rc links) and
// the manifest.
func TestScale10k(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 services: not in -short")
	}
	const n = 10000
	fresh := bigTree(t, n)
	pol := plan.Policy{Version: testVersion}
	first := BuildPlan(fresh, pol)
	if len(first.Changes) < 8*n {
		t.Fatalf("%d changes for %d services", len(first.Changes), n)
	}
	done := plan.Overlay(fresh, first.Changes)
	if again := BuildPlan(done, pol); !again.Empty() {
		t.Fatalf("the second run plans %d changes, %d findings", len(again.Changes), len(again.Findings))
	}
	plusOne := plan.Overlay(done, nil)
	addService(t, plusOne, n)
	p := BuildPlan(plusOne, pol)
	// The new service's redirect and links, its pin among the first-boot
	// presets, and the manifest.
	preset := "/etc/systemd/system-preset/0-initcompat.preset"
	for _, c := range p.Changes {
		if c.Service != "svc10000" && c.Path != pol.ManifestFile() && c.Path != preset {
			t.Errorf("the plus-one plan touches %s (%s)", c.Path, c.Service)
		}
	}
	if len(p.Changes) != 10 || !strings.Contains(p.Text(), "/etc/init.d/svc10000") {
		var paths []string
		for _, c := range p.Changes {
			paths = append(paths, string(c.Op)+" "+c.Path)
		}
		t.Fatalf("the plus-one plan has %d changes: %s", len(p.Changes), strings.Join(paths, ", "))
	}
}

// The redirects planned on several cores make the plan one core makes, byte
// for byte: the rc directories every fork finds missing are made once, by
// the first service, and findings and conflicts keep their places.
func TestRedirectsInParallelAsInOne(t *testing.T) {
	const n = 3000
	tr := bigTree(t, n)
	var pol plan.Policy
	pol.Version = testVersion
	pol.Services = []string{"*"}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc%05d", i)
		var e tree.Entry
		switch {
		case i%7 == 0: // a script of the user's own
			e = tree.Entry{Path: "/etc/init.d/" + name, Kind: tree.File, Mode: 0o755, Data: []byte("#!/bin/sh\n### BEGIN INIT INFO\n# Provides: " + name + "\n### END INIT INFO\n")}
		case i%11 == 0: // a link update-rc.d made
			e = tree.Entry{Path: "/etc/rc2.d/S20" + name, Kind: tree.Symlink, Target: "../init.d/" + name}
		case i%13 == 0: // a script without a header: a warning
			e = tree.Entry{Path: "/etc/init.d/" + name, Kind: tree.File, Mode: 0o755, Data: []byte("#!/bin/sh\n")}
		case i%17 == 0:
			pol.Disable = append(pol.Disable, name)
		}
		if e.Path != "" {
			if err := tr.Add(e); err != nil {
				t.Fatal(err)
			}
		}
	}
	pl := func(procs int) (string, []byte) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		p := BuildPlan(tr, pol)
		j, err := p.JSON()
		if err != nil {
			t.Fatal(err)
		}
		return p.Text(), j
	}
	oneText, oneJSON := pl(1)
	manyText, manyJSON := pl(4)
	if !strings.Contains(oneText, "mkdir   /etc/rc0.d ") || !strings.Contains(oneText, "already has S20svc00011") ||
		!strings.Contains(oneText, "without an LSB header") || !strings.Contains(oneText, "svc00017.service is disabled: K01 links") {
		t.Fatalf("the case lacks what it is meant to show:\n%.2000s", oneText)
	}
	if manyText != oneText || !bytes.Equal(manyJSON, oneJSON) {
		t.Fatalf("the plan made on 4 cores differs from the one made on 1 (%d and %d bytes of text)", len(manyText), len(oneText))
	}
}
