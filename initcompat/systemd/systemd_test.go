package systemd

import (
	"reflect"
	"testing"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

func store(t *testing.T, files map[string]string, links map[string]string) *Store {
	t.Helper()
	tr := tree.New()
	add := func(e tree.Entry) {
		if err := tr.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	add(tree.Entry{Path: "/lib", Kind: tree.Symlink, Target: "usr/lib"})
	for p, data := range files {
		add(tree.Entry{Path: p, Kind: tree.File, Mode: 0o644, Data: []byte(data)})
	}
	for p, target := range links {
		add(tree.Entry{Path: p, Kind: tree.Symlink, Target: target})
	}
	return NewStore(tr)
}

func TestPrecedenceAndDropIns(t *testing.T) {
	s := store(t, map[string]string{
		"/usr/lib/systemd/system/a.service":             "[Unit]\nAfter=x.target\n[Service]\nExecStart=/vendor\n",
		"/etc/systemd/system/a.service":                 "[Unit]\nAfter=y.target\n[Service]\nExecStart=/admin\n",
		"/usr/lib/systemd/system/a.service.d/10-v.conf": "[Unit]\nAfter=vendor-dropin.target\n",
		"/etc/systemd/system/a.service.d/10-v.conf":     "[Unit]\nAfter=admin-dropin.target\n",
		"/usr/lib/systemd/system/a.service.d/20-w.conf": "[Unit]\nAfter=\nAfter=z.target\n",
		"/etc/systemd/system/a.service.d/05-x.conf":     "[Unit]\nDescription=first\n",
	}, map[string]string{
		"/etc/systemd/system/a.service.d/30-masked.conf":     "/dev/null",
		"/usr/lib/systemd/system/a.service.d/30-masked.conf": "../x.conf",
	})
	u := s.Load("a.service")
	if u == nil || u.Fragment != "/etc/systemd/system/a.service" {
		t.Fatalf("fragment: %+v", u)
	}
	want := []string{"/etc/systemd/system/a.service.d/05-x.conf", "/etc/systemd/system/a.service.d/10-v.conf", "/usr/lib/systemd/system/a.service.d/20-w.conf"}
	if !reflect.DeepEqual(u.DropIns, want) {
		t.Errorf("drop-ins %v, want %v", u.DropIns, want)
	}
	if got := u.Values("Unit", "After"); !reflect.DeepEqual(got, []string{"z.target"}) {
		t.Errorf("After= with a reset: %v", got)
	}
	if u.Last("Unit", "Description") != "first" {
		t.Errorf("Description: %q", u.Last("Unit", "Description"))
	}
}

func TestTemplatesAliasesMasksEnablement(t *testing.T) {
	inst := "[Service]\nExecStart=/w %i\n[Install]\nWantedBy=multi-user.target\n"
	s := store(t, map[string]string{
		"/etc/systemd/system/w@.service":       inst,
		"/usr/lib/systemd/system/ssh.service":  "[Service]\nExecStart=/sshd\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n",
		"/usr/lib/systemd/system/ue.service":   "[Service]\nExecStart=/ue\n[Install]\nWantedBy=multi-user.target\n",
		"/usr/lib/systemd/system/st.service":   "[Service]\nExecStart=/st\n",
		"/usr/lib/systemd/system/gone.service": "[Service]\nExecStart=/gone\n[Install]\nWantedBy=multi-user.target\n",
	}, map[string]string{
		"/etc/systemd/system/multi-user.target.wants/w@1.service":    "/etc/systemd/system/w@.service",
		"/etc/systemd/system/sshd.service":                           "/lib/systemd/system/ssh.service",
		"/etc/systemd/system/multi-user.target.wants/ssh.service":    "/lib/systemd/system/ssh.service",
		"/usr/lib/systemd/system/multi-user.target.wants/ue.service": "../ue.service",
		"/etc/systemd/system/gone.service":                           "/dev/null",
	})
	if u := s.Load("w@1.service"); u == nil || u.Fragment != "/etc/systemd/system/w@.service" {
		t.Errorf("instance from template: %+v", u)
	}
	if s.Enablement("w@1.service").State != Enabled {
		t.Error("enabled instance")
	}
	if got := s.AliasOf("sshd.service"); got != "ssh.service" {
		t.Errorf("alias: %q", got)
	}
	if u := s.Load("sshd.service"); u == nil || u.Fragment != "/usr/lib/systemd/system/ssh.service" {
		t.Errorf("alias loads its unit: %+v", u)
	}
	for name, want := range map[string]State{"ssh.service": Enabled, "ue.service": Disabled, "st.service": Static, "gone.service": Masked, "sshd.service": Alias} {
		if got := s.Enablement(name).State; got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if !s.Enablement("ue.service").VendorOnly() || s.Enablement("ssh.service").VendorOnly() {
		t.Error("VendorOnly")
	}
	if u := s.Load("gone.service"); u == nil || !u.Masked {
		t.Errorf("masked: %+v", u)
	}
}

func TestNames(t *testing.T) {
	for name, ok := range map[string]bool{"a.service": true, "getty@tty1.service": true, "w@.service": true,
		"a\\x2db.service": true, "../x.service": false, "a b.service": false, "a.conf": false, "$(x).service": false} {
		if ValidName(name) != ok {
			t.Errorf("ValidName(%q) = %v", name, !ok)
		}
	}
	if TemplateOf("getty@tty1.service") != "getty@.service" || TemplateOf("a.service") != "" || !IsTemplate("w@.service") {
		t.Error("template helpers")
	}
}

// bookworm's cloud-final is ordered after multi-user.target; a service
// wanted by multi-user.target and ordered after cloud-final closes a cycle,
// unless it is also ordered after multi-user.target.
func TestGraphCloudFinalCycle(t *testing.T) {
	files := map[string]string{
		"/usr/lib/systemd/system/multi-user.target": "[Unit]\nRequires=basic.target\nAfter=basic.target\n",
		"/usr/lib/systemd/system/basic.target":      "[Unit]\nRequires=sysinit.target\nAfter=sysinit.target\n",
		"/usr/lib/systemd/system/sysinit.target":    "[Unit]\nDefaultDependencies=no\n",
		"/usr/lib/systemd/system/cloud-init.target": "[Unit]\nDescription=Cloud-init target\nAfter=multi-user.target\n",
		"/usr/lib/systemd/system/cloud-final.service": "[Unit]\nAfter=network-online.target cloud-config.service rc-local.service\n" +
			"After=multi-user.target\nBefore=apt-daily.service\n[Service]\nType=oneshot\nExecStart=/usr/bin/cloud-init modules --mode=final\n[Install]\nWantedBy=cloud-init.target\n",
		"/etc/systemd/system/late.service": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	}
	links := map[string]string{
		"/usr/lib/systemd/system/default.target":                          "multi-user.target",
		"/etc/systemd/system/cloud-init.target.wants/cloud-final.service": "/lib/systemd/system/cloud-final.service",
		"/etc/systemd/system/multi-user.target.wants/late.service":        "/etc/systemd/system/late.service",
	}
	s := store(t, files, links)
	if c := s.BuildGraph(nil).Cycles(); len(c) != 0 {
		t.Fatalf("cycles without the drop-in: %v", c)
	}
	naive := map[string][]*unit.UnitOption{"late.service": {unit.NewUnitOption("Unit", "After", "cloud-final.service")}}
	g := s.BuildGraph(naive)
	cycles := g.Cycles()
	want := "cloud-final.service after multi-user.target after late.service after cloud-final.service"
	if len(cycles) != 1 || FormatCycle(cycles[0]) != want {
		t.Fatalf("cycles %v, want [%s]", cycles, want)
	}
	if got := g.TargetsPulling("late.service"); !reflect.DeepEqual(got, []string{"multi-user.target"}) {
		t.Errorf("targets pulling late.service: %v", got)
	}
	fixed := map[string][]*unit.UnitOption{"late.service": {
		unit.NewUnitOption("Unit", "After", "cloud-final.service"), unit.NewUnitOption("Unit", "After", "multi-user.target")}}
	if c := s.BuildGraph(fixed).Cycles(); len(c) != 0 {
		t.Fatalf("cycles with After=multi-user.target: %v", c)
	}
}
