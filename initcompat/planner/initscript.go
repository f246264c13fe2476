package planner

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/insserv"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/unitscript"
)

// On an image whose PID 1 is SysV init (sysvinit-core, Devuan, OpenRC on
// Debian), a daemon that ships only a systemd unit cannot start at all
// (FACTS.md, "Measured 2026-12-07"). The init-script shim writes a real
// LSB script from the unit (package unitscript), with rc links for the
// unit's current enablement, and keeps Debian's boot order: /lib/init/rc
// boots by insserv's .depend files, which run only the scripts they list
// (package insserv), so the new scripts are added to them as insserv
// orders them, when they are insserv's as the image stands. On OpenRC,
// an enabled script is also in its runlevel as rc-update adds it.

const shimInit plan.Shim = "init-script"

// rcDirs are the rc directories of Debian's runlevels, the boot level S
// first (the LSB redirect writes into them too); openRCDirs OpenRC's runlevels that update-rc.d maps 2-5 and S to
// (init-system-helpers' update-rc.d, openrc_rlconv).
var (
	rcDirs     = []string{"/etc/rcS.d", "/etc/rc0.d", "/etc/rc1.d", "/etc/rc2.d", "/etc/rc3.d", "/etc/rc4.d", "/etc/rc5.d", "/etc/rc6.d"}
	openRCDirs = map[string]string{"default": "/etc/runlevels/default", "sysinit": "/etc/runlevels/sysinit"}
)

// shimInitScripts writes /etc/init.d/NAME from the unit for the services in
// scope that have none, on SysV images.
var shimInitScripts = &shim{
	name: shimInit,
	footprint: footprint{
		watches:      initScriptWatches(),
		dirs:         []string{"/etc/init.d"},
		optionalDirs: append(slices.Clone(rcDirs), slices.Sorted(maps.Values(openRCDirs))...),
	},
	step: func(in *input, col *collector) decided {
		planInitScripts(in, col)
		return decided{}
	},
}

// initScriptWatches: insserv's configuration and overrides, and whether
// OpenRC is there.
func initScriptWatches() []tree.Watch {
	var w []tree.Watch
	for _, p := range insserv.Places {
		w = append(w, tree.Watch{Path: p[1:], Content: true})
	}
	return append(w, tree.Watch{Path: "sbin/openrc"}, tree.Watch{Path: "usr/sbin/openrc"})
}

// sysvScript is a script the step writes (or finds as it wrote it), or an
// image's script whose links disable or mask changed.
type sysvScript struct {
	svc    string
	new    insserv.New
	exists bool // in /etc/init.d already
}

func planInitScripts(in *input, col *collector) {
	inv := in.inv
	if inv.Init != inspect.SysV {
		return
	}
	rc := map[string]string{"S": inspect.RealPath(inv.Tree, rcDirs[0])}
	maps.Copy(rc, inv.RC)
	img := insserv.Read(inv.Tree, inv.InitD, rc)
	writing := map[string]bool{}
	for _, sc := range in.scope {
		if s := sc.svc; s.Unit != nil && s.Unit.Fragment != "" && (s.Script == nil || col.listed(s.ScriptPath)) {
			writing[s.Name] = true
		}
	}
	has := func(n string) bool { return writing[n] || inv.Tree.LExists(path.Join(inv.InitD, n)) }
	var scripts []sysvScript
	for _, sc := range in.scope {
		if s, ok := planInitScript(in, col, sc, has); ok {
			scripts = append(scripts, s)
		}
	}
	scripts = append(scripts, toggled(in, img, scripts)...)
	planBootOrder(in, col, img, rc, scripts)
}

// planInitScript writes one service's script; ok when it is written (or
// already as written).
func planInitScript(in *input, col *collector, sc inScope, has func(string) bool) (sysvScript, bool) {
	s, inv := sc.svc, in.inv
	unitName := s.Name + ".service"
	say := func(l plan.Level, p, msg string) {
		if sc.explicit || l != plan.Info {
			col.find(l, s.Name, shimInit, p, msg)
		}
	}
	switch {
	case s.Unit == nil:
		return sysvScript{}, false // an init script and no unit: SysV runs it
	case s.Unit.Fragment == "":
		return sysvScript{}, false
	case s.Alias != "":
		say(plan.Info, "", fmt.Sprintf("%s is an alias of %s; name %s instead", unitName, s.Alias, systemd.Prefix(s.Alias)))
		return sysvScript{}, false
	case in.masked[unitName] || s.UnitState.State == systemd.Masked:
		say(plan.Info, "", unitName+" is masked: no init script is written, so nothing starts it (SysV's way to mask)")
		return sysvScript{}, false
	}
	if s.Script != nil {
		ours := s.Script.Kind == tree.File && col.ownsFile(s.ScriptPath, s.Script.Data)
		switch {
		case !ours && (col.listed(s.ScriptPath) || (s.Script.Kind == tree.File && plan.IsOurs(s.Script.Data))):
			col.conflict(s.Name, shimInit, s.ScriptPath, col.notOurs(s.ScriptPath, s.Script))
			return sysvScript{}, false
		case !ours:
			say(plan.Info, s.ScriptPath, "already has an /etc/init.d script; SysV runs it, and it is left as it is")
			return sysvScript{}, false
		}
	}
	en := s.UnitState
	enabled := (en.State == systemd.Enabled || len(en.Wants) > 0) && !in.disabled[unitName]
	var aliases []string
	for _, a := range s.Unit.Values("Install", "Alias") {
		aliases = append(aliases, strings.Fields(a)...)
	}
	res := unitscript.Render(unitscript.Input{
		Name: s.Name, Unit: s.Unit, Sources: inv.Units.Sources(s.Unit), Aliases: aliases,
		Enabled: enabled, HasScript: has, Marker: col.marker(),
	})
	for _, f := range res.Findings {
		level := plan.Info
		if f.Level != unitscript.Honoured {
			level = plan.Warning
		}
		at := f.Source.File
		if f.Source.Line > 0 {
			at += ":" + strconv.Itoa(f.Source.Line)
		}
		msg := f.Message
		if f.Key != "" {
			msg = f.Key + "=: " + msg
		}
		if f.Level == unitscript.NotConverted {
			msg = "not converted, no init script written: " + msg
		}
		say(level, at, systemd.Line(msg))
	}
	if res.Skipped() {
		return sysvScript{}, false
	}
	reason := unitName + " has no /etc/init.d script, and this image's PID 1 is SysV init: without one it never starts, and service, update-rc.d and cfn-init cannot find it. The script runs the unit's commands with start-stop-daemon"
	if !col.writeFile(s.Name, shimInit, s.ScriptPath, 0o755, res.Script, reason) {
		return sysvScript{}, false
	}
	h := insserv.ParseHeader(res.Script)
	n := insserv.New{Name: s.Name, Header: h, Start: insserv.ParseLevels(h.DefaultStart), Stop: insserv.ParseLevels(h.DefaultStop)}
	if !enabled {
		n.Stop |= n.Start // update-rc.d NAME disable: every S link a K link
		n.Start = 0
	}
	return sysvScript{svc: s.Name, new: n, exists: s.Script != nil}, true
}

// toggled are the image's own scripts whose links disable or mask turned
// from S to K (mask.go): insserv's files must follow, as update-rc.d's
// insserv run makes them. written are the scripts this step writes.
func toggled(in *input, img *insserv.Image, written []sysvScript) []sysvScript {
	onBoot := insserv.ParseLevels([]string{"S", "2", "3", "4", "5"}) // the levels update-rc.d toggles
	var out []sysvScript
	units := slices.Sorted(maps.Keys(in.disabled))
	units = append(units, slices.Sorted(maps.Keys(in.masked))...)
	for _, u := range slices.Compact(units) {
		n := systemd.Prefix(u)
		s := img.Scripts[n]
		if s == nil || (s.Start|s.Stop|insserv.ParseLevels(s.Header.DefaultStart))&onBoot == 0 || slices.ContainsFunc(written, func(w sysvScript) bool { return w.svc == n }) ||
			slices.ContainsFunc(out, func(w sysvScript) bool { return w.svc == n }) {
			continue
		}
		// K links where it starts now and where its header says it starts:
		// what update-rc.d NAME disable leaves after update-rc.d NAME defaults.
		off := (s.Start | insserv.ParseLevels(s.Header.DefaultStart)) & onBoot
		out = append(out, sysvScript{svc: n, exists: true, new: insserv.New{Name: n, Header: s.Header, Start: s.Start &^ onBoot, Stop: s.Stop | off}})
	}
	return out
}

// planBootOrder makes the rc links of the scripts, and insserv's files
// with them when the image boots by them.
func planBootOrder(in *input, col *collector, img *insserv.Image, rc map[string]string, scripts []sysvScript) {
	inv := in.inv
	files := img.Problem == ""
	absent := 0
	for _, f := range []string{insserv.BootFile, insserv.StartFile, insserv.StopFile} {
		if !inv.Tree.LExists(f) {
			absent++
		}
	}
	var changed []insserv.New
	for _, s := range scripts {
		old := img.Scripts[s.new.Name]
		if old == nil || old.Start != s.new.Start || old.Stop != s.new.Stop {
			changed = append(changed, s.new)
		}
	}
	startSeq, stopSeq := map[string]int{}, map[string]int{}
	if files && len(changed) > 0 {
		res, err := img.Add(changed)
		if err != nil {
			col.find(plan.Warning, "", shimInit, insserv.StartFile, systemd.Line(err.Error())+
				": insserv's boot order files are not what insserv makes of this image, so initcompat leaves them as they are; the new scripts start at boot only once insserv runs (update-rc.d NAME defaults, or insserv)")
			files = false
		} else {
			startSeq, stopSeq = res.StartSeq, res.StopSeq
			for _, f := range []string{insserv.BootFile, insserv.StartFile, insserv.StopFile} {
				col.regenerate(f, []byte(res.Files[f].Render()), "insserv's boot order: /lib/init/rc runs a script at boot only when this file lists it (startpar -M); "+
					"the new and changed scripts are added as insserv orders them, nothing else changed")
			}
		}
	} else if files {
		for _, f := range []string{insserv.BootFile, insserv.StartFile, insserv.StopFile} {
			if m := col.mine[f]; m != nil && m.Kind == plan.KindRegenerated {
				col.keep("", shimInit, f)
			}
		}
	}
	switch {
	case !files && absent == 3 && len(changed) > 0:
		// /lib/init/rc boots with CONCURRENCY=none: the links decide.
	case !files && absent < 3 && len(changed) > 0 && img.Problem != "":
		col.find(plan.Warning, "", shimInit, insserv.StartFile, systemd.Line(img.Problem)+
			": initcompat leaves insserv's boot order files alone; the new scripts start at boot only once insserv runs (update-rc.d NAME defaults)")
	}
	openrc := inv.Tree.Exists("/sbin/openrc") || inv.Tree.Exists("/usr/sbin/openrc")
	for _, s := range scripts {
		ss, ks := 1, 1
		if old := img.Scripts[s.new.Name]; old != nil && !slices.ContainsFunc(changed, func(n insserv.New) bool { return n.Name == s.new.Name }) {
			ss, ks = seqOf(old, "S"), seqOf(old, "K")
		}
		if q, ok := startSeq[s.new.Name]; ok {
			ss, ks = q, stopSeq[s.new.Name]
		}
		planSysvLinks(col, rc, s, ss, ks)
		if openrc {
			planOpenRC(col, s)
		}
	}
}

// seqOf is a script's link number of the kind, 1 when it has none.
func seqOf(s *insserv.Script, kind string) int {
	for _, k := range slices.Sorted(maps.Keys(s.Seq)) {
		if strings.HasSuffix(k, "/"+kind) {
			return s.Seq[k]
		}
	}
	return 1
}

// planSysvLinks makes a script's rc links as update-rc.d and insserv make
// them: S links in its start levels, K links in its stop levels. An rc
// link of the script's that is not among them goes when initcompat made
// it (the disable step takes the image's own S links).
func planSysvLinks(col *collector, rc map[string]string, s sysvScript, startSeq, stopSeq int) {
	want := map[string]bool{}
	for _, l := range insserv.LinksFor(s.new, startSeq, stopSeq) {
		dir, name, _ := strings.Cut(l, "/")
		lv := strings.TrimSuffix(strings.TrimPrefix(dir, "rc"), ".d")
		real, ok := rc[lv]
		if !ok {
			continue
		}
		e, isDir := col.tree.Lstat(real)
		if !isDir || e.Kind != tree.Dir {
			col.find(plan.Warning, s.svc, shimInit, "/etc/"+dir, "is not a directory in the image; no rc link written for runlevel "+lv)
			continue
		}
		p := path.Join(real, name)
		want[p] = true
		if other := linkOf(col, real, s.new.Name, name[0]); other != "" && other != p && !col.ours(other) {
			// The image's own link of that kind (another number): kept,
			// as update-rc.d keeps it.
			want[other] = true
			continue
		}
		col.symlink(s.svc, shimInit, p, "../init.d/"+s.new.Name, linkReason(s.new, lv, name[0] == 'S'))
	}
	for _, lv := range slices.Sorted(maps.Keys(rc)) {
		for _, e := range col.tree.ReadDir(rc[lv]) {
			n := path.Base(e.Path)
			if !rcLinkName.MatchString(n) || n[3:] != s.new.Name || want[e.Path] {
				continue
			}
			if col.ours(e.Path) {
				col.remove(s.svc, shimInit, e.Path, "replaced by the link the script's enablement asks for")
			}
		}
	}
}

// linkOf is the path of the script's link of the kind (S or K) in dir, ""
// when it has none.
func linkOf(col *collector, dir, name string, kind byte) string {
	for _, e := range col.tree.ReadDir(dir) {
		n := path.Base(e.Path)
		if rcLinkName.MatchString(n) && n[0] == kind && n[3:] == name && e.Kind == tree.Symlink {
			return e.Path
		}
	}
	return ""
}

func linkReason(n insserv.New, lv string, start bool) string {
	if start {
		return "starts " + n.Name + " in runlevel " + lv + " (update-rc.d NAME defaults makes this link; update-rc.d NAME disable turns it into a K link)"
	}
	if n.Start == 0 {
		return n.Name + " is disabled: a K link in runlevel " + lv + ", as update-rc.d NAME disable leaves it (update-rc.d NAME enable turns it back)"
	}
	return "stops " + n.Name + " when entering runlevel " + lv
}

// planOpenRC adds an enabled script to OpenRC's runlevels as rc-update
// add does (a link to /etc/init.d/NAME), which is where update-rc.d on an
// OpenRC image puts it.
func planOpenRC(col *collector, s sysvScript) {
	for _, rl := range slices.Sorted(maps.Keys(openRCDirs)) {
		dir := openRCDirs[rl]
		want := rl == "default" && s.new.Start&0x3c != 0 || rl == "sysinit" && s.new.Start&insserv.LevelS != 0
		if e, ok := col.tree.Lstat(dir); !ok || e.Kind != tree.Dir {
			continue
		}
		p := path.Join(dir, s.new.Name)
		switch {
		case want:
			col.symlink(s.svc, shimInit, p, "/etc/init.d/"+s.new.Name, "OpenRC starts it in its "+rl+" runlevel (rc-update add "+s.new.Name+" "+rl+")")
		case col.ours(p):
			col.remove(s.svc, shimInit, p, "disabled: out of OpenRC's "+rl+" runlevel (rc-update del)")
		}
	}
}

// regenerate writes a file another tool generates (insserv's boot order),
// whose current content the step has judged to be that tool's: the
// manifest records it with the content before (plan.KindRegenerated).
func (col *collector) regenerate(p string, content []byte, reason string) {
	if !col.inPlace("", shimInit, p, false) {
		return
	}
	e, ok := col.tree.Lstat(p)
	if !ok || e.Kind != tree.File || e.Omitted {
		return
	}
	if string(e.Data) == string(content) {
		col.keep("", shimInit, p)
		return
	}
	col.add(plan.Change{Op: plan.OpWrite, Path: p, Mode: e.Mode, Content: content, SHA256: plan.Sum(content),
		Prior: plan.Prior{Kind: plan.KindFile, SHA256: plan.Sum(e.Data)}, Shim: shimInit, Reason: reason, Regenerates: true})
}
