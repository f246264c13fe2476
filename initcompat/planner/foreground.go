package planner

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
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

// The drop-in file names the foreground shim owns in
// /etc/systemd/system/NAME.service.d/: Type=simple for a daemon that stays
// in the foreground; PIDFile= for a script whose stop stops nothing.
const (
	foregroundDropIn = "initcompat-foreground.conf"
	stopDropIn       = "initcompat-stop.conf"
)

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
		dropIns: []string{foregroundDropIn, stopDropIn},
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
	// judge is what reading says of the start action: foreground,
	// detaches, or unknown, with the evidence (lsb.Judge).
	judge lsb.Judgement
	why   string // why its daemon stays in the foreground; "" when unknown
	named bool   // in foreground_init_scripts
	// stop is a stop action that stops nothing of the daemon (lsb.CheckStop).
	stop *lsb.StopMiss
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
		for _, n := range slices.Sorted(maps.Keys(named)) {
			col.find(plan.Info, n, shimForeground, "", "foreground_init_scripts: this image boots with "+string(inv.Init)+
				", which runs the script itself; the drop-in is for the unit systemd-sysv-generator makes of it, so nothing is written")
		}
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
	defaults := sourced(inv.Tree)
	f.start = lsb.ReadStart(e.Data, defaults)
	f.judge = lsb.Judge(f.start, Programs(inv.Tree))
	if f.judge.Verdict == lsb.VerdictForeground {
		f.why = evidence(f.judge)
	}
	if miss, ok := lsb.CheckStop(e.Data, defaults); ok {
		f.stop = &miss
	}
	return f, true
}

// sourced gives an init script the files it sources from /etc/default,
// read as data (assignments only: lsb.ReadStart never runs them).
func sourced(t *tree.Tree) lsb.Defaults {
	return func(p string) []byte {
		if !strings.HasPrefix(p, "/etc/default/") {
			return nil
		}
		data, err := t.ReadFile(p)
		if err != nil {
			return nil
		}
		return data
	}
}

// Programs looks up what the snapshot holds of a program an init script
// runs: a file it kept because a script names it (tree.Ref: the head, the
// tail, the markers of a large file), or a watched file read whole.
func Programs(t *tree.Tree) lsb.Lookup {
	return func(p string) (lsb.Program, bool) {
		if r, ok := t.Ref(p); ok {
			return lsb.Program{Path: r.Path, Head: r.Head, Whole: r.Whole(), Tail: r.Tail, Size: r.Size, Markers: r.Markers, Probed: r.Searched}, true
		}
		if e, ok := t.Stat(p); ok && e.Kind == tree.File && !e.Omitted {
			return lsb.Program{Path: p, Head: e.Data, Whole: true, Size: int64(len(e.Data))}, true
		}
		return lsb.Program{}, false
	}
}

// evidence is a judgement's evidence in one sentence, for a reason or a
// finding.
func evidence(j lsb.Judgement) string {
	const most = 6 // a line of the build log, not the whole reading
	ev := j.Evidence
	more := ""
	if len(ev) > most {
		ev, more = ev[:most], "; ..."
	}
	return strings.Join(ev, "; ") + more
}

// decideForeground writes the drop-in or says why not, from what reading
// the script and the programs it runs showed (lsb.Judge): the drop-in only
// where the start action waits for a daemon that stays in the foreground
// (or the user names the script); nothing where every start call returns;
// where reading cannot tell, a plain note of what is and is not known,
// never advice the evidence does not support.
func decideForeground(inv *inspect.Inventory, col *collector, f foregroundScript) {
	s, j := f.svc, f.judge
	line := j.Line
	if line == 0 {
		line = f.start.Line
	}
	at := s.ScriptPath + ":" + strconv.Itoa(line)
	switch {
	case j.Verdict == lsb.VerdictDetaches:
		if f.named {
			col.find(plan.Warning, s.Name, shimForeground, at, "named in foreground_init_scripts, but its start action returns while its daemon runs on ("+
				systemd.Line(evidence(j))+"): the generated Type=forking unit fits it, so no drop-in is written; drop it from foreground_init_scripts")
		}
	case j.Verdict == lsb.VerdictForeground || f.named:
		why := f.why
		if why == "" {
			why = "foreground_init_scripts names it"
		}
		writeForeground(inv, col, s, at, why)
		return
	case f.start.Detach == lsb.NoStart && len(f.start.Calls) == 0:
	default:
		col.find(plan.Info, s.Name, shimForeground, at, "whether the start action returns (systemd-sysv-generator's Type=forking unit becomes active only then) cannot be told from the image: "+
			systemd.Line(evidence(j))+". Nothing is changed; verify, on a booted builder, starts the unit with a bound and says")
		col.probe(plan.Expect{Check: plan.CheckStartReturns, Args: []string{s.Name}})
	}
	if f.stop != nil {
		writeStop(inv, col, s, *f.stop)
	}
}

func writeForeground(inv *inspect.Inventory, col *collector, s *inspect.Service, at, why string) {
	etc := inspect.RealPath(inv.Tree, "/etc/systemd/system")
	unit := s.Name + ".service"
	p := path.Join(etc, unit+".d", foregroundDropIn)
	var b strings.Builder
	b.WriteString(col.marker() + "\n")
	// Image text reaches the comment through systemd.Line only: a CR in a
	// program's first line would end the comment and start a directive.
	b.WriteString("# " + systemd.Line(at+" runs its daemon in the foreground: "+why) + "\n")
	b.WriteString("# systemd-sysv-generator makes it a Type=forking unit, which stays \"activating\"\n")
	b.WriteString("# until the script exits: it never does. As Type=simple the script is the main\n")
	b.WriteString("# process: start returns, status follows the daemon, stop ends the whole group.\n")
	b.WriteString("[Service]\nType=simple\nRemainAfterExit=no\nKillMode=control-group\nPIDFile=\n")
	col.writeFile(s.Name, shimForeground, p, 0o644, []byte(b.String()),
		"the generated unit of "+s.ScriptPath+" is Type=forking, and its start action waits for its daemon ("+systemd.Line(at+": "+why)+"): systemctl start would hang for 5 minutes and stop would leave the daemon",
		plan.Expect{Check: plan.CheckLoaded, Unit: unit, Args: []string{unit, "loaded"}},
		plan.Expect{Check: plan.CheckDropIn, Unit: unit, Args: []string{unit, p}})
}

// writeStop gives the generated unit of a script whose stop action stops
// nothing the pid file its daemon writes, so that systemd tracks the
// daemon as the unit's main process and `systemctl stop` ends it (booted on
// bookworm: Sick Beard's init.ubuntu with a daemon that writes its pid
// file as its own user). The script's own stop still fails, and the unit
// ends "failed" after a stop: the warning says so, at the stop line.
func writeStop(inv *inspect.Inventory, col *collector, s *inspect.Service, miss lsb.StopMiss) {
	at := s.ScriptPath + ":" + strconv.Itoa(miss.Line)
	pidfile := miss.Pidfile
	if rest, ok := strings.CutPrefix(pidfile, "/var/run/"); ok {
		pidfile = "/run/" + rest // systemd warns about /var/run in PIDFile=
	}
	if !tree.IsClean(pidfile) || systemd.Value(pidfile) != pidfile || strings.ContainsAny(pidfile, " \t\"'") {
		col.find(plan.Warning, s.Name, shimForeground, at, systemd.Line(miss.Why)+"; its pid file is not a path a unit can name, so nothing is written")
		return
	}
	unit := s.Name + ".service"
	p := path.Join(inspect.RealPath(inv.Tree, "/etc/systemd/system"), unit+".d", stopDropIn)
	content := col.marker() + "\n# " + systemd.Line(miss.Why) + "\n" +
		"# With the daemon's pid file, systemd tracks it as the main process, and stop ends it.\n[Service]\nPIDFile=" + pidfile + "\n"
	if col.writeFile(s.Name, shimForeground, p, 0o644, []byte(content),
		"the script's stop action stops nothing of its daemon ("+at+"): with PIDFile=, systemctl stop ends it",
		plan.Expect{Check: plan.CheckLoaded, Unit: unit, Args: []string{unit, "loaded"}},
		plan.Expect{Check: plan.CheckDropIn, Unit: unit, Args: []string{unit, p}}) {
		col.find(plan.Warning, s.Name, shimForeground, at, systemd.Line(miss.Why)+". The drop-in makes systemctl stop end the daemon; the script's own stop still fails, so the unit ends \"failed\" after a stop")
	}
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

// UnreadPrograms lists the programs the init scripts run whose start action
// the foreground decision reads, and which the snapshot does not hold
// (lsb.Judgement.Missing): a build reads them in one more command, for
// all scripts at once, before it plans.
func UnreadPrograms(inv *inspect.Inventory, pol plan.Policy) []string {
	if inv.Init != inspect.Systemd {
		return nil
	}
	named := map[string]bool{}
	for _, n := range pol.Foreground {
		named[strings.TrimSuffix(strings.TrimSpace(n), ".service")] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range inv.Services {
		f, ok := readForeground(inv, s, named[s.Name])
		if !ok {
			continue
		}
		for _, p := range f.judge.Missing {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out
}
