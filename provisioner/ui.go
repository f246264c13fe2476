package provisioner

import (
	"fmt"
	"log"
	"strings"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
)

// What the build log shows: what the user acts on, in a screen. Packer
// prefixes every line with the build's name, so lines carry no prefix of
// their own after the first; errors keep "initcompat:" because Packer's
// error line does not say which provisioner failed. Every change and
// finding is in report_file, and change by change under PACKER_LOG=1.

// loggedPlan is the largest plan written change by change to Packer's
// debug log; a larger one is there by service and shim, and whole in
// report_file.
const loggedPlan = 2000

// shownErrors is the most error findings the build's error lists.
const shownErrors = 10

// shownPlan is the largest plan mode = "plan" shows change by change:
// what fits a screen. The user asked to see it; past that, by service.
const shownPlan = 40

// showPlan says the plan in one UI call: by service and shim
// (initcompat.Plan.Brief), or, in mode = "plan" while it fits a screen,
// change by change.
func (p *Provisioner) showPlan(ui packersdk.Ui, plan *initcompat.Plan) {
	if p.config.Mode == ModePlan && len(plan.Changes) <= shownPlan && len(plan.Errors()) == 0 {
		ui.Say(strings.TrimRight(plan.Text(), "\n"))
	} else {
		ui.Say(plan.Brief())
	}
	if len(plan.Changes) <= loggedPlan {
		log.Printf("initcompat: the plan, change by change:\n%s", plan.Text())
	}
}

// planErrors is the build's error for a plan with error findings: each
// once, the first shownErrors of them.
func (p *Provisioner) planErrors(errs []initcompat.Finding) error {
	lines := make([]string, 0, shownErrors+1)
	for i, f := range errs {
		if i == shownErrors {
			lines = append(lines, fmt.Sprintf("  and %d more%s", len(errs)-shownErrors, p.whereAll()))
			break
		}
		lines = append(lines, "  "+initcompat.FindingLine(f))
	}
	return fmt.Errorf("initcompat: the image was not changed:\n%s", strings.Join(lines, "\n"))
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
func sayChecks(ui packersdk.Ui, checks []initcompat.Check) {
	if len(checks) == 0 {
		return
	}
	var b strings.Builder
	passed, pending := 0, 0
	for _, c := range checks {
		switch c.Result {
		case initcompat.CheckPass:
			passed++
		case initcompat.CheckPending:
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
		if c.Result == initcompat.CheckPass && len(checks) > shownChecks {
			continue
		}
		fmt.Fprintf(&b, "\n  %-7s %s", c.Result, c.Name)
		if c.Result == initcompat.CheckPass {
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
