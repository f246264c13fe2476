package provisioner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// errRolledBack says a verify failed and the image is as before the apply.
var errRolledBack = errors.New("the image's init system disagreed with the apply, which was rolled back")

// Verify asks the booted machine's init system, in one command, and
// finishes or rolls back the held apply (initcompat.VerifyScript).
func (r *remote) Verify(ctx context.Context, plan *initcompat.Plan) ([]initcompat.Check, error) {
	script := initcompat.VerifyScript(plan)
	var out bytes.Buffer
	stderr, status, err := r.run(ctx, strings.NewReader(script), &out)
	if err != nil {
		return nil, err
	}
	checks, passed, rolledBack := initcompat.ParseVerify(out.String())
	switch {
	case passed:
		return checks, nil
	case rolledBack:
		return checks, errRolledBack
	}
	err = fmt.Errorf("verify: the command did not finish (exit %d): %s", status, strings.TrimSpace(stderr))
	if what := r.recoverAfter(ctx); what != "" {
		err = fmt.Errorf("%w; then initcompat %s", err, what)
	} else {
		err = fmt.Errorf("%w; the apply is held in its commit phase, and the next run rolls it back", err)
	}
	return checks, err
}

// analyze is systemd-analyze verify of the image at root_dir, offline
// (--root), from the Packer host: what a root_dir build can verify with no
// init system running. "" when the host has no systemd-analyze.
func (l *local) analyze() string {
	if l.analyzer == "" {
		return ""
	}
	cmd := exec.Command(l.analyzer, "verify", "--root="+l.dir, "--man=no", "default.target")
	out, _ := cmd.CombinedOutput() // offline, it reports cycles and still exits 0
	return string(out)
}

// Verify compares systemd-analyze verify of the image after the apply with
// before it: a new line naming a unit the plan touched rolls the apply
// back; other new lines are warnings. Then the apply is finished.
func (l *local) Verify(_ context.Context, plan *initcompat.Plan) ([]initcompat.Check, error) {
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, fmt.Errorf("opening root_dir: %w", err)
	}
	defer func() { _ = root.Close() }()
	unlock, err := lockRoot(root)
	if err != nil {
		return nil, err
	}
	defer unlock()
	before, _ := root.ReadFile(rel(initcompat.BaselinePath))
	command := l.analyzer + " verify --root=" + l.dir + " --man=no default.target"
	checks := initcompat.AnalyzeChecks(plan, command, string(before), l.analyze())
	if slices.ContainsFunc(checks, func(c initcompat.Check) bool { return c.Result == initcompat.CheckFail }) {
		if _, rerr := recoverRoot(root); rerr != nil {
			return checks, fmt.Errorf("%w; undoing it failed too (%w): %s lists what is left, and the next run undoes it first", errRolledBack, rerr, initcompat.JournalPath)
		}
		return checks, errRolledBack
	}
	j, err := readJournal(root)
	if err != nil {
		return checks, fmt.Errorf("verify: %w", err)
	}
	if j == nil {
		return checks, errors.New("verify: no apply is waiting for its verify: another run has recovered it; run the build again")
	}
	j.State = initcompat.JournalDone
	if err := writeJournal(root, j.Encode()); err != nil {
		return checks, fmt.Errorf("verify: writing the journal: %w", err)
	}
	// The image is complete; a tidying that fails is finished by the next
	// run, as after an apply.
	_, _ = recoverRoot(root)
	return checks, nil
}

// verifies decides whether this apply is verified: as configured, or, when
// unset, on a booted machine (systemd's /run/systemd/system in the
// snapshot, or an Upstart image, whose script checks initctl answers) and
// offline in root_dir when this host has systemd-analyze.
func (p *Provisioner) verifies(tr transport, t *tree.Tree, plan *initcompat.Plan) (bool, error) {
	if v := p.config.Verify.ToBoolPointer(); v != nil && !*v {
		return false, nil
	}
	explicit := p.config.Verify.True()
	switch tr := tr.(type) {
	case *local:
		if plan.Summary.Init != string(initcompat.Systemd) {
			return false, nil
		}
		if tr.analyzer == "" && explicit {
			return false, errors.New("initcompat: verify = true with root_dir needs systemd-analyze on this host (Debian: apt-get install systemd), or set verify = false")
		}
		return tr.analyzer != "", nil
	case *remote:
		if explicit {
			return true, nil
		}
		booted, _ := t.Lstat("/run/systemd/system")
		return (booted != nil && booted.Kind == tree.Dir) || plan.Summary.Init == string(initcompat.Upstart), nil
	}
	return false, nil
}

// sayChecks shows what verify asked: failures and warnings with the tool's
// words, passes one line each (counted past 200).
func sayChecks(ui packersdk.Ui, checks []initcompat.Check) {
	if len(checks) == 0 {
		return
	}
	var b strings.Builder
	passed := 0
	for _, c := range checks {
		if c.Result == initcompat.CheckPass {
			passed++
		}
	}
	fmt.Fprintf(&b, "initcompat: verify: %d of %d check(s) passed", passed, len(checks))
	for _, c := range checks {
		if c.Result == initcompat.CheckPass && len(checks) > 200 {
			continue
		}
		fmt.Fprintf(&b, "\ninitcompat: verify: %-7s %s", c.Result, c.Name)
		if c.Result != initcompat.CheckPass {
			for _, l := range strings.Split(strings.TrimRight(c.Output, "\n"), "\n") {
				if l != "" {
					b.WriteString("\ninitcompat: verify:         " + l)
				}
			}
		}
	}
	ui.Say(b.String())
}

// failedChecks says, on the error's one line (Packer shows no more), which
// checks failed and what the tools said.
func failedChecks(checks []initcompat.Check) string {
	var b strings.Builder
	for _, c := range checks {
		if c.Result == initcompat.CheckFail {
			b.WriteString(": " + c.Name + " (" + strings.TrimSpace(strings.ReplaceAll(strings.TrimSpace(c.Output), "\n", "; ")) + ")")
		}
	}
	return b.String()
}
