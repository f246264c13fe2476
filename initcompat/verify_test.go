package initcompat

import (
	"reflect"
	"strings"
	"testing"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// Verify asks systemctl show about the settings the ordering shim decided,
// carried in the plan as values: they are what the drop-in's own bytes
// say, as systemd's unit parser reads them (a cycle break included).
func TestVerifyAsksWhatTheDropInsSay(t *testing.T) {
	tr := bigTree(t, 2)
	unitFile := func(p, body string) {
		if err := tr.Add(tree.Entry{Path: p, Kind: tree.File, Mode: 0o644, Data: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	// Debian's cloud-final.service runs after multi-user.target: a service
	// started after it, and wanted by multi-user.target, closes a cycle.
	unitFile("/usr/lib/systemd/system/cloud-final.service", "[Unit]\nAfter=multi-user.target network-online.target\n\n[Service]\nType=oneshot\nExecStart=/usr/bin/cloud-init modules --mode=final\n")
	unitFile("/usr/lib/systemd/system/multi-user.target", "[Unit]\nRequires=basic.target\nAfter=basic.target\n")
	unitFile("/usr/lib/systemd/system/default.target", "[Unit]\nRequires=multi-user.target\nAfter=multi-user.target\n")
	pol := plan.Policy{Version: testVersion, Ordering: append(plan.AfterUserData("svc00000"), plan.OrderingRule{
		Unit: "svc00001", Before: []string{"cloud-final.service"}, Wants: []string{"cloud-final.service"}, RequiresMountsFor: []string{"/srv/data"},
	})}
	p := BuildPlan(tr, pol)
	if errs := p.Errors(); len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	dropIns, breaks := 0, 0
	for _, c := range p.Changes {
		if c.Shim != "ordering" || c.Op != plan.OpWrite {
			continue
		}
		dropIns++
		opts, err := systemd.Parse(c.Path, c.Content)
		if err != nil {
			t.Fatal(err)
		}
		var read [][2]string
		for _, o := range opts {
			for _, v := range strings.Fields(o.Value) {
				read = append(read, [2]string{o.Name, v})
			}
		}
		var asked [][2]string
		for _, e := range c.Expect {
			if e.Check == plan.CheckDepends {
				asked = append(asked, [2]string{e.Args[1], e.Args[2]})
			}
		}
		if got := asked; !reflect.DeepEqual(got, read) {
			t.Errorf("%s: verify would ask about %v; the drop-in says %v", c.Path, got, read)
		}
		for _, kv := range read {
			if kv == [2]string{"After", "multi-user.target"} {
				breaks++
			}
		}
	}
	if dropIns != 2 || breaks != 1 {
		t.Fatalf("%d drop-ins, %d cycle breaks; want 2 and 1:\n%s", dropIns, breaks, p.Text())
	}
}
