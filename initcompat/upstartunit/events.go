package upstartunit

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// event is one event of a start on / stop on expression: its name, the
// positional values and the KEY=VALUE (or KEY!=VALUE) matches.
type event struct {
	name  string
	pos   []string
	match map[string]string // "IFACE" -> "lo", "IFACE!" -> "lo" for !=
}

// get is the value matched for key, by name or by position (positional
// values match the event's variables in the order it emits them).
func (e event) get(key string, position int) (string, bool) {
	if v, ok := e.match[key]; ok {
		return v, true
	}
	if position >= 0 && position < len(e.pos) {
		return e.pos[position], true
	}
	return "", false
}

// only reports whether the event matches on nothing but the given keys.
func (e event) only(keys ...string) bool {
	allowed := map[string]bool{}
	for _, k := range keys {
		allowed[k], allowed[k+"!"] = true, true
	}
	for k := range e.match {
		if !allowed[k] {
			return false
		}
	}
	return len(e.pos) <= len(keys)
}

// eventRule maps one Upstart event. upstart says when Upstart emits it
// (init(5), upstart-events(7), mountall(8)); systemd says the relation
// that has the same meaning. start and stop return false when the event
// has no counterpart in that role.
type eventRule struct {
	events  string
	upstart string
	systemd string
	start   func(u *jobUnit, e event, s *upstart.Stanza) bool
	stop    func(u *jobUnit, e event, s *upstart.Stanza) bool
}

var eventRules = []eventRule{
	{"runlevel", "the runlevel changed: `RUNLEVEL` the new one, `PREVLEVEL` the old; S (and 1, which goes on to S) is single-user mode",
		"start: `WantedBy=multi-user.target` for 2-4, `graphical.target` for 5, `rescue.target` for S and 1 (systemd's runlevel1.target); stop on 0, 1, 6, S: nothing, systemd stops services at shutdown and on isolate", startRunlevel, stopRunlevel},
	{"startup", "the first event of every boot (init/main.c), before any file system is mounted",
		"started in multi-user.target, after sysinit.target: systemd's early boot takes the place of what ran before the file systems", startAfter(""), nil},
	{"filesystem, local-filesystems", "mountall mounted every local file system (before the runlevel)",
		"`After=local-fs.target`, started in multi-user.target", startAfter("local-fs.target"), stopAtShutdown},
	{"virtual-filesystems", "/proc, /sys, /dev, /run are mounted", "nothing: systemd mounts them before any service; started in multi-user.target", startAfter(""), stopAtShutdown},
	{"remote-filesystems", "mountall mounted every network file system", "`After=remote-fs.target`, started in multi-user.target", startAfter("remote-fs.target"), stopAtShutdown},
	{"all-swaps", "every swap device is on", "`After=swap.target`, started in multi-user.target", startAfter("swap.target"), nil},
	{"mounted", "mountall mounted `MOUNTPOINT` (also matched: `DEVICE`, `TYPE`, `OPTIONS`)", "`RequiresMountsFor=MOUNTPOINT` (`After=local-fs.target` for `/`), started in multi-user.target; a match on `DEVICE`, `TYPE` or `OPTIONS` as well is reported, the unit waits for whatever is mounted there; a pattern in `MOUNTPOINT` is not translated", startMounted, nil},
	{"unmounting-filesystem, deconfiguring-networking", "shutdown began to unmount or take the network down", "stop: nothing, systemd stops services at shutdown", nil, stopAtShutdown},
	{"net-device-up", "ifup brought `IFACE` up; the first one is the loopback `lo`",
		"`IFACE=lo`: nothing (lo is up before services); `IFACE!=lo` or a named interface: `After=`/`Wants=network-online.target`; no `IFACE`: nothing, it fired for lo (reported)", startNetDevice, stopAtShutdown},
	{"static-network-up", "every interface in /etc/network/interfaces marked auto is up", "`After=`/`Wants=network-online.target`", startNetworkOnline, nil},
	{"started, starting, stopped, stopping", "another job `JOB` started; is starting (and waits for this one); stopped; is stopping",
		"start on `starting X`: `Before=X.service` and `WantedBy=X.service`; `started X`: `After=X.service` and `WantedBy=X.service`; `stopped X` for a task X: the same as `started`; `stopped rc RUNLEVEL=[2345]`, the end of the runlevel's scripts: `After=multi-user.target`; `starting`, `started`, `stopped` of `rc-sysinit` or `rcS`, the system's initialisation that runs /etc/init.d/rcS once the file systems are mounted (rcS on Upstart before 1.0 and RHEL 6): `After=local-fs.target`, started in multi-user.target. stop on `stopping X`: `PartOf=X.service` + `After=`; `stopped X`: `PartOf=X.service` + `Before=`. None of them pulls X in", startJobEvent, stopJobEvent},
}

// eventRuleFor finds the rule of an event by name.
func eventRuleFor(name string) *eventRule {
	for i := range eventRules {
		for _, n := range strings.Split(eventRules[i].events, ", ") {
			if n == name {
				return &eventRules[i]
			}
		}
	}
	return nil
}

// eventsOf is the events of a start on / stop on stanza as Upstart's
// parse_on builds the expression (upstart.On), and whether "or" joins any
// of them. A KEY=VALUE match is read by its key (KEY! for !=), the first
// "!=" or "=" naming it as event_operator_match does; any other argument
// is positional.
func eventsOf(s *upstart.Stanza) ([]event, bool) {
	var out []event
	for _, ev := range s.On.Events() {
		e := event{name: ev.Name, match: map[string]string{}}
		for _, m := range ev.Matches() {
			switch {
			case m.Key == "":
				e.pos = append(e.pos, m.Value)
			case m.Negate:
				e.match[m.Key+"!"] = m.Value
			default:
				e.match[m.Key] = m.Value
			}
		}
		out = append(out, e)
	}
	return out, s.On.HasOr()
}

func ruleStartOn(u *jobUnit) {
	s := u.job.Get("start on")
	if s == nil {
		if !u.job.Has("manual") {
			u.info(u.at(1), "no start on: Upstart starts the job only when asked, so the unit is not enabled; systemctl enable %s makes it start at boot", u.name)
		}
		return
	}
	events, ors := eventsOf(s)
	ok := true
	for _, e := range events {
		r := eventRuleFor(e.name)
		if r == nil || r.start == nil || !r.start(u, e, s) {
			ok = false
			u.block(s, "start on %s: %s has no systemd counterpart (systemd has no job events); the unit is written with WantedBy=%s but not enabled. Start it from whatever emits the event, or enable it once checked: systemctl enable %s",
				s.Raw, describeEvent(e), firstOr(u.triggers, "multi-user.target"), u.name)
		}
	}
	u.auto = ok
	if ok && ors && len(events) > 1 {
		u.info(s, "start on %s: \"or\" of these events becomes ordering after all of them", s.Raw)
	}
}

func ruleStopOn(u *jobUnit) {
	s := u.job.Get("stop on")
	if s == nil {
		return
	}
	events, _ := eventsOf(s)
	for _, e := range events {
		r := eventRuleFor(e.name)
		if r == nil || r.stop == nil || !r.stop(u, e, s) {
			u.info(s, "stop on %s: %s has no systemd counterpart; the unit stops at shutdown or when asked", s.Raw, describeEvent(e))
		}
	}
}

func describeEvent(e event) string {
	parts := []string{e.name}
	parts = append(parts, e.pos...)
	for _, k := range slices.Sorted(maps.Keys(e.match)) {
		if strings.HasSuffix(k, "!") {
			parts = append(parts, strings.TrimSuffix(k, "!")+"!="+e.match[k])
		} else {
			parts = append(parts, k+"="+e.match[k])
		}
	}
	return fmt.Sprintf("the event %q", strings.Join(parts, " "))
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// runlevels expands a runlevel match ("[2345]", "[!016]", "2") to the set.
func runlevels(v string) map[rune]bool {
	m := runlevelRE.FindStringSubmatch(v)
	if m == nil {
		return nil
	}
	set := map[rune]bool{}
	for _, r := range "0123456S" {
		in := strings.ContainsRune(strings.ToUpper(m[2]), r)
		if in != (m[1] == "!") {
			set[r] = true
		}
	}
	return set
}

var runlevelRE = regexp.MustCompile(`^\[?(!?)([0-6Ss]+)\]?$`)

// runlevelTarget is the target systemd boots for those runlevels.
func runlevelTarget(set map[rune]bool) string {
	switch {
	case set['2'] || set['3'] || set['4']:
		return "multi-user.target"
	case set['5']:
		return "graphical.target"
	}
	return ""
}

// rescue says whether the runlevels take in single-user mode: S, or 1,
// whose rc scripts end by switching to S (Debian's /etc/init.d/single);
// systemd's runlevel1.target is rescue.target.
func rescue(set map[rune]bool) bool { return set['S'] || set['1'] }

func startRunlevel(u *jobUnit, e event, _ *upstart.Stanza) bool {
	v, ok := e.get("RUNLEVEL", 0)
	if !ok || !e.only("RUNLEVEL") {
		return false // PREVLEVEL alone fires on leaving a runlevel
	}
	set := runlevels(v)
	target := runlevelTarget(set)
	if target == "" && !rescue(set) {
		return false
	}
	if target != "" {
		u.trigger(target)
	}
	if rescue(set) {
		u.trigger("rescue.target")
	}
	return true
}

func stopRunlevel(u *jobUnit, e event, s *upstart.Stanza) bool {
	v, ok := e.get("RUNLEVEL", 0)
	if !ok || !e.only("RUNLEVEL") {
		return false
	}
	set := runlevels(v)
	if set == nil {
		return false
	}
	multiUser := slices.Contains(u.triggers, "multi-user.target") || slices.Contains(u.triggers, "graphical.target")
	if multiUser && (set['2'] || set['3'] || set['4'] || set['5']) {
		u.info(s, "stop on %s: also stops on a switch between the multi-user runlevels, which systemd does not have", s.Raw)
	}
	return true
}

func stopAtShutdown(*jobUnit, event, *upstart.Stanza) bool { return true }

// startAfter orders the unit after a boot target and starts it with the
// system, as the event fires once during boot.
func startAfter(target string) func(u *jobUnit, e event, s *upstart.Stanza) bool {
	return func(u *jobUnit, e event, _ *upstart.Stanza) bool {
		if len(e.pos) > 0 || len(e.match) > 0 {
			return false
		}
		if target != "" {
			u.relate("After", target)
		}
		u.trigger("multi-user.target")
		return true
	}
}

// mountVariables are the other variables of mountall's mounted event
// (mountall(8): DEVICE, MOUNTPOINT, TYPE, OPTIONS). Matching on them as
// well narrows which mount of MOUNTPOINT starts the job; systemd's
// RequiresMountsFor= waits for whatever is mounted there.
var mountVariables = []string{"DEVICE", "TYPE", "OPTIONS"}

func startMounted(u *jobUnit, e event, s *upstart.Stanza) bool {
	mp, ok := e.match["MOUNTPOINT"]
	if !ok || !e.only(append([]string{"MOUNTPOINT"}, mountVariables...)...) || len(e.pos) > 0 ||
		!validPath(mp) || strings.ContainsAny(mp, "*?[ ") {
		return false
	}
	var also []string
	for _, k := range mountVariables {
		for _, m := range []string{k, k + "!"} {
			if v, has := e.match[m]; has {
				also = append(also, strings.TrimSuffix(m, "!")+map[bool]string{true: "!=", false: "="}[strings.HasSuffix(m, "!")]+v)
			}
		}
	}
	if len(also) > 0 {
		u.info(s, "start on %s: the job started only when %s was mounted with %s; the unit waits for whatever is mounted there (systemd has no match on a mount's %s)",
			s.Raw, mp, strings.Join(also, " "), strings.Join(mountVariables, ", "))
	}
	if mp == "/" {
		u.relate("After", "local-fs.target")
	} else {
		u.relate("RequiresMountsFor", strings.ReplaceAll(mp, "%", "%%"))
	}
	u.trigger("multi-user.target")
	return true
}

func startNetworkOnline(u *jobUnit, e event, _ *upstart.Stanza) bool {
	if len(e.pos) > 0 || len(e.match) > 0 {
		return false
	}
	u.relate("After", "network-online.target")
	u.relate("Wants", "network-online.target")
	u.trigger("multi-user.target")
	return true
}

func startNetDevice(u *jobUnit, e event, s *upstart.Stanza) bool {
	if !e.only("IFACE") {
		return false
	}
	u.trigger("multi-user.target")
	iface, named := e.get("IFACE", 0)
	not, negated := e.match["IFACE!"]
	switch {
	case named && iface == "lo":
		// The loopback is up before any service under systemd.
	case !named && !negated:
		u.info(s, "start on %s: net-device-up without IFACE fires for the loopback interface first, so the job never waited for the network; neither does the unit (add After=/Wants=network-online.target in a drop-in if it needs the network)", s.Raw)
	case negated && not != "lo":
		return false
	default:
		if named {
			u.info(s, "start on %s: waits for %s only; the unit waits for network-online.target, every configured interface", s.Raw, iface)
		}
		u.relate("After", "network-online.target")
		u.relate("Wants", "network-online.target")
	}
	return true
}

// jobOf is the job an event names ("started X", "started JOB=X"), if it
// names nothing else.
func jobOf(e event, extra ...string) (string, bool) {
	job, ok := e.get("JOB", 0)
	if !ok || !e.only(append([]string{"JOB"}, extra...)...) || !lsb.ValidName(job) {
		return "", false
	}
	return job, true
}

func startJobEvent(u *jobUnit, e event, s *upstart.Stanza) bool {
	if e.name == "stopped" {
		if job, ok := jobOf(e, "RUNLEVEL"); ok && job == "rc" {
			// rc runs the runlevel's SysV scripts and stops when they are
			// done: after the runlevel's target, and started by it.
			v, _ := e.get("RUNLEVEL", 1)
			target := runlevelTarget(runlevels(v))
			if target == "" {
				return false
			}
			u.relate("After", target)
			u.trigger(target)
			return true
		}
	}
	job, ok := jobOf(e)
	switch {
	case !ok || job == "rc":
		return false
	case job == "rcS" || job == "rc-sysinit":
		if e.name != "starting" && e.name != "started" && e.name != "stopped" {
			return false
		}
		// The system's initialisation: rc-sysinit starts on (filesystem and
		// static-network-up) or failsafe-boot and runs /etc/init.d/rcS
		// (conf/rc-sysinit.conf); rcS did so on Upstart before 1.0 and on
		// RHEL 6. Once a boot, after the file systems.
		u.relate("After", "local-fs.target")
		u.trigger("multi-user.target")
		return true
	}
	svc := job + ".service"
	switch e.name {
	case "starting":
		u.relate("Before", svc)
	case "started":
		u.relate("After", svc)
	case "stopped":
		if _, task := u.known(job); !task {
			return false // when a daemon stops: no systemd counterpart
		}
		u.relate("After", svc)
	default:
		return false
	}
	if exists, _ := u.known(job); !exists {
		u.info(s, "start on %s: %s is neither a unit nor an Upstart job in this image; the unit starts when %s does", s.Raw, job, svc)
	}
	u.trigger(svc)
	return true
}

func stopJobEvent(u *jobUnit, e event, s *upstart.Stanza) bool {
	job, ok := jobOf(e, "RUNLEVEL")
	if !ok {
		return false
	}
	if job == "rc" {
		// "starting rc RUNLEVEL=[016]": the shutdown's scripts begin.
		v, has := e.get("RUNLEVEL", 1)
		set := runlevels(v)
		return has && set != nil && !set['2'] && !set['3'] && !set['4'] && !set['5']
	}
	if _, extra := e.match["RUNLEVEL"]; extra {
		return false
	}
	svc := job + ".service"
	switch e.name {
	case "stopping":
		// Stop before X: units stop in the reverse of their start order.
		u.relate("PartOf", svc)
		u.relate("After", svc)
	case "stopped":
		u.relate("PartOf", svc)
		u.relate("Before", svc)
	default:
		return false
	}
	return true
}
