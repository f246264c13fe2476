package planner

import (
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// Whatever the image's text holds, the drop-ins the foreground shim
// writes hold the settings it meant and no other (issue 34, item 3: a
// CR in a daemon's first line, quoted raw, ran ExecStartPre=).
func TestDropInCommentsStayComments(t *testing.T) {
	tr := tree.New()
	inv := inspect.Inspect(tr, inspect.Options{Manifest: plan.DefaultManifestPath, Places: Places()})
	col := newCollector(inv, plan.Policy{Version: "test"})
	s := &inspect.Service{Name: "hello", ScriptPath: "/etc/init.d/hello"}
	for _, why := range []string{
		"#!/bin/sh\r[Service]\rExecStartPre=/bin/touch /pwned",
		"a\x00[Service]\x00ExecStartPre=/bin/true",
		"ends in a backslash \\",
		strings.Repeat("long ", 2000),
	} {
		col.plan.Changes = nil
		writeForeground(inv, col, s, "/etc/init.d/hello:3", why)
		writeStop(inv, col, s, lsbStopMiss(why))
		for _, c := range col.plan.Changes {
			if c.Op != plan.OpWrite {
				continue
			}
			opts, err := systemd.Parse(c.Path, c.Content)
			if err != nil {
				t.Fatalf("%q: %s does not read back: %v", why, c.Path, err)
			}
			for _, o := range opts {
				switch o.Name {
				case "Type", "RemainAfterExit", "KillMode", "PIDFile":
				default:
					t.Errorf("%q: %s reads as %s=%s, which initcompat never wrote", why, c.Path, o.Name, o.Value)
				}
			}
		}
	}
}

// lsbStopMiss is a stop that misses its daemon, explained by why.
func lsbStopMiss(why string) lsb.StopMiss {
	return lsb.StopMiss{Line: 7, StartLine: 4, Pidfile: "/var/run/hello/hello.pid", User: "hello", Why: why}
}
