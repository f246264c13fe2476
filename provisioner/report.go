package provisioner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/verify"
)

// report is what a run found and did: the plan (the pure result of the
// snapshot and the configuration) and what happened to it after, which
// the plan does not carry.
type report struct {
	mode string
	plan *plan.Plan
	// verify holds the checks the image's init system answered; nil when
	// the apply was not verified.
	verify []verify.Check
}

// reportFile is report_file's JSON, docs/report.schema.json. The checks
// are under plan.verify, where readers of the reports of earlier versions
// (when the plan carried them) look for them.
type reportFile struct {
	Mode    string     `json:"mode"`
	Applied bool       `json:"applied"`
	Plan    reportPlan `json:"plan"`
}

// reportPlan is the plan's JSON (plan.Plan's fields, promoted) and
// the verify's checks after them.
type reportPlan struct {
	*plan.Plan
	Verify []verify.Check `json:"verify,omitempty"`
}

// JSON renders the report; applied says whether the image was written.
func (r *report) JSON(applied bool) ([]byte, error) {
	pl := *r.plan
	// Arrays, never null: the schema says so, and jq '.changes[]' needs it.
	if pl.Changes == nil {
		pl.Changes = []plan.Change{}
	}
	if pl.Findings == nil {
		pl.Findings = []plan.Finding{}
	}
	b, err := json.MarshalIndent(reportFile{Mode: r.mode, Applied: applied, Plan: reportPlan{Plan: &pl, Verify: r.verify}}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("initcompat: report: %w", err)
	}
	return append(b, '\n'), nil
}

// writeReport writes the report to report_file, when there is one.
func (p *Provisioner) writeReport(r *report, applied bool) error {
	if p.config.ReportFile == "" {
		return nil
	}
	b, err := r.JSON(applied)
	if err != nil {
		return err
	}
	if dir := filepath.Dir(p.config.ReportFile); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("initcompat: report_file: %w", err)
		}
	}
	if err := os.WriteFile(p.config.ReportFile, b, 0o644); err != nil {
		return fmt.Errorf("initcompat: report_file: %w", err)
	}
	return nil
}
