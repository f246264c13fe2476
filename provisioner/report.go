package provisioner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
)

// Report is what report_file receives: the run's mode, whether the image
// was written, and the plan (initcompat.Plan as JSON).
type Report struct {
	Mode    string          `json:"mode"`
	Applied bool            `json:"applied"`
	Plan    json.RawMessage `json:"plan"`
}

func (p *Provisioner) writeReport(plan *initcompat.Plan, applied bool) error {
	if p.config.ReportFile == "" {
		return nil
	}
	raw, err := plan.JSON()
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(Report{Mode: p.config.Mode, Applied: applied, Plan: raw}, "", "  ")
	if err != nil {
		return fmt.Errorf("initcompat: report: %w", err)
	}
	if dir := filepath.Dir(p.config.ReportFile); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("initcompat: report_file: %w", err)
		}
	}
	if err := os.WriteFile(p.config.ReportFile, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("initcompat: report_file: %w", err)
	}
	return nil
}
