package planner

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/internal/parallel"
)

// shimLSB is the LSB redirect's name.
const shimLSB plan.Shim = "lsb-redirect"

// shimRedirects gives each systemd service in scope without an /etc/init.d
// entry an LSB script that hands every action to systemctl, with rc links
// matching its enablement; and says why hand-installed templates get none.
var shimRedirects = &shim{
	name:      shimLSB,
	footprint: footprint{dirs: []string{"/etc/init.d"}, optionalDirs: append([]string{"/etc/rc.d"}, rcDirs...)},
	step: func(in *input, col *collector) decided {
		mirrored := planRedirects(in, col)
		reportTemplates(in.inv, col)
		// A redirect's rc links mirror its unit's enablement, as the
		// disable step leaves it: the first boot keeps that too.
		pins := map[string]bool{}
		for i, sc := range in.scope {
			if i < len(mirrored) && mirrored[i] {
				u := sc.svc.Name + ".service"
				pins[u] = redirectEnabled(in.inv, sc.svc) && !in.disabled[u]
			}
		}
		return decided{pins: pins}
	},
}

// planRedirects plans the LSB redirects of the services in scope. At scale
// they are most of a plan (eight changes a service), and each depends only
// on the image and what the steps before decided: runs of services are
// planned on every core, each by a fork of the collector, and joined in
// scope order, so that the plan is byte for byte the one a single loop
// makes.
func planRedirects(in *input, col *collector) (mirrored []bool) {
	if in.inv.Init != inspect.Systemd {
		return nil
	}
	scope := in.scope
	mirrored = make([]bool, len(scope))
	// Read here, before any fork: the tree builds its directory index
	// on first use, and the unit store caches what it loads, which
	// goroutines must not race to do.
	rc := indexRCLinks(in.inv)
	for _, sc := range scope {
		if sc.svc.Unit != nil {
			socketsOf(in.inv, sc.svc)
			redirectEnabled(in.inv, sc.svc)
		}
	}
	runs := parallel.Runs(len(scope))
	// An LSB redirect with its rc links is up to eight changes.
	const perService = 8
	if len(runs) == 1 {
		col.expect = len(col.plan.Changes) + perService*len(scope)
		for i, s := range scope {
			mirrored[i] = planLSB(in, col, s, rc)
		}
		return mirrored
	}
	forks := make([]*collector, len(runs))
	_ = parallel.Each(len(runs), func(i int) error {
		run := scope[runs[i].Start:runs[i].End]
		forks[i] = col.fork(perService * len(run))
		for k, s := range run {
			// Each fork writes its own run of the slice.
			mirrored[runs[i].Start+k] = planLSB(in, forks[i], s, rc)
		}
		return nil
	})
	made := 0
	for _, f := range forks {
		made += len(f.plan.Changes)
	}
	col.plan.Changes = slices.Grow(col.plan.Changes, made)
	for _, f := range forks {
		col.join(f)
	}
	return mirrored
}

// planLSB gives a systemd service without an /etc/init.d entry a redirect
// script and rc links, so that tools written for SysV (update-rc.d, service,
// chkconfig, cfn-init's sysvinit key) can control it.
func planLSB(in *input, col *collector, sc inScope, rc rcIndex) (mirrored bool) {
	s, inv := sc.svc, in.inv
	skip := func(msg string) {
		if sc.explicit {
			col.find(plan.Info, s.Name, shimLSB, "", msg)
		}
	}
	if inv.Init != inspect.Systemd {
		return false
	}
	unitName := s.Name + ".service"
	switch {
	case s.Alias != "":
		skip(fmt.Sprintf("%s is an alias of %s; name %s instead", unitName, s.Alias, systemd.Prefix(s.Alias)))
		return false
	case s.UnitState.State == systemd.Masked || in.masked[unitName]:
		skip(unitName + " is masked; a masked unit cannot be started, so there is nothing to redirect")
		return false
	case s.Unit == nil:
		return // an init script and no unit: SysV tools already work
	case s.Unit.Fragment == "":
		return false
	case in.native[unitName]:
		return false // the unit is the init script's, or rc.local's (nativeunit.go)
	case !lsb.ValidName(s.Name):
		skip(fmt.Sprintf("%q is not a name update-rc.d accepts for /etc/init.d; no redirect written", s.Name))
		return false
	}
	overLink := false
	if s.Script != nil {
		ours := s.Script.Kind == tree.File && col.ownsFile(s.ScriptPath, s.Script.Data)
		switch {
		case !ours && upstartLink(inv, s):
			if !in.pol.ReplaceUpstartLinks {
				col.find(plan.Warning, s.Name, shimLSB, s.ScriptPath, "a leftover link to /lib/init/upstart-job on a systemd image: systemctl enable "+s.Name+
					" fails on it (\"converted to an Upstart job, but lsb-header is not supported\") and update-rc.d cannot use it; set replace_upstart_job_links = true to replace it with an LSB redirect")
				return false
			}
			overLink = true
		case !ours && (col.listed(s.ScriptPath) || (s.Script.Kind == tree.File && plan.IsOurs(s.Script.Data))):
			// initcompat's once, or made to look so: kept, and said why.
			col.conflict(s.Name, shimLSB, s.ScriptPath, col.notOurs(s.ScriptPath, s.Script))
			return false
		case !ours:
			existingScript(col, sc)
			return false
		}
	}
	if !s.Unit.HasInstall() {
		skip(unitName + " is static (no [Install] section): there is no enablement for update-rc.d to change")
		return false
	}

	chk := inv.Tools.Chkconfig != ""
	after := append(s.Unit.Values("Unit", "After"), in.after[unitName]...)
	// Rendered into the collector's scratch buffer: on a second run the
	// script is in the image already, and nothing is kept.
	col.scratch.Reset()
	lsb.RenderTo(&col.scratch, lsb.Redirect{
		Name:          s.Name,
		Unit:          unitName,
		Marker:        col.marker(),
		RequiredStart: lsb.FacilitiesFor(after),
		RequiredStop:  lsb.FacilitiesFor(after),
		ShortDesc:     s.Unit.Last("Unit", "Description"),
		Reload:        len(s.Unit.Values("Service", "ExecReload")) > 0,
		Chkconfig:     chk,
		Sockets:       socketsOf(inv, s),
	})
	const mode = 0o755
	script := col.scratch.Bytes()
	if !sameFile(s.Script, script, mode) {
		script = bytes.Clone(script) // the plan keeps it; the buffer is the next service's
	}
	reason := fmt.Sprintf("%s has no /etc/init.d script; update-rc.d, chkconfig and cfn-init's sysvinit key need one. Every action goes to systemctl", unitName)
	// LSB status codes (LSB 3.0, 20.2): verify holds the script's status
	// to systemctl is-active, and the rc links to is-enabled.
	expect := []plan.Expect{
		{Check: plan.CheckLoaded, Unit: unitName, Args: []string{unitName, "loaded"}},
		{Check: plan.CheckLSBStatus, Unit: unitName, Args: []string{s.Name}},
		{Check: plan.CheckRCLinks, Unit: unitName, Args: []string{s.Name}},
	}
	if !col.writeFileOver(s.Name, shimLSB, s.ScriptPath, mode, script, reason, overLink, expect...) {
		return false
	}
	planRCLinks(inv, col, s, chk, redirectEnabled(inv, s) && !in.disabled[unitName], rc)
	return true
}

// reportTemplates says why hand-installed template units get no redirect:
// they are not services in themselves, and an /etc/init.d name cannot carry
// an instance.
func reportTemplates(inv *inspect.Inventory, col *collector) {
	if inv.Init != inspect.Systemd {
		return
	}
	for _, n := range inv.Units.Names() {
		if !systemd.IsTemplate(n) || systemd.Suffix(n) != "service" {
			continue
		}
		u := inv.Units.Load(n)
		if u == nil || u.Fragment == "" || inv.Packaged(u.Fragment) {
			continue
		}
		col.find(plan.Info, strings.TrimSuffix(systemd.Prefix(n), "@"), shimLSB, u.Fragment, n+" is a template: an /etc/init.d script cannot name an instance, so none is written; control instances with systemctl")
	}
}

// upstartLink reports an /etc/init.d entry that is a link to upstart-job.
func upstartLink(inv *inspect.Inventory, s *inspect.Service) bool {
	if s.Script.Kind != tree.Symlink {
		return false
	}
	target, err := inv.Tree.Resolve(s.ScriptPath)
	if err != nil {
		return false
	}
	up, _ := inv.Tree.Resolve("/lib/init/upstart-job")
	return target == up
}

// existingScript reports on an /etc/init.d entry that is not ours.
func existingScript(col *collector, sc inScope) {
	s := sc.svc
	switch {
	case s.Script.Kind == tree.Symlink:
		if sc.explicit {
			col.find(plan.Info, s.Name, shimLSB, s.ScriptPath, "already has an /etc/init.d entry (a symlink to "+s.Script.Target+"); left as it is")
		}
	case s.Script.Kind != tree.File:
		col.find(plan.Warning, s.Name, shimLSB, s.ScriptPath, "is a "+s.Script.Kind.String()+", not an init script; update-rc.d will refuse it")
	case s.Script.TooLarge:
		col.find(plan.Warning, s.Name, shimLSB, s.ScriptPath, "init script larger than the snapshot cap; not inspected")
	default:
		if _, ok := lsb.ParseHeader(s.Script.Data); !ok {
			col.find(plan.Warning, s.Name, shimLSB, s.ScriptPath,
				"init script without an LSB header (### BEGIN INIT INFO); update-rc.d refuses it. Add the header, or remove the script and let initcompat write a redirect")
			return
		}
		if sc.explicit {
			col.find(plan.Info, s.Name, shimLSB, s.ScriptPath, "already has an LSB init script; left as it is")
		}
	}
}

var rcLinkName = regexp.MustCompile(`^[SK][0-9][0-9]`)

// planRCLinks makes the rc links match the unit's enablement, because
// update-rc.d enable|disable only flips links that exist ("no runlevel
// symlinks to modify, aborting!").
func planRCLinks(inv *inspect.Inventory, col *collector, s *inspect.Service, chk, enabled bool, rc rcIndex) {
	disabled := !enabled && redirectEnabled(inv, s)
	startSeq, stopSeq := 1, 1
	if chk {
		startSeq, stopSeq = lsb.ChkconfigStart, lsb.ChkconfigStop
	}
	if s.UnitState.VendorOnly() {
		col.find(plan.Warning, s.Name, shimLSB, "", s.Name+".service starts at boot through links under /usr, which update-rc.d disable cannot remove; mask it to stop it")
	}
	// Worded only for a link to change: a second run over 10,000
	// services changes none.
	var why string
	reason := func() string {
		if why == "" {
			why = rcReason(s, chk, enabled, disabled, startSeq, stopSeq)
		}
		return why
	}
	for _, l := range lsb.Links(s.Name, enabled, startSeq, stopSeq) {
		link := "/etc/rc" + l.Runlevel + ".d"
		dir := inv.RC[l.Runlevel]
		if e, ok := inv.Tree.Lstat(dir); !ok || e.Kind != tree.Dir {
			if le, isLink := inv.Tree.Lstat(link); isLink && le.Kind == tree.Symlink {
				col.find(plan.Warning, s.Name, shimLSB, link, "is a symlink to "+le.Target+", which is not a directory in the image; no rc link written for runlevel "+l.Runlevel)
				continue
			}
		}
		want := dir + "/" + l.Name
		have := rc.of(dir, s.Name)
		wantTaken := slices.ContainsFunc(have, func(e *tree.Entry) bool { return e.Path == want })
		switch {
		case len(have) == 0:
			col.symlink(s.Name, shimLSB, want, l.Target, reason())
		case len(have) == 1 && wantTaken && have[0].Kind == tree.Symlink && have[0].Target == l.Target:
			col.keep(s.Name, shimLSB, want) // already right
		case allOurs(col, have):
			for _, e := range have {
				if e.Path != want {
					col.remove(s.Name, shimLSB, e.Path, "replaced: "+reason())
				}
			}
			col.symlink(s.Name, shimLSB, want, l.Target, reason())
		case wantTaken:
			col.symlink(s.Name, shimLSB, want, l.Target, reason()) // reports the conflict
		default:
			names := make([]string, len(have))
			for i, e := range have {
				names[i] = path.Base(e.Path)
			}
			col.find(plan.Info, s.Name, shimLSB, dir, "runlevel "+l.Runlevel+" already has "+strings.Join(names, ", ")+" (made by update-rc.d or by hand); left as it is")
		}
	}
}

// indexRCLinks reads the rc directories once and indexes their links by
// service: reading them for every service made planning quadratic (88 % of
// a 10,000-service plan). One index for the seven directories holds a
// short list per service, not seven maps of 10,000 keys.
func indexRCLinks(inv *inspect.Inventory) rcIndex {
	idx := rcIndex{}
	for _, d := range slices.Compact(slices.Sorted(maps.Values(inv.RC))) {
		for _, e := range inv.Tree.ReadDir(d) {
			if n := path.Base(e.Path); rcLinkName.MatchString(n) {
				idx[n[3:]] = append(idx[n[3:]], e)
			}
		}
	}
	return idx
}

// rcIndex holds the rc links by service, read when the redirects are
// planned (after the Upstart units, which change the image), and only read
// while the forks plan.
type rcIndex map[string][]*tree.Entry

// of lists the rc links of a service in one rc directory.
func (rc rcIndex) of(dir, service string) []*tree.Entry {
	var out []*tree.Entry
	for _, e := range rc[service] {
		if path.Dir(e.Path) == dir {
			out = append(out, e)
		}
	}
	return out
}

// rcReason says why a service's rc links are as planned.
func rcReason(s *inspect.Service, chk, enabled, disabled bool, startSeq, stopSeq int) string {
	layout := fmt.Sprintf("K%02d links in every runlevel", stopSeq)
	if enabled {
		layout = fmt.Sprintf("S%02d links in 2 3 4 5, K%02d in 0 1 6", startSeq, stopSeq)
	}
	tool := "update-rc.d " + s.Name + " disable|enable"
	if chk {
		tool = "chkconfig " + s.Name + " off|on"
	}
	state := s.UnitState.State
	if disabled {
		state = systemd.Disabled
	}
	return fmt.Sprintf("%s.service is %s: %s, so that %s has links to flip", s.Name, state, layout, tool)
}

func allOurs(col *collector, es []*tree.Entry) bool {
	for _, e := range es {
		if !col.ours(e.Path) {
			return false
		}
	}
	return true
}

// socketsOf lists the socket units that activate the service: those its
// [Install] Also= names, and NAME.socket when it starts NAME.service (its
// Service= unset or naming it; systemd.socket(5)).
func socketsOf(inv *inspect.Inventory, s *inspect.Service) []string {
	var out []string
	add := func(n string) {
		if systemd.ValidName(n) && systemd.Suffix(n) == "socket" && !slices.Contains(out, n) && inv.Units.Load(n) != nil {
			out = append(out, n)
		}
	}
	for _, a := range s.Unit.Values("Install", "Also") {
		add(a)
	}
	own := s.Name + ".socket"
	if u := inv.Units.Load(own); u != nil {
		if svc := u.Last("Socket", "Service"); svc == "" || svc == s.Name+".service" {
			add(own)
		}
	}
	slices.Sort(out)
	return out
}

// redirectEnabled is whether the service starts at boot as the rc links
// say it: enabled itself, or, for a service whose [Install] holds only
// Also= (systemctl is-enabled: indirect), through a socket that is.
func redirectEnabled(inv *inspect.Inventory, s *inspect.Service) bool {
	switch s.UnitState.State {
	case systemd.Enabled:
		return true
	case systemd.Indirect:
		for _, so := range socketsOf(inv, s) {
			if inv.Units.Enablement(so).State == systemd.Enabled {
				return true
			}
		}
	}
	return false
}
