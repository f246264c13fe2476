package planner

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// shimForeground makes the unit systemd-sysv-generator writes for an init
// script whose daemon stays in the foreground a Type=simple one.
const shimForeground plan.Shim = "sysv-foreground"

// foregroundDropIn is the drop-in file name the foreground shim owns in
// /etc/systemd/system/NAME.service.d/.
const foregroundDropIn = "initcompat-foreground.conf"

// shimForegrounds makes the unit systemd-sysv-generator writes for an init
// script whose daemon stays in the foreground a Type=simple one. It reads
// what init scripts source (/etc/default) and the hand-installed daemon
// scripts they may start.
var shimForegrounds = &shim{
	name: shimForeground,
	footprint: footprint{
		watches: []tree.Watch{
			{Path: "etc/default", Content: true},
			{Path: "usr/local/bin", Pattern: "*.sh", Content: true},
			{Path: "usr/local/sbin", Pattern: "*.sh", Content: true},
		},
		dropIns: []string{foregroundDropIn},
		dirs:    []string{"/etc/systemd/system"},
	},
	step: func(in *input, col *collector) decided {
		planForeground(in, col)
		return decided{}
	},
}

// foregroundScript is one script the shim decided on.
type foregroundScript struct {
	svc   *inspect.Service
	start lsb.Start
	why   string // why its daemon stays in the foreground; "" when unknown
	named bool   // in foreground_init_scripts
}

// planForeground reads the start action of every hand-installed script
// that systemd runs through the generator, and gives each whose daemon
// stays in the foreground the drop-in. The stage returns nothing for the
// others: it adds only its own changes and findings.
//
// Why a drop-in and not a native unit of the same name: systemd.unit(5)
// applies NAME.service.d/*.conf to generated units too, so the generator
// keeps making the unit from the script's header and rc links; update-rc.d
// enable|disable (which run daemon-reload) and systemctl enable|disable
// (through systemd-sysv-install) keep deciding whether it starts at boot. A
// native unit would supersede the generator (systemd-sysv-generator(8)) and
// take the enablement away from the rc links cfn-init flips.
func planForeground(in *input, col *collector) {
	inv := in.inv
	named := map[string]bool{}
	for _, n := range in.pol.Foreground {
		named[strings.TrimSuffix(strings.TrimSpace(n), ".service")] = true
	}
	for _, n := range slices.Sorted(maps.Keys(named)) {
		if s := inv.Service(n); s == nil || s.Script == nil {
			col.find(plan.Error, n, shimForeground, "", "foreground_init_scripts: "+missingScript(inv, n))
			delete(named, n)
		}
	}
	if inv.Init != inspect.Systemd {
		return
	}
	generator := inv.Tree.Exists("/usr/lib/systemd/system-generators/systemd-sysv-generator") ||
		inv.Tree.Exists("/lib/systemd/system-generators/systemd-sysv-generator")
	for _, s := range inv.Services {
		f, ok := readForeground(inv, s, named[s.Name])
		if !ok {
			continue
		}
		if !generator {
			if f.named {
				col.find(plan.Warning, s.Name, shimForeground, s.ScriptPath, "named in foreground_init_scripts, but this image has no systemd-sysv-generator: systemd does not run init scripts at all here (systemd 260 removed SysV support), so no drop-in is written; give the daemon a native unit")
			}
			continue
		}
		decideForeground(inv, col, f)
	}
}

// readForeground reads the start action of s when systemd runs it through
// the generator: a regular script in /etc/init.d, not initcompat's, no
// native unit of that name (the generator skips it then), not a package's.
func readForeground(inv *inspect.Inventory, s *inspect.Service, named bool) (foregroundScript, bool) {
	f := foregroundScript{svc: s, named: named}
	e := s.Script
	if e == nil || e.Kind != tree.File || s.Unit != nil || s.Alias != "" || e.Omitted {
		return f, false
	}
	if plan.IsOurs(e.Data) || !systemd.ValidName(s.Name+".service") {
		return f, false
	}
	if s.ScriptPackaged && !named {
		// A package's script is the package's: its maintainer ships a
		// unit or a script that works (the dpkg conffile rule).
		return f, false
	}
	t := inv.Tree
	f.start = lsb.ReadStart(e.Data, func(p string) []byte {
		if !strings.HasPrefix(p, "/etc/default/") {
			return nil
		}
		data, err := t.ReadFile(p)
		if err != nil {
			return nil
		}
		return data
	})
	f.why = foregroundWhy(inv, f.start)
	return f, true
}

// foregroundWhy says why the daemon stays in the foreground, from what
// the call executes: a script that puts nothing in the background runs as
// long as its daemon does (execve(2) runs its interpreter in the process
// start-stop-daemon made). "" when initcompat cannot tell.
func foregroundWhy(inv *inspect.Inventory, st lsb.Start) string {
	if st.Detach != lsb.RunsProgram || st.Program == "" || !strings.HasPrefix(st.Program, "/") {
		return ""
	}
	if lsb.Interpreters[path.Base(st.Program)] {
		return st.Program + " is an interpreter: it runs its script in the foreground"
	}
	data, err := inv.Tree.ReadFile(st.Program)
	if err != nil || lsb.KindOf(data) != lsb.ScriptProgram || lsb.ScriptForks(data) {
		return ""
	}
	first, _, _ := strings.Cut(string(data), "\n")
	return st.Program + " is a script (" + first + ") that puts nothing in the background"
}

// decideForeground writes the drop-in or says why not.
func decideForeground(inv *inspect.Inventory, col *collector, f foregroundScript) {
	s, st := f.svc, f.start
	at := fmt.Sprintf("%s:%d", s.ScriptPath, st.Line)
	switch {
	case st.Detach == lsb.Detaches:
		if f.named {
			col.find(plan.Warning, s.Name, shimForeground, at, "named in foreground_init_scripts, but its start action detaches ("+st.Seen+"): the generated Type=forking unit fits it, so no drop-in is written; drop it from foreground_init_scripts")
		}
		return
	case f.why != "" || f.named:
		why := f.why
		if why == "" {
			why = "foreground_init_scripts names it"
		}
		writeForeground(inv, col, s, st, at, why)
		return
	case st.Detach == lsb.NoStart:
		return
	}
	prog, kind := st.Program, "is not in the snapshot (initcompat reads the init directories and /usr/local/bin/*.sh, /usr/local/sbin/*.sh, not the rest of the image)"
	if prog == "" {
		prog, kind = "the program", "is not known from the script's text"
	} else if data, err := inv.Tree.ReadFile(prog); err == nil {
		kind = map[lsb.ProgramKind]string{lsb.ELFProgram: "is a compiled (ELF) program", lsb.ScriptProgram: "is a script that puts work in the background itself", lsb.OtherProgram: "is neither ELF nor a #! script"}[lsb.KindOf(data)]
	}
	level := plan.Warning
	if strings.HasPrefix(kind, "is a compiled") {
		level = plan.Info // the classic daemons the skeleton was written for fork
	}
	col.find(level, s.Name, shimForeground, at, st.Seen+": the script returns, and systemd's Type=forking unit for it becomes active, only if "+prog+" forks itself; initcompat cannot tell, since "+prog+" "+kind+
		". If it stays in the foreground, `systemctl start "+s.Name+"` waits 5 minutes and fails, `service "+s.Name+" status` says not running and stop leaves the daemon: set foreground_init_scripts = [\""+s.Name+"\"] (a drop-in makes the unit Type=simple), or add --background --make-pidfile to that call")
}

func writeForeground(inv *inspect.Inventory, col *collector, s *inspect.Service, st lsb.Start, at, why string) {
	etc := inspect.RealPath(inv.Tree, "/etc/systemd/system")
	unit := s.Name + ".service"
	p := path.Join(etc, unit+".d", foregroundDropIn)
	seen := st.Seen
	if seen == "" {
		seen = "no start call initcompat recognises"
	}
	var b strings.Builder
	b.WriteString(col.marker() + "\n")
	fmt.Fprintf(&b, "# %s runs its daemon in the foreground (%s; %s).\n", at, seen, why)
	b.WriteString("# systemd-sysv-generator makes it a Type=forking unit, which stays \"activating\"\n")
	b.WriteString("# until the script exits: it never does. As Type=simple the script is the main\n")
	b.WriteString("# process: start returns, status follows the daemon, stop ends the whole group.\n")
	b.WriteString("[Service]\nType=simple\nRemainAfterExit=no\nKillMode=control-group\nPIDFile=\n")
	col.writeFile(s.Name, shimForeground, p, 0o644, []byte(b.String()),
		"the generated unit of "+s.ScriptPath+" is Type=forking, and its start action waits for its daemon ("+at+": "+why+"): systemctl start would hang for 5 minutes and stop would leave the daemon",
		plan.Expect{Check: plan.CheckLoaded, Unit: unit, Args: []string{unit, "loaded"}},
		plan.Expect{Check: plan.CheckDropIn, Unit: unit, Args: []string{unit, p}})
}

// missingScript words the error for a named script the image lacks.
func missingScript(inv *inspect.Inventory, name string) string {
	var have []string
	for _, s := range inv.Services {
		if s.Script != nil && s.Script.Kind == tree.File {
			have = append(have, s.Name)
		}
	}
	return fmt.Sprintf("%q has no script /etc/init.d/%s", name, name) + suggest(name, have, "Init scripts in the image")
}
