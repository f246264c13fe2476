// Package verify asks the image's own init system, after the apply and
// before it is final, whether what the plan meant to make is what it now
// sees. The apply stops with its journal in the "commit" phase
// (protocol.Options.Hold), so that a failed check rolls the image back by
// the recovery every interrupted apply gets; a passed verify finishes it.
//
// The checks are read-only questions to the real tools, one shell function
// each (checks.sh): systemctl show (LoadState, DropInPaths, After, Before,
// Wants, ...), systemctl is-active and is-enabled against /etc/init.d/NAME
// status and the rc links, chkconfig --list where the image has it,
// initctl show-config on Upstart, and systemd-analyze verify over
// default.target, whose lines are compared with its output before the
// apply: a new line naming a unit the plan touched is initcompat's doing
// and fails the build; any other line is a warning. Which questions to
// ask, the shims said when they planned each change (plan.Expect); verify
// asks them, each once, and never works out from a path what a change
// meant.
package verify

import (
	_ "embed"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/internal/shellword"
)

// Check is one question verify puts to the init system, and its answer.
type Check struct {
	Name string `json:"name"`
	// Level is Error when a failure undoes the apply, Warning when it is
	// only reported.
	Level   plan.Level `json:"level"`
	Command string     `json:"command"`
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

// Tokens the verify script ends with.
const (
	passedToken     = "initcompat-verify-passed"
	rolledBackToken = "initcompat-verify-rolled-back"
)

// question is one check to ask: the function of checks.sh and its
// arguments, the unit it concerns ("" for Upstart's) and its level.
type question struct {
	level plan.Level
	name  string
	check plan.Check
	unit  string
	args  []string
}

// checkAnalyze is verify's own question: systemd-analyze verify's new lines.
const checkAnalyze plan.Check = "analyze"

// askOrder is the order the questions are asked in, by check: the units
// load before anything is asked of them; the analyzer's lines come after
// systemd's own answers.
var askOrder = []plan.Check{plan.CheckLoaded, plan.CheckDropIn, plan.CheckDepends, plan.CheckNotEnabled,
	plan.CheckLSBStatus, plan.CheckRCLinks, plan.CheckPreset, checkAnalyze, plan.CheckUpstartOverride, plan.CheckUpstartKnown,
	plan.CheckStartReturns}

// words says a question in words, for the build log and report_file.
func words(c plan.Check, a []string) string {
	arg := func(i int) string {
		if i < len(a) {
			return a[i]
		}
		return ""
	}
	switch c {
	case plan.CheckLoaded:
		return arg(0) + " is " + arg(1)
	case plan.CheckDropIn:
		return arg(0) + " has the drop-in " + arg(1)
	case plan.CheckDepends:
		return arg(0) + " " + arg(1) + "=" + arg(2) + " is in effect"
	case plan.CheckNotEnabled:
		return arg(0) + " is not enabled"
	case plan.CheckLSBStatus:
		return "/etc/init.d/" + arg(0) + " status agrees with systemctl is-active"
	case plan.CheckRCLinks:
		return "the rc links of " + arg(0) + " match systemctl is-enabled"
	case plan.CheckUpstartOverride:
		return "Upstart takes the override of " + arg(0) + " (initctl show-config -e " + arg(0) + ")"
	case plan.CheckUpstartKnown:
		return "initctl knows the job behind /etc/init.d/" + arg(0)
	case plan.CheckStartReturns:
		return "systemctl start " + arg(0) + " returns (reading could not tell whether /etc/init.d/" + arg(0) + " waits for its daemon)"
	case plan.CheckPreset:
		return "the preset policy (systemctl list-unit-files) says what the " + strconv.Itoa(len(a)) + " pins of " + presetName + " say"
	case checkAnalyze:
		if arg(0) == "ours" {
			return analyzeOurs
		}
		return analyzeOthers
	}
	return string(c) + " " + strings.Join(a, " ")
}

// questions lists what the plan's changes expect, each once, in askOrder
// and then in the plan's order: the checks of an applied plan, in the
// order the verify script runs them.
func questions(p *plan.Plan) []question {
	byCheck := map[plan.Check][]question{}
	seen := map[string]bool{}
	units := false
	for i := range p.Changes {
		for _, e := range p.Changes[i].Expect {
			key := string(e.Check) + "\x00" + strings.Join(e.Args, "\x00")
			if seen[key] {
				continue
			}
			seen[key] = true
			units = units || e.Unit != ""
			byCheck[e.Check] = append(byCheck[e.Check], question{level: plan.Error, name: words(e.Check, e.Args), check: e.Check, unit: e.Unit, args: e.Args})
		}
	}
	for _, e := range p.Probes {
		byCheck[e.Check] = append(byCheck[e.Check], question{level: plan.Warning, name: words(e.Check, e.Args), check: e.Check, args: e.Args})
	}
	if units {
		byCheck[checkAnalyze] = []question{
			{level: plan.Error, name: analyzeOurs, check: checkAnalyze, args: []string{"ours"}},
			{level: plan.Warning, name: analyzeOthers, check: checkAnalyze, args: []string{"others"}},
		}
	}
	var out []question
	for _, c := range askOrder {
		out = append(out, byCheck[c]...)
	}
	return out
}

// units lists the systemd units the plan's changes concern, sorted: what
// systemd-analyze's new lines are held to.
func units(p *plan.Plan) []string {
	set := map[string]bool{}
	for i := range p.Changes {
		for _, e := range p.Changes[i].Expect {
			if e.Unit != "" {
				set[e.Unit] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// command is a question as the verify script runs it: the function and its
// arguments, each a quoted shell word.
func (q question) command() string {
	words := []string{"check_" + string(q.check)}
	for _, a := range q.args {
		words = append(words, shellword.Quote(a))
	}
	return strings.Join(words, " ")
}

// Checks lists the checks of an applied plan, in the order the verify
// script runs them, with no result yet.
func Checks(p *plan.Plan) []Check {
	var out []Check
	for _, q := range questions(p) {
		out = append(out, Check{Name: q.name, Level: q.level, Command: q.command()})
	}
	return out
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

// The verify script's shell: its runtime (verify.sh), the questions
// (checks.sh, one function each), the Upstart override question
// (upstart_override.sh, run as a file of its own) and the awk of
// systemd-analyze's new lines (newlines.awk).
var (
	//go:embed verify.sh
	runtime string
	//go:embed checks.sh
	checksSh string
	//go:embed upstart_override.sh
	upstartOverride string
	//go:embed newlines.awk
	newlinesAwk string
)

// Script is the verify command: under the apply's lock it reloads the init
// system, runs the checks (each bounded in time), then finishes the held
// apply (journal "done", tidy) when every Error check passed, or rolls it
// back and reloads again. It prints each check as "@@check LEVEL NAME", its
// output as "| " lines and "@@result RESULT", and ends with passedToken or
// rolledBackToken. The code is the files above; the plan's part is data:
// the unit patterns in a here-document, and one check line a question,
// every word quoted.
func Script(p *plan.Plan) string {
	var b strings.Builder
	b.WriteString("# initcompat verify: nothing runs before the last line.\ninitcompat_verify() {\nset -u\n")
	b.WriteString(protocol.ShellLib(p.Places))
	b.WriteString("INITCOMPAT_NEWLINES=$(cat <<'INITCOMPAT_AWK'\n" + newlinesAwk + "INITCOMPAT_AWK\n)\nexport INITCOMPAT_NEWLINES\n")
	b.WriteString(runtime)
	b.WriteString("verify_begin\n")
	b.WriteString("cat >\"$L\"/checks.sh <<'INITCOMPAT_CHECKS'\n" + checksSh + "INITCOMPAT_CHECKS\n")
	qs := questions(p)
	if slices.ContainsFunc(qs, func(q question) bool { return q.check == plan.CheckUpstartOverride }) {
		b.WriteString("cat >\"$L\"/upstart-override.sh <<'INITCOMPAT_UPSTART'\n" + upstartOverride + "INITCOMPAT_UPSTART\n")
	}
	b.WriteString("cat >\"$B.units\" <<'INITCOMPAT_UNITS'\n")
	for _, u := range units(p) {
		b.WriteString(unitPattern(u) + "\n")
	}
	b.WriteString("INITCOMPAT_UNITS\nverify_reload\n")
	for _, q := range qs {
		line := []string{"check", string(q.level), shellword.Quote(q.name), q.command()}
		b.WriteString(strings.Join(line, " ") + "\n")
	}
	b.WriteString(strings.Join([]string{"verify_end", rolledBackToken, passedToken}, " ") + "\n}\ninitcompat_verify\n")
	return b.String()
}

// Parse reads the verify script's output: the checks with their
// results, and whether the apply was kept (passedToken), rolled back, or
// neither (the script did not finish: the journal is still held, and the
// next run rolls it back).
func Parse(out string) (checks []Check, passed, rolledBack bool) {
	var cur *Check
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "@@check "):
			level, name, _ := strings.Cut(strings.TrimPrefix(line, "@@check "), " ")
			checks = append(checks, Check{Name: name, Level: plan.Level(level)})
			cur = &checks[len(checks)-1]
		case cur != nil && strings.HasPrefix(line, "| "):
			cur.Output += strings.TrimPrefix(line, "| ") + "\n"
		case cur != nil && strings.HasPrefix(line, "@@result "):
			cur.Result = strings.TrimPrefix(line, "@@result ")
			cur = nil
		case line == passedToken:
			passed = true
		case line == rolledBackToken:
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
func AnalyzeChecks(p *plan.Plan, command, before, after string) []Check {
	ours, others := NewAnalyzeLines(p, before, after)
	return []Check{analyzeCheck(plan.Error, analyzeOurs, command, ours), analyzeCheck(plan.Warning, analyzeOthers, command, others)}
}

func analyzeCheck(level plan.Level, name, command string, lines []string) Check {
	c := Check{Name: name, Level: level, Command: command, Result: CheckPass}
	if len(lines) > 0 {
		c.Output = strings.Join(lines, "\n") + "\n"
		c.Result = CheckWarn
		if level == plan.Error {
			c.Result = CheckFail
		}
	}
	return c
}

// NewAnalyzeLines gives the lines of after that are not in before, split
// into initcompat's (naming a unit the plan touched, or in the same unit's
// message as such a line: "UNIT: " prefix) and the others: the offline
// check of root_dir builds, the same rule as the verify script's newlines.
func NewAnalyzeLines(p *plan.Plan, before, after string) (ours, others []string) {
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
	for _, u := range units(p) {
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

// presetName is the planner's preset file, as the build log names it.
const presetName = "0-initcompat.preset"
