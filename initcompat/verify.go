package initcompat

import (
	_ "embed"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/internal/shellword"
)

// Verify asks the image's own init system, after the apply and before it
// is final, whether what the plan meant to make is what it now sees. The
// apply stops with its journal in the "commit" phase (protocol.Options.Hold), so that
// a failed check rolls the image back by the recovery every interrupted
// apply gets; a passed verify finishes it.
//
// The checks are read-only questions to the real tools: systemctl show
// (LoadState, DropInPaths, After, Before, Wants, ...), systemctl
// is-active and is-enabled against /etc/init.d/NAME status and the rc
// links, chkconfig --list where the image has it, initctl show-config on
// Upstart, and systemd-analyze verify over default.target, whose lines are
// compared with its output before the apply: a new line naming a unit the
// plan touched is initcompat's doing and fails the build; any other line is
// a warning.

// Check is one question verify puts to the init system, and its answer.
type Check struct {
	Name string `json:"name"`
	// Level is Error when a failure undoes the apply, Warning when it is
	// only reported.
	Level   Level  `json:"level"`
	Command string `json:"command"`
	// Result is pass, pending (accepted, in effect later: an Upstart job
	// that runs keeps its old class until it next starts), fail (an Error
	// check failed), warn (a Warning check failed) or skipped.
	Result string `json:"result,omitempty"`
	Output string `json:"output,omitempty"`
}

// Check results.
const (
	CheckPass    = "pass"
	CheckPending = "pending"
	CheckFail    = "fail"
	CheckWarn    = "warn"
	CheckSkipped = "skipped"
)

// BaselinePath holds systemd-analyze verify's output before the apply,
// while an apply waits for its verify. Recovery and finishing remove it.
const BaselinePath = protocol.BaselinePath

// Tokens the verify script ends with.
const (
	verifyPassed     = "initcompat-verify-passed"
	verifyRolledBack = "initcompat-verify-rolled-back"
)

// touched is what a plan changed that the init system can be asked about.
type touched struct {
	dropIns   map[string][]Change // unit -> its drop-ins written
	units     []string            // unit files written
	masked    []string
	disabled  []string
	lsb       []string // /etc/init.d scripts written, by name
	overrides []string // Upstart jobs with an override written
	upstart   []string // /etc/init.d links to upstart-job written
}

func touchedBy(p *Plan) touched {
	t := touched{dropIns: map[string][]Change{}}
	for _, c := range p.Changes {
		dir, base := path.Split(c.Path)
		switch {
		case c.Op == OpWrite && strings.HasPrefix(dir, "/etc/systemd/system/") && strings.HasSuffix(dir, ".d/") && strings.HasSuffix(base, ".conf"):
			u := strings.TrimSuffix(path.Base(dir), ".d")
			if systemd.ValidName(u) {
				t.dropIns[u] = append(t.dropIns[u], c)
			}
		case c.Op == OpWrite && dir == "/etc/systemd/system/" && systemd.ValidName(base):
			t.units = append(t.units, base)
		case c.Op == OpSymlink && dir == "/etc/systemd/system/" && path.Clean(c.Target) == "/dev/null":
			t.masked = append(t.masked, base)
		case c.Op == OpRemove && c.Shim == shimDisable && strings.HasSuffix(dir, ".wants/"):
			t.disabled = append(t.disabled, base)
		case c.Op == OpWrite && c.Shim == shimLSB && dir == "/etc/init.d/":
			t.lsb = append(t.lsb, base)
		case c.Op == OpWrite && c.Shim == shimStopOn && dir == "/etc/init/" && strings.HasSuffix(base, ".override"):
			t.overrides = append(t.overrides, strings.TrimSuffix(base, ".override"))
		case c.Op == OpSymlink && c.Shim == shimUpstartLink && dir == "/etc/init.d/":
			t.upstart = append(t.upstart, base)
		}
	}
	return t
}

// systemdUnits lists every unit the plan touched, sorted.
func (t touched) systemdUnits() []string {
	set := map[string]bool{}
	for u := range t.dropIns {
		set[u] = true
	}
	for _, l := range [][]string{t.units, t.masked, t.disabled} {
		for _, u := range l {
			set[u] = true
		}
	}
	for _, n := range t.lsb {
		set[n+".service"] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// verifyChecks lists the checks of an applied plan, in the order the
// verify script runs them.
func verifyChecks(p *Plan) []Check {
	t := touchedBy(p)
	var cs []Check
	add := func(level Level, name, command string) {
		cs = append(cs, Check{Name: name, Level: level, Command: command})
	}
	q := shellword.Quote
	units := t.systemdUnits()
	for _, u := range units {
		want := "loaded"
		if slices.Contains(t.masked, u) {
			want = "masked"
		}
		add(Error, u+" is "+want, fmt.Sprintf(`v=$(systemctl show -p LoadState --value %s); echo "LoadState=$v"; [ "$v" = %s ]`, q(u), want))
	}
	for _, u := range slices.Sorted(maps.Keys(t.dropIns)) {
		for _, c := range t.dropIns[u] {
			add(Error, u+" has the drop-in "+c.Path, fmt.Sprintf(`systemctl show -p DropInPaths --value %s | tr ' ' '\n' | grep -Fx -- %s`, q(u), q(c.Path)))
			for _, kv := range p.dependsOn[c.Path] {
				add(Error, fmt.Sprintf("%s %s=%s is in effect", u, kv[0], kv[1]),
					fmt.Sprintf(`systemctl show -p %s --value %s | tr ' ' '\n' | grep -Fx -- %s`, kv[0], q(u), q(kv[1])))
			}
		}
	}
	for _, u := range t.disabled {
		add(Error, u+" is not enabled", fmt.Sprintf(`v=$(systemctl is-enabled %s 2>&1); echo "is-enabled: $v"; [ "$v" != enabled ]`, q(u)))
	}
	for _, n := range t.lsb {
		// LSB status codes (LSB 3.0, 20.2): 0 running, 1-3 not running.
		add(Error, "/etc/init.d/"+n+" status agrees with systemctl is-active", fmt.Sprintf(
			`a=$(systemctl is-active %[1]s.service); "$R"/etc/init.d/%[1]s status >/dev/null 2>&1; s=$?; echo "systemctl is-active: $a; /etc/init.d/%[1]s status: exit $s"; case $a in active | reloading) [ "$s" -eq 0 ] ;; *) [ "$s" -ge 1 ] && [ "$s" -le 3 ] ;; esac`, n))
		add(Error, "the rc links of "+n+" match systemctl is-enabled", fmt.Sprintf(
			`e=$(systemctl is-enabled %[1]s.service 2>&1); l=$(ls "$R"/etc/rc2.d 2>/dev/null | grep -E '^S[0-9][0-9]%[2]s$'); echo "is-enabled: $e; /etc/rc2.d: ${l:-no S link}"; if command -v chkconfig >/dev/null 2>&1; then c=$(chkconfig --list %[1]s 2>&1); echo "$c"; fi; case $e in enabled) [ -n "$l" ] && { [ -z "${c:-}" ] || echo "$c" | grep -q '3:on'; } ;; *) [ -z "$l" ] && { [ -z "${c:-}" ] || ! echo "$c" | grep -q '3:on'; } ;; esac`, n, regexp.QuoteMeta(n)))
	}
	if len(units) > 0 {
		add(Error, analyzeOurs, newlines("ours"))
		add(Warning, analyzeOthers, newlines("others"))
	}
	for _, j := range t.overrides {
		add(Error, "Upstart takes the override of "+j+" (initctl show-config -e "+j+")",
			"sh "+upstartCheckFile+" "+q(j))
	}
	for _, j := range t.upstart {
		add(Error, "initctl knows the job behind /etc/init.d/"+j, fmt.Sprintf(`initctl status %s`, q(j)))
	}
	return cs
}

// unitPattern matches a unit name as systemd prints it in a message
// ("hello.service: ...", "hello.service/start", ".../hello.service.d/x"),
// not at the end of a longer name ("my-hello.service"). Nothing needs
// checking after it: a unit name ends with its type suffix.
func unitPattern(u string) string {
	// For awk and grep -E alike: "-" first in the brackets is literal, and
	// no backslash (awks differ on it there); a "\" before a name only
	// starts a \xNN escape, never ends a name.
	const other = `[^-A-Za-z0-9:_.@]`
	return `(^|` + other + `)` + regexp.QuoteMeta(u)
}

// The verify script's shell: its runtime (verify.sh), the Upstart
// override question (verify_upstart.sh, run as a file so that its check
// line stays readable) and the awk of systemd-analyze's new lines.
var (
	//go:embed verify.sh
	verifyRuntime string
	//go:embed verify_upstart.sh
	verifyUpstart string
	//go:embed verify_newlines.awk
	newlinesAwk string
)

// upstartCheckFile is where the script puts verify_upstart.sh: in the
// lock directory, which unlock removes whatever the ending.
const upstartCheckFile = `"$L"/upstart-override.sh`

// VerifyScript is the verify command: under the apply's lock it reloads
// the init system, runs the checks (each bounded in time), then finishes
// the held apply (journal "done", tidy) when every Error check passed, or
// rolls it back and reloads again. It prints each check as "@@check LEVEL
// NAME", its output as "| " lines and "@@result RESULT", and ends with
// verifyPassed or verifyRolledBack.
func VerifyScript(p *Plan) string {
	var b strings.Builder
	b.WriteString("# initcompat verify: nothing runs before the last line.\n# shellcheck disable=SC2016 # each check's command is quoted data that check runs\ninitcompat_verify() {\nset -u\n")
	b.WriteString(protocol.ShellLib())
	b.WriteString("INITCOMPAT_NEWLINES=$(cat <<'INITCOMPAT_AWK'\n" + newlinesAwk + "INITCOMPAT_AWK\n)\nexport INITCOMPAT_NEWLINES\n")
	b.WriteString(verifyRuntime)
	b.WriteString("verify_begin\n")
	t := touchedBy(p)
	if len(t.overrides) > 0 {
		b.WriteString("cat >" + upstartCheckFile + " <<'INITCOMPAT_UPSTART'\n" + verifyUpstart + "INITCOMPAT_UPSTART\n")
	}
	b.WriteString("cat >\"$B.units\" <<'INITCOMPAT_UNITS'\n")
	for _, u := range t.systemdUnits() {
		b.WriteString(unitPattern(u) + "\n")
	}
	b.WriteString("INITCOMPAT_UNITS\nverify_reload\n")
	for _, c := range verifyChecks(p) {
		fmt.Fprintf(&b, "check %s %s %s\n", c.Level, shellword.Quote(c.Name), shellword.Quote(c.Command))
	}
	fmt.Fprintf(&b, "verify_end %s %s\n}\ninitcompat_verify\n", verifyRolledBack, verifyPassed)
	return b.String()
}

// ParseVerify reads the verify script's output: the checks with their
// results, and whether the apply was kept (verifyPassed), rolled back, or
// neither (the script did not finish: the journal is still held, and the
// next run rolls it back).
func ParseVerify(out string) (checks []Check, passed, rolledBack bool) {
	var cur *Check
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "@@check "):
			level, name, _ := strings.Cut(strings.TrimPrefix(line, "@@check "), " ")
			checks = append(checks, Check{Name: name, Level: Level(level)})
			cur = &checks[len(checks)-1]
		case cur != nil && strings.HasPrefix(line, "| "):
			cur.Output += strings.TrimPrefix(line, "| ") + "\n"
		case cur != nil && strings.HasPrefix(line, "@@result "):
			cur.Result = strings.TrimPrefix(line, "@@result ")
			cur = nil
		case line == verifyPassed:
			passed = true
		case line == verifyRolledBack:
			rolledBack = true
		}
	}
	return checks, passed, rolledBack
}

// The two checks of systemd-analyze verify's new lines.
const (
	analyzeOurs   = "systemd-analyze verify finds nothing new that involves the units initcompat touched"
	analyzeOthers = "systemd-analyze verify finds nothing else new"
)

// AnalyzeChecks are the verify of a root_dir build: systemd-analyze
// verify's output before and after the apply (from command), judged as
// the verify script judges it.
func AnalyzeChecks(p *Plan, command, before, after string) []Check {
	ours, others := NewAnalyzeLines(p, before, after)
	return []Check{analyzeCheck(Error, analyzeOurs, command, ours), analyzeCheck(Warning, analyzeOthers, command, others)}
}

func analyzeCheck(level Level, name, command string, lines []string) Check {
	c := Check{Name: name, Level: level, Command: command, Result: CheckPass}
	if len(lines) > 0 {
		c.Output = strings.Join(lines, "\n") + "\n"
		c.Result = CheckWarn
		if level == Error {
			c.Result = CheckFail
		}
	}
	return c
}

// NewAnalyzeLines gives the lines of after that are not in before, split
// into initcompat's (naming a unit the plan touched, or in the same unit's
// message as such a line: "UNIT: " prefix) and the others: the offline
// check of root_dir builds, the same rule as the verify script's newlines.
func NewAnalyzeLines(p *Plan, before, after string) (ours, others []string) {
	seen := map[string]bool{}
	for _, l := range strings.Split(before, "\n") {
		seen[l] = true
	}
	var fresh []string
	for _, l := range strings.Split(after, "\n") {
		if l != "" && !seen[l] {
			fresh = append(fresh, l)
		}
	}
	if len(fresh) == 0 {
		// Nothing new, the usual answer: the alternation of 10,000 unit
		// patterns is 50 MB compiled, and not needed.
		return nil, nil
	}
	// The script's patterns, as one alternation: they hold nothing RE2
	// reads otherwise than awk and grep -E.
	var pats []string
	for _, u := range touchedBy(p).systemdUnits() {
		pats = append(pats, unitPattern(u))
	}
	names := regexp.MustCompile(`$^`) // matches no line
	if len(pats) > 0 {
		names = regexp.MustCompile(strings.Join(pats, "|"))
	}
	prefix := func(l string) string { p, _, _ := strings.Cut(l, ": "); return p }
	mine := map[string]bool{}
	for _, l := range fresh {
		if names.MatchString(l) {
			mine[prefix(l)] = true
		}
	}
	for _, l := range fresh {
		if names.MatchString(l) || mine[prefix(l)] {
			ours = append(ours, l)
		} else {
			others = append(others, l)
		}
	}
	return ours, others
}

// newlines is the check command of systemd-analyze verify's new lines that
// are (want "ours") or are not initcompat's: verify_newlines.awk over the
// output before the apply and after it.
func newlines(want string) string {
	return `awk -v want=` + want + ` -v base="$B" -v units="$B.units" "$INITCOMPAT_NEWLINES" "$B.after"`
}
