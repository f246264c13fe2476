// Package sysvunit makes, for the init scripts of an image, the units
// systemd-sysv-generator made for them until systemd 260 removed it, as
// native units a newer systemd loads: the generator's reading of each
// script and of the rc links (read.go, a port cited rule by rule), plus
// what a unit needs once no generator makes it at every boot: an [Install]
// section, so that systemctl enable and update-rc.d work, and wants links
// mirroring the rc links. It is pure: bytes in, bytes out, nothing run,
// nothing read from disk.
//
// It reads each script itself rather than taking lsb.ParseHeader's Header:
// the generator's reading differs from update-rc.d's in ways its units
// show (keys in any case, leading whitespace, every Provides: and
// Required-Start: line counted, Required-Stop: ignored, Red Hat's
// "# description:" and "# pidfile:", lines ended at \r and \0), and the
// oracle holds this package to the generator.
package sysvunit

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
)

// Script is one file of an init directory that the generator would read:
// enumerate_sysv() (sysv-generator.c:709-796) takes the entries that
// stat(2), following symlinks, shows as regular files with the owner's
// execute bit; the caller passes only those. Names the generator skips as
// hidden or backup files (FOREACH_DIRENT) are skipped here.
type Script struct {
	Path string // "/etc/init.d/hello": the directory it was found in and its name
	Data []byte
}

// Link is one entry of an rc directory: /etc/rc2.d/S01hello is
// {Runlevel: "2", Name: "S01hello"}. The generator reads its name only, not
// where it points (set_dependencies_from_rcnd(), sysv-generator.c:798-894).
type Link struct {
	Runlevel string
	Name     string
}

// Options are the decisions that are not the script's.
type Options struct {
	// Native reports a unit name that has a unit file of its own: the
	// generator skips such a script (unit_file_exists(), sysv-generator.c:752)
	// and its Provides alias is shadowed. The caller leaves out the units
	// initcompat made itself, so that a second run makes the same ones.
	Native func(unit string) bool
	// Foreground reports a unit whose script (its path, as Script.Path)
	// has a start action that waits for a daemon that stays in the
	// foreground (the sysv-foreground shim's decision, made elsewhere): its
	// unit is Type=simple.
	Foreground func(unit, script string) bool
}

// Unit is the generator's unit for one script, and the enablement a native
// unit needs in its place.
type Unit struct {
	Name        string // "hello.service"
	Script      string // "/etc/init.d/hello"
	Description string // "LSB: ..." / "SYSV: ...", "" when the script has none
	HasLSB      bool   // a "### BEGIN INIT INFO" line: SuccessExitStatus=5 6
	// Before, After and Wants are the generator's lines, in its order,
	// without the runlevel targets of the rc links (see Enabled).
	Before, After, Wants []string
	PIDFile              string // Red Hat "# pidfile:", which makes RemainAfterExit=no
	Reload               bool   // a usage line offers reload: ExecReload=
	Foreground           bool   // Type=simple (Options.Foreground)
	// Enabled are the targets whose .wants the generator linked the unit
	// into, from S links in rc1.d-rc5.d: the wants links to make.
	Enabled []string
	// Priority is the highest S link number, -1 without one.
	Priority int
	// Install are the [Install] WantedBy= targets: the Default-Start
	// runlevels mapped as the rc links are; else the targets of the
	// links; else, without a Default-Start line, multi-user.target; with
	// one that names none of runlevels 1-5, none (no [Install] section).
	Install []string
	// Aliases are the Provides: names that are services, made as
	// symlinks to the unit (add_alias()), less those another script's
	// unit, a native unit or an earlier unit takes.
	Aliases []string
	// Capped says which lists were cut at maxList names ("After: 40000
	// names, the first 1000 kept"): the image is untrusted, and a header
	// (or ten thousand header-less scripts ordered by fix_order) would
	// otherwise make a unit of any size.
	Capped []string
}

// maxList caps Before=, After=, Wants= and the aliases of one unit.
const maxList = 1000

// maxScriptName is the longest script name made a unit: systemd's unit
// names are at most 255 bytes (UNIT_NAME_MAX), ".service" included.
const maxScriptName = 255 - len(".service")

// maxOrderPairs caps the S-number orderings fix_order makes: each
// header-less script with an S link is ordered against every other such
// script, and every script with a header against each header-less one, so
// ten thousand header-less scripts made a hundred million names (1 s and a
// gigabyte at 10,000, 17 s at 50,000: BenchmarkGenerateHeaderless). Past
// the cap (about 1,100 header-less scripts, enough to reach maxList) they
// are left out, and Result.Unordered says so; a real image has a handful.
const maxOrderPairs = 1_250_000

// Skip is a script, or an alias, that gets no unit, and why.
type Skip struct {
	Script string
	Name   string // the unit or alias name, "" when there is none
	Reason string
}

// Result is the generator's output for an image.
type Result struct {
	Units   []Unit // sorted by Name
	Skipped []Skip // in the order of Units, then scripts
	// Unordered is, when the S-number orderings of the header-less
	// scripts were left out (maxOrderPairs), how many such scripts there
	// are; 0 otherwise.
	Unordered int
}

// rcTargets is rcnd_table (sysv-generator.c:35-48): the runlevel whose S
// links make a script wanted by a target. rc0.d and rc6.d are not read:
// "SysV services get default dependencies anyway".
var rcTargets = []struct{ Runlevel, Target string }{
	{"1", "rescue.target"},
	{"2", "multi-user.target"},
	{"3", "multi-user.target"},
	{"4", "multi-user.target"},
	{"5", "graphical.target"},
}

// TargetOf is the target of a runlevel, "" for S, 0, 6 and the rest.
func TargetOf(runlevel string) string {
	for _, r := range rcTargets {
		if r.Runlevel == runlevel {
			return r.Target
		}
	}
	return ""
}

// Generate reads the scripts and the rc links as systemd-sysv-generator's
// run() (sysv-generator.c:896-934) does: enumerate, read the rc links, read
// each script, order the header-less ones by their S numbers, and gives
// each script's unit.
func Generate(scripts []Script, links []Link, opt Options) Result {
	var res Result
	byName := map[string]*stub{}
	var order []*stub
	// Sorted by name for a deterministic result: the generator takes the
	// first of two scripts that make one unit name in readdir order,
	// which nothing fixes; here "hello" goes before "hello.sh".
	sorted := slices.Clone(scripts)
	slices.SortFunc(sorted, func(a, b Script) int { return strings.Compare(a.Path, b.Path) })
	for _, sc := range sorted {
		file := path.Base(sc.Path)
		if hiddenOrBackup(file) {
			continue
		}
		name, ok := translateName(file)
		if why := skipReason(file, name, ok, byName, opt); why != "" {
			if !ok {
				name = ""
			}
			res.Skipped = append(res.Skipped, Skip{Script: sc.Path, Name: name, Reason: why})
			continue
		}
		s := &stub{name: name, path: sc.Path, file: file, priority: -1}
		s.load(sc.Data)
		byName[name] = s
		order = append(order, s)
	}
	readLinks(byName, links)
	// fix_order compares two scripts only when one lacks a header: a
	// script with one needs only the header-less others, so an image of
	// scripts with headers costs a pass, not a pass per script.
	var ranked, headerless []*stub
	for _, s := range order {
		if s.priority >= 0 {
			ranked = append(ranked, s)
			if !s.hasLSB {
				headerless = append(headerless, s)
			}
		}
	}
	if pairs := len(ranked) * len(headerless); len(headerless) > 0 && pairs/len(headerless) == len(ranked) && pairs <= maxOrderPairs {
		for _, s := range ranked {
			if s.hasLSB {
				fixOrder(s, headerless)
			} else {
				fixOrder(s, ranked)
			}
		}
	} else if len(headerless) > 0 {
		res.Unordered = len(headerless)
	}
	aliasOf := aliases(order, byName, opt, &res)
	slices.SortFunc(order, func(a, b *stub) int { return strings.Compare(a.name, b.name) })
	for _, s := range order {
		u := Unit{Name: s.name, Script: s.path, Description: s.desc, HasLSB: s.hasLSB,
			After: s.after, Wants: s.wants, PIDFile: s.pidFile, Reload: s.reload,
			Priority: s.priority, Aliases: aliasOf[s.name]}
		u.Foreground = opt.Foreground != nil && opt.Foreground(s.name, s.path)
		runlevelTargets := map[string]bool{}
		for _, t := range s.wantedBy {
			runlevelTargets[t] = true
		}
		u.Enabled = slices.Sorted(maps.Keys(runlevelTargets))
		// The rc links' Before= on their targets is left out: a target
		// orders itself after what it wants (systemd.target(5), default
		// dependencies), so the wants link brings it, and it goes when
		// update-rc.d disable takes the link away, as with the generator.
		u.Before = s.before
		u.Install = install(s, u.Enabled)
		for _, l := range []struct {
			key  string
			list *[]string
			n    int
		}{{"Before", &u.Before, s.nBefore}, {"After", &u.After, s.nAfter}, {"Wants", &u.Wants, 0}, {"Provides", &u.Aliases, 0}} {
			n := max(l.n, len(*l.list))
			if n > maxList {
				*l.list = (*l.list)[:maxList]
				u.Capped = append(u.Capped, fmt.Sprintf("%s: %d names, the first %d kept", l.key, n, maxList))
			}
		}
		res.Units = append(res.Units, u)
	}
	return res
}

// skipReason says why a script gets no unit, "" when it gets one: its
// name makes no valid unit name (ok false), one too long, one ExecStart=
// would split, a template or not a service, one another script makes, or
// one a native unit has (the generator's unit_file_exists(),
// sysv-generator.c:752).
func skipReason(file, name string, ok bool, byName map[string]*stub, opt Options) string {
	switch {
	case !ok:
		return fmt.Sprintf("%q makes no valid unit name", file)
	case len(file) > maxScriptName:
		return fmt.Sprintf("its name is %d bytes: initcompat makes units for names of at most %d", len(file), maxScriptName)
	case !safeScript(file):
		return fmt.Sprintf("%q has a character ExecStart= would split or unquote at: the generator's unit ran something else", file)
	case systemd.IsTemplate(name):
		// The generator wrote tmpl@.service and linked it into the
		// target's wants, which systemd refuses: a template starts only
		// as an instance.
		return "the generator would name its unit " + name + ", a template, which systemd cannot start without an instance"
	case suffix(name) != "service":
		return "the generator would name its unit " + name + ", which is not a service"
	case byName[name] != nil:
		return byName[name].path + " makes " + name + " already"
	case opt.Native != nil && opt.Native(name):
		return "a native unit " + name + " exists: the generator skipped the script"
	}
	return ""
}

// readLinks is set_dependencies_from_rcnd() (sysv-generator.c:798-894): an
// entry of rc1.d-rc5.d named S, two digits and a name (at least 4 bytes)
// whose name (".sh" stripped) is a script's unit raises its priority to the
// two digits and makes it wanted by, and ordered before, the runlevel's
// target. K links and rc0.d, rc6.d, rcS.d are not read.
func readLinks(byName map[string]*stub, links []Link) {
	seen := map[string]bool{}
	for _, rt := range rcTargets {
		for _, l := range links {
			n := l.Name
			if l.Runlevel != rt.Runlevel || hiddenOrBackup(n) || len(n) < 4 || n[0] != 'S' || !isDigit(n[1]) || !isDigit(n[2]) {
				continue
			}
			name, ok := translateName(n[3:])
			s := byName[name]
			if !ok || s == nil {
				continue
			}
			p, _ := strconv.Atoi(n[1:3])
			s.priority = max(s.priority, p)
			// A set per runlevel: one script, one entry per runlevel.
			key := rt.Runlevel + "\x00" + name
			if seen[key] {
				continue
			}
			seen[key] = true
			s.linkRunlevels = append(s.linkRunlevels, rt.Runlevel)
		}
	}
	// The targets are added after all links are read, runlevel by runlevel.
	for _, rt := range rcTargets {
		for _, s := range byName {
			if slices.Contains(s.linkRunlevels, rt.Runlevel) {
				s.wantedBy = append(s.wantedBy, rt.Target) // and Before= the target, left out (see Generate)
			}
		}
	}
}

// fixOrder is fix_order() (sysv-generator.c:633-676): when either of two
// scripts with S links lacks an LSB header, the lower S number starts
// first. Scripts that both have headers are ordered by their headers only.
// all holds at least the scripts s is compared with.
func fixOrder(s *stub, all []*stub) {
	if s.priority < 0 {
		return
	}
	// all is sorted by script path (the generator walks a hashmap): the
	// names are taken in that order, and counted past maxList without
	// being kept, so that ten thousand header-less scripts cost a count,
	// not a hundred million names.
	nAfter, nBefore := len(s.after), len(s.before)
	for _, o := range all {
		if o == s || o.priority < 0 || (s.hasLSB && o.hasLSB) {
			continue
		}
		switch {
		case o.priority < s.priority:
			if nAfter++; nAfter <= maxList {
				s.after = append(s.after, o.name)
			}
		case o.priority > s.priority:
			if nBefore++; nBefore <= maxList {
				s.before = append(s.before, o.name)
			}
		}
	}
	s.nAfter, s.nBefore = nAfter, nBefore
}

// aliases decides the Provides aliases: add_alias() makes a symlink unless
// one of that name exists, and generate_unit_file() replaces an alias by a
// script's real unit ("Real scripts always win", sysv-generator.c:123-131);
// the generator's directory is the last on systemd's unit path, so a native
// unit of the name shadows the alias. Of two scripts providing one name,
// the generator keeps whichever its hashmap gives first; here the unit
// that sorts first.
func aliases(order []*stub, byName map[string]*stub, opt Options, res *Result) map[string][]string {
	out := map[string][]string{}
	taken := map[string]string{}
	sorted := slices.Clone(order)
	slices.SortFunc(sorted, func(a, b *stub) int { return strings.Compare(a.name, b.name) })
	for _, s := range sorted {
		for _, a := range s.aliases {
			switch {
			case a == s.name || slices.Contains(out[s.name], a):
				continue
			case byName[a] != nil:
				res.Skipped = append(res.Skipped, Skip{Script: s.path, Name: a, Reason: "Provides: " + systemd.Prefix(a) + " names " + byName[a].path + "'s own unit, which wins"})
			case opt.Native != nil && opt.Native(a):
				res.Skipped = append(res.Skipped, Skip{Script: s.path, Name: a, Reason: "Provides: " + systemd.Prefix(a) + " names a native unit, which shadows the alias"})
			case taken[a] != "":
				res.Skipped = append(res.Skipped, Skip{Script: s.path, Name: a, Reason: "Provides: " + systemd.Prefix(a) + " is provided by " + taken[a] + " too; its unit has the alias"})
			default:
				taken[a] = s.path
				out[s.name] = append(out[s.name], a)
			}
		}
	}
	return out
}

// install is the [Install] section's WantedBy= (not the generator's, which
// wrote none: the rc links were the enablement). The Default-Start
// runlevels map as rc links do; a script without them is enabled where its
// links are, else in multi-user.target (runlevels 2-4), so that systemctl
// enable always has something to do.
func install(s *stub, enabled []string) []string {
	var out []string
	for _, rl := range s.defaultStart {
		if t := TargetOf(rl); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	switch {
	case len(out) > 0:
	case len(enabled) > 0:
		out = slices.Clone(enabled)
	case s.sawDefaultStart:
		// Default-Start names no runlevel the generator read (empty, S,
		// or 0 and 6 alone: a script for the shutdown): the generator
		// never started it, and no [Install] section keeps systemctl
		// enable from starting it at boot.
		return nil
	default:
		out = []string{"multi-user.target"}
	}
	slices.SortFunc(out, func(a, b string) int { return targetRank(a) - targetRank(b) })
	return out
}

func targetRank(t string) int {
	for i, r := range rcTargets {
		if r.Target == t {
			return i
		}
	}
	return len(rcTargets)
}

// hiddenOrBackup is hidden_or_backup_file() (src/basic/path-util.c:1263-1310),
// the names FOREACH_DIRENT skips.
func hiddenOrBackup(name string) bool {
	if strings.HasPrefix(name, ".") || name == "lost+found" || name == "aquota.user" || name == "aquota.group" || strings.HasSuffix(name, "~") {
		return true
	}
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return false
	}
	switch name[i+1:] {
	case "rpmnew", "rpmsave", "rpmorig", "dpkg-old", "dpkg-new", "dpkg-tmp", "dpkg-dist", "dpkg-bak",
		"dpkg-backup", "dpkg-remove", "ucf-new", "ucf-old", "ucf-dist", "swp", "bak", "old", "new":
		return true
	}
	return false
}

// validUnit is unit_name_is_valid(name, UNIT_NAME_ANY).
func validUnit(n string) bool { return systemd.ValidName(n) }

// safeScript reports a script file name whose unit the generator made
// working: ExecStart=/etc/init.d/NAME start is split at whitespace and
// unquoted by systemd, so a name with whitespace, a quote, a backslash or a
// control character gave a unit that runs something else; initcompat
// refuses those.
func safeScript(file string) bool {
	for i := 0; i < len(file); i++ {
		if c := file[i]; c <= ' ' || c == 0x7f || c == '"' || c == '\'' || c == '\\' {
			return false
		}
	}
	return true
}

func suffix(n string) string { return systemd.Suffix(n) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
