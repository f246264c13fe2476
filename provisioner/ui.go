package provisioner

import (
	"fmt"
	"log"
	"strings"
	"unicode/utf8"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/verify"
)

// What the build log shows: what the user acts on, in a screen. Packer
// prefixes every line with the build's name, so lines carry no prefix of
// their own; the build's error keeps "initcompat:" because Packer's error
// line does not say which provisioner failed, and is one line, since
// Packer prints it twice. Every change and finding is in report_file, and
// change by change under PACKER_LOG=1.

// The heading of a run (which transport, which mode) goes through
// ui.Say, what follows through detail, as packer-plugin-ansible and
// packer-plugin-amazon do: Packers before hashicorp/packer#13364 print a
// Message without Say's "==>" arrow. That change (April 2025, with
// packer-plugin-sdk#290) deprecated Message and prints it as Say, so on
// the pinned Packer both look alike; the split costs nothing there and
// keeps the details indented under their heading on older ones.
func detail(ui packersdk.Ui, s string) {
	ui.Message(s) //nolint:staticcheck // SA1019: deprecated, still the detail line on Packers before #13364 (above)
}

// loggedPlan is the largest plan written change by change to Packer's
// debug log; a larger one is there by service and shim, and whole in
// report_file.
const loggedPlan = 2000

// shownErrors is the most error findings the build log lists.
const shownErrors = 10

// showPlan says the plan in one UI call, by service and shim
// (plan.Plan.Brief), in every mode: a change's reason is the same
// for each of a service's links, and is in report_file and the debug log.
func (p *Provisioner) showPlan(ui packersdk.Ui, pl *plan.Plan) {
	detail(ui, pl.Brief())
	if len(pl.Changes) <= loggedPlan {
		log.Printf("initcompat: the plan, change by change:\n%s", escapeLines(pl.Text()))
	}
}

// planErrors shows the error findings once, the first shownErrors of
// them, and is the build's error: one line that says nothing was written.
func (p *Provisioner) planErrors(ui packersdk.Ui, errs []plan.Finding) error {
	lines := make([]string, 0, shownErrors+1)
	for i, f := range errs {
		if i == shownErrors {
			lines = append(lines, fmt.Sprintf("  and %d more%s", len(errs)-shownErrors, p.whereAll()))
			break
		}
		lines = append(lines, "  "+plan.FindingLine(f))
	}
	ui.Error(strings.Join(lines, "\n"))
	return fmt.Errorf("initcompat: the image was not changed: %s, listed above", count(len(errs), "error"))
}

// details says where each change is, with its reason.
func (p *Provisioner) details() string {
	if p.config.ReportFile == "" {
		return "set report_file (or PACKER_LOG=1) for each change and its reason"
	}
	return "each change and its reason is in " + p.config.ReportFile
}

// whereAll says where every change and finding is.
func (p *Provisioner) whereAll() string {
	if p.config.ReportFile == "" {
		return " (set report_file for all of them)"
	}
	return " (all in " + p.config.ReportFile + ")"
}

// shownChecks is the most verify checks listed one by one; past it only
// those that did not pass are.
const shownChecks = 8

// sayChecks shows what verify asked: the count, then each check (past
// shownChecks, each that did not pass) with the tool's words when it
// did not pass.
func sayChecks(ui packersdk.Ui, checks []verify.Check) {
	if len(checks) == 0 {
		return
	}
	var b strings.Builder
	passed, pending := 0, 0
	for _, c := range checks {
		switch c.Result {
		case verify.CheckPass:
			passed++
		case verify.CheckPending:
			pending++
		}
	}
	fmt.Fprintf(&b, "verify: %d of %d checks passed", passed, len(checks))
	if pending > 0 {
		// Accepted, not yet in effect: an Upstart job that runs keeps its
		// old class until it next starts.
		fmt.Fprintf(&b, ", %d pending until the job's next start", pending)
	}
	for _, c := range checks {
		log.Printf("initcompat: verify: %s %s", c.Result, escapeText(c.Name))
		if c.Result == verify.CheckPass && len(checks) > shownChecks {
			continue
		}
		fmt.Fprintf(&b, "\n  %-7s %s", c.Result, c.Name)
		if c.Result == verify.CheckPass {
			continue
		}
		for _, l := range strings.Split(strings.TrimRight(c.Output, "\n"), "\n") {
			if l != "" {
				b.WriteString("\n          " + l)
			}
		}
	}
	detail(ui, b.String())
}

// sayCancelled says, when the build was cancelled (timeout, Ctrl-C) during
// the apply, what the run had read and planned, and, where the transport
// knows it, what became of the image: the root_dir apply stops before its
// commit and removes what it staged (protocol: "cancelled before the
// commit"), or runs its renames to their end once the commit has begun.
// Over a communicator the build's error says which of its three ends the
// remote script met (cut on its way, so it ran nothing; ended; or left
// running, to complete or roll itself back).
func sayCancelled(ui packersdk.Ui, cause error, t *tree.Tree, pl *plan.Plan, err error) {
	what := "what became of the image is in the build's error"
	if strings.Contains(err.Error(), "cancelled before the commit") {
		what = "nothing was committed: the apply stopped before its commit and removed whatever it had staged, so the image is as it was"
	}
	detail(ui, fmt.Sprintf("cancelled (%v) after reading %d paths of the image (%s, %s) and planning %s and %s (above); %s",
		cause, t.Len(), pl.Summary.Init, pl.Summary.Distro, count(len(pl.Changes), "change"), count(len(pl.Findings), "finding"), what))
}

// count says "1 change", "2 changes".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Everything the image or a template says (an os-release ID, an Upstart
// job's file name, a CloudFormation resource or service name, a remote
// command's stderr) is hostile text, and the build log is read by
// terminals and CI runners. A terminal acts on ESC sequences and CR; the
// GitHub Actions runner and the Azure Pipelines agent read a process's
// output with .NET's line reader, which ends a line at CR as at LF, and
// act on a line that starts with `::` (actions/runner,
// src/Runner.Common/ActionCommand.cs, TryParseV2: the line trimmed of
// leading white space) or holds `##[` / `##vso[` (the older form, found
// anywhere in the line). So every string that reaches the UI, an error
// or the debug log passes through escapeText, at this one boundary:
// safeUI for the UI, safeError for Provision's error.

// escapeText shows every C0 control (LF and TAB too), DEL, every C1
// control and every byte that is not UTF-8 visibly, as \xNN (\u00NN for a
// C1 control written as UTF-8), and breaks `##[` and `##vso[` as
// `#\x23[`, so that no text it returns can end a line, move a terminal's
// cursor, or hold a CI runner's command.
func escapeText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || (c == '#' && strings.HasPrefix(s[i:], "##")) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r == '#' && (strings.HasPrefix(s[i:], "##[") || strings.HasPrefix(s[i:], "##vso[")):
			b.WriteString(`#\x23`)
			i += 2
			continue
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// escapeLines escapes each line of a message that is ours to break into
// lines (a plan, a list of findings): Packer starts every line of a UI
// message with the build's name (its TargetedUI), so a line break there
// is Packer's, and a CR or an escape sequence inside a line is not.
func escapeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = escapeText(l)
	}
	return strings.Join(lines, "\n")
}

// safeUI is the provisioner's UI: what it says, whatever it holds, is
// escaped (escapeLines) before Packer shows it.
type safeUI struct{ packersdk.Ui }

func (u safeUI) Say(s string)     { u.Ui.Say(escapeLines(s)) }
func (u safeUI) Message(s string) { detail(u.Ui, escapeLines(s)) }
func (u safeUI) Error(s string)   { u.Ui.Error(escapeLines(s)) }

func (u safeUI) Sayf(format string, args ...any) { u.Say(fmt.Sprintf(format, args...)) }

func (u safeUI) Errorf(format string, args ...any) { u.Error(fmt.Sprintf(format, args...)) }

func (u safeUI) Machine(kind string, args ...string) {
	safe := make([]string, len(args))
	for i, a := range args {
		safe[i] = escapeText(a)
	}
	u.Ui.Machine(escapeText(kind), safe...)
}

// safeError is Provision's error, escaped whole (escapeText): Packer prints
// it after "Build 'NAME' errored after ..." and again in its summary, at
// the start of a line of its own, so it must stay one line. The cause is
// kept for errors.Is and errors.As.
type safeError struct{ err error }

func (e safeError) Error() string { return escapeText(e.err.Error()) }
func (e safeError) Unwrap() error { return e.err }

// escapeError wraps err (nil stays nil) in safeError.
func escapeError(err error) error {
	if err == nil {
		return nil
	}
	return safeError{err}
}
