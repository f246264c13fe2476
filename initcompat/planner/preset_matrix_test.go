//go:build linux

package planner_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/planner"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree/treetest"
)

// The preset oracle's generated matrix: a Debian-like image (testdata/base/
// debian.txtar) with a pool of units, each left enabled or disabled by
// "other provisioners" before initcompat runs, and each given one thing to
// do by initcompat's configuration. Every unit walks through all its
// (state, action) pairs within the first 12 cases of each pin_all_enablement
// value; the second 12 walk them backwards, so that the pairs meet other
// neighbours. The units are enabled as `systemctl enable` enables them: the
// [Install] section's wants links and aliases, nothing else.

// poolUnit is one unit (or a group: a template and its instances, a
// service and its socket) of the matrix.
type poolUnit struct {
	name string
	// files are the unit files, and the dpkg list when packaged.
	files []treetest.Member
	// states are the enablements other provisioners may leave, as links.
	states []poolState
	// actions are what initcompat may be asked to do with it.
	actions []poolAction
}

type poolState struct {
	name  string
	links []treetest.Member
}

type poolAction struct {
	name  string
	apply func(*plan.Policy)
}

var presetPool = []poolUnit{
	handUnit("web"),
	handUnit("worker"),
	{
		// A packaged unit with an alias, enabled with both links.
		name:  "app",
		files: packaged("app", unitFile("[Install]\nWantedBy=multi-user.target\nAlias=app-alias.service\n")),
		states: []poolState{
			{"on", []treetest.Member{wants("multi-user", "app.service", "/lib/systemd/system/app.service"), link("etc/systemd/system/app-alias.service", "/lib/systemd/system/app.service")}},
			{"off", nil},
		},
		actions: actions("app", "disable", "mask", "redirect"),
	},
	{
		// Enabled by its alias alone, as a display manager is
		// (graphical.target wants display-manager.service).
		name:  "dm",
		files: packaged("dm", unitFile("[Install]\nAlias=display-manager.service\n")),
		states: []poolState{
			{"on", []treetest.Member{link("etc/systemd/system/display-manager.service", "/lib/systemd/system/dm.service")}},
			{"off", nil},
		},
		actions: actions("dm", "disable", "mask", "redirect"),
	},
	{
		// A template with a default instance: its enablement is its
		// instances' links.
		name:  "tick@",
		files: packaged("tick@", unitFile("[Install]\nWantedBy=multi-user.target\nDefaultInstance=a\n")),
		states: []poolState{
			{"none", nil},
			{"a", []treetest.Member{wants("multi-user", "tick@a.service", "/lib/systemd/system/tick@.service")}},
			{"b", []treetest.Member{wants("multi-user", "tick@b.service", "/lib/systemd/system/tick@.service")}},
			{"a+b", []treetest.Member{wants("multi-user", "tick@a.service", "/lib/systemd/system/tick@.service"),
				wants("multi-user", "tick@b.service", "/lib/systemd/system/tick@.service")}},
		},
		actions: []poolAction{
			{"none", func(*plan.Policy) {}},
			{"disable tick@a", func(p *plan.Policy) { p.Disable = append(p.Disable, "tick@a") }},
			{"disable tick@b", func(p *plan.Policy) { p.Disable = append(p.Disable, "tick@b") }},
		},
	},
	{
		// A service whose [Install] names its socket in Also=:
		// systemctl enable and disable (and so a preset) take both.
		name: "sock",
		files: append(packaged("sock", unitFile("[Install]\nWantedBy=multi-user.target\nAlso=sock.socket\n")),
			treetest.Member{Path: "usr/lib/systemd/system/sock.socket", Kind: tree.File, Mode: 0o644,
				Data: []byte("[Socket]\nListenStream=/run/sock.sock\n\n[Install]\nWantedBy=sockets.target\n")}),
		states: []poolState{
			{"both", []treetest.Member{wants("multi-user", "sock.service", "/lib/systemd/system/sock.service"), wants("sockets", "sock.socket", "/lib/systemd/system/sock.socket")}},
			{"service", []treetest.Member{wants("multi-user", "sock.service", "/lib/systemd/system/sock.service")}},
			{"socket", []treetest.Member{wants("sockets", "sock.socket", "/lib/systemd/system/sock.socket")}},
			{"none", nil},
		},
		actions: actions("sock", "disable", "disable-socket"),
	},
	{
		// The base image's cron: packaged, with an init script, enabled.
		name: "cron",
		states: []poolState{
			{"on", nil},
			{"off", []treetest.Member{{Path: "!etc/systemd/system/multi-user.target.wants/cron.service"}}},
		},
		actions: actions("cron", "disable", "mask"),
	},
	{
		// A static unit: nothing to enable, so nothing to pin.
		name:    "helper",
		files:   packaged("helper", "[Service]\nExecStart=/bin/true\n"),
		states:  []poolState{{"static", nil}},
		actions: actions("helper", "mask"),
	},
}

// handUnit is a unit a person installed in /etc/systemd/system: in the LSB
// redirect's scope whatever the configuration.
func handUnit(name string) poolUnit {
	return poolUnit{
		name:  name,
		files: []treetest.Member{{Path: "etc/systemd/system/" + name + ".service", Kind: tree.File, Mode: 0o644, Data: []byte(unitFile("[Install]\nWantedBy=multi-user.target\n"))}},
		states: []poolState{
			{"on", []treetest.Member{wants("multi-user", name+".service", "/etc/systemd/system/"+name+".service")}},
			{"off", nil},
		},
		actions: actions(name, "disable", "mask"),
	}
}

func unitFile(install string) string {
	return "[Service]\nExecStart=/bin/sleep infinity\n\n" + install
}

// packaged is a unit file under /usr/lib and the dpkg list that owns it.
func packaged(name, content string) []treetest.Member {
	return []treetest.Member{
		{Path: "usr/lib/systemd/system/" + name + ".service", Kind: tree.File, Mode: 0o644, Data: []byte(content)},
		{Path: "var/lib/dpkg/info/" + strings.TrimSuffix(name, "@") + ".list", Kind: tree.File, Mode: 0o644, Data: []byte("/lib/systemd/system/" + name + ".service\n")},
	}
}

func wants(target, unit, dest string) treetest.Member {
	return link("etc/systemd/system/"+target+".target.wants/"+unit, dest)
}

func link(p, target string) treetest.Member {
	return treetest.Member{Path: p, Kind: tree.Symlink, Mode: 0o777, Target: target}
}

// actions are "none" and the named ones, for unit name.
func actions(name string, which ...string) []poolAction {
	out := []poolAction{{"none", func(*plan.Policy) {}}}
	for _, w := range which {
		var f func(*plan.Policy)
		switch w {
		case "disable":
			f = func(p *plan.Policy) { p.Disable = append(p.Disable, name) }
		case "mask":
			f = func(p *plan.Policy) { p.Mask = append(p.Mask, name) }
		case "redirect":
			f = func(p *plan.Policy) { p.Services = append(p.Services, name) }
		case "disable-socket":
			f = func(p *plan.Policy) { p.Disable = append(p.Disable, name+".socket") }
		default:
			panic(w)
		}
		out = append(out, poolAction{w, f})
	}
	return out
}

// presetMatrix generates the matrix's cases over the base image.
func presetMatrix(t *testing.T) []presetCase {
	t.Helper()
	bar, err := txtar.ParseFile(filepath.Join(testdataDir, "base", "debian.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := treetest.Parse(bar.Files, "")
	if err != nil {
		t.Fatal(err)
	}
	base = append(base,
		treetest.Member{Path: "usr/lib/systemd/system/sockets.target", Kind: tree.File, Mode: 0o644, Data: []byte("[Unit]\nDescription=Sockets\n")},
		treetest.Member{Path: "etc/machine-id", Kind: tree.File, Mode: 0o444, Data: []byte("uninitialized\n")})
	var out []presetCase
	const round = 12
	for _, all := range []bool{false, true} {
		for k := 0; k < 2*round; k++ {
			pol := plan.Policy{Version: planner.TestVersion, PinAllEnablement: all}
			members := append([]treetest.Member(nil), base...)
			var desc []string
			for i, u := range presetPool {
				n := len(u.states) * len(u.actions)
				c := (k + i) % n
				if k >= round {
					c = n - 1 - c
				}
				st, ac := u.states[c%len(u.states)], u.actions[c/len(u.states)]
				members = overlayMembers(append(members, u.files...), st.links)
				ac.apply(&pol)
				desc = append(desc, u.name+"="+st.name+"/"+ac.name)
			}
			tr, err := treetest.Tree(members)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, presetCase{
				name:   fmt.Sprintf("matrix/pin_all=%v/%02d", all, k),
				detail: strings.Join(desc, " "),
				tree:   tr,
				pol:    pol,
			})
		}
	}
	return out
}

// overlayMembers adds ms to base, a member named "!PATH" deleting PATH.
func overlayMembers(base, ms []treetest.Member) []treetest.Member {
	for _, m := range ms {
		p, del := strings.CutPrefix(m.Path, "!")
		kept := base[:0:0]
		for _, b := range base {
			if b.Path != p {
				kept = append(kept, b)
			}
		}
		base = kept
		if !del {
			base = append(base, m)
		}
	}
	return base
}
