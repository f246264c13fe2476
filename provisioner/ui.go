package provisioner

import (
	"fmt"
	"log"
	"strings"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/verify"
)

// What the build log shows: what the user acts on, in a screen. Packer
// prefixes every line with the build's name, so lines carry no prefix of
// their own; the build's error keeps "initcompat:" because Packer's error
// line does not say which provisioner failed, and is one line, since
// Packer prints it twice. Every change and finding is in report_file, and
// change by change under PACKER_LOG=1.

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
	ui.Say(pl.Brief())
	if len(pl.Changes) <= loggedPlan {
		log.Printf("initcompat: the plan, change by change:\n%s", pl.Text())
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
		log.Printf("initcompat: verify: %s %s", c.Result, c.Name)
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
	ui.Say(b.String())
}

// count says "1 change", "2 changes".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
