package provisioner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/planner"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/verify"
)

// errRolledBack says a verify failed and the image is as before the apply.
var errRolledBack = errors.New("the image's init system disagreed with the apply, which was rolled back")

// Verify asks the booted machine's init system, in one command, and
// finishes or rolls back the held apply (verify.Script).
func (r *remote) Verify(ctx context.Context, pl *plan.Plan, warn func(string)) ([]verify.Check, error) {
	script := verify.Script(pl)
	// The checks' output is reported: 8 MiB of it at most, and the end,
	// which says whether the apply was kept.
	out := &capBuffer{head: 8 << 20, tail: outputCap}
	stderr, status, err := r.run(ctx, strings.NewReader(script), out)
	if err != nil {
		return nil, err
	}
	warnings(stderr, warn)
	checks, passed, rolledBack := verify.Parse(out.String())
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
// init system running. "" when the host has no systemd-analyze. It is
// bounded (runLocal): a hanging one fails the verify instead of holding
// the build, and is killed with everything it started.
func (l *local) analyze(ctx context.Context) (string, error) {
	if l.analyzer == "" {
		return "", nil
	}
	// Offline, it reports cycles and still exits 0: the output is the verdict.
	out, err := runLocal(ctx, analyzeTimeout, l.analyzer, "verify", "--root="+l.dir, "--man=no", "default.target")
	if err != nil {
		return "", fmt.Errorf("systemd-analyze verify: %w", err)
	}
	return out, nil
}

// Verify compares systemd-analyze verify of the image after the apply with
// before it: a new line naming a unit the plan touched rolls the apply
// back; other new lines are warnings. Then the apply is finished.
func (l *local) Verify(ctx context.Context, pl *plan.Plan, warn func(string)) ([]verify.Check, error) {
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, fmt.Errorf("opening root_dir: %w", err)
	}
	defer func() { _ = root.Close() }()
	unlock, err := protocol.Lock(root)
	if err != nil {
		return nil, err
	}
	defer unlock()
	before, _ := root.ReadFile(rel(protocol.BaselinePath))
	command := l.analyzer + " verify --root=" + l.dir + " --man=no default.target"
	after, err := l.analyze(ctx)
	if err != nil {
		if _, rerr := recoverRoot(root, warn); rerr != nil {
			return nil, fmt.Errorf("verify: %w; undoing the apply failed too (%w): %s lists what is left, and the next run undoes it first", err, rerr, protocol.JournalPath)
		}
		return nil, fmt.Errorf("verify: %w; the apply was rolled back", err)
	}
	checks := verify.AnalyzeChecks(pl, command, string(before), after)
	if slices.ContainsFunc(checks, func(c verify.Check) bool { return c.Result == verify.CheckFail }) {
		if _, rerr := recoverRoot(root, warn); rerr != nil {
			return checks, fmt.Errorf("%w; undoing it failed too (%w): %s lists what is left, and the next run undoes it first", errRolledBack, rerr, protocol.JournalPath)
		}
		return checks, errRolledBack
	}
	j, err := protocol.OpenJournal(root, planner.Places())
	if err != nil {
		return checks, fmt.Errorf("verify: %w", err)
	}
	if j == nil {
		return checks, errors.New("verify: no apply is waiting for its verify: another run has recovered it; run the build again")
	}
	j.State = protocol.JournalDone
	if err := protocol.WriteJournal(root, j.Encode()); err != nil {
		return checks, fmt.Errorf("verify: writing the journal: %w", err)
	}
	// The image is complete; a tidying that fails is finished by the next
	// run, as after an apply.
	_, _ = recoverRoot(root, warn)
	return checks, nil
}

// verifies decides whether this apply is verified: as configured, or, when
// unset, as the transport can (canVerify). When it is not, why says so for
// the build log ("" when verify = false asked for that).
func (p *Provisioner) verifies(tr transport, t *tree.Tree, pl *plan.Plan) (ok bool, why string, err error) {
	if v := p.config.Verify.ToBoolPointer(); v != nil && !*v {
		return false, "", nil
	}
	return tr.canVerify(t, pl, p.config.Verify.True())
}

// canVerify: a root_dir image is checked offline by this host's
// systemd-analyze, which knows only systemd; verify = true without one is
// an error, since what was asked cannot be done.
func (l *local) canVerify(_ *tree.Tree, pl *plan.Plan, asked bool) (bool, string, error) {
	switch {
	case pl.Summary.Init != string(inspect.Systemd):
		return false, "root_dir holds a " + pl.Summary.Init + " image, and only systemd's can be checked offline", nil
	case l.analyzer == "" && asked:
		return false, "", errors.New("initcompat: verify = true with root_dir needs systemd-analyze on this host (Debian: apt-get install systemd), or set verify = false")
	case l.analyzer == "":
		return false, "this host has no systemd-analyze to check root_dir offline", nil
	}
	return true, "", nil
}

// canVerify: over the communicator the image's own init system answers,
// when it runs: systemd's /run/systemd/system in the snapshot, or an
// Upstart image, whose script checks initctl answers. Asked, it is tried
// whatever the snapshot says.
func (r *remote) canVerify(t *tree.Tree, pl *plan.Plan, asked bool) (bool, string, error) {
	if asked || pl.Summary.Init == string(inspect.Upstart) {
		return true, "", nil
	}
	if booted, _ := t.Lstat("/run/systemd/system"); booted != nil && booted.Kind == tree.Dir {
		return true, "", nil
	}
	return false, "no init system runs in this image (no /run/systemd/system): a chroot or a container runs nothing as PID 1 to ask; the files were written, nothing was started", nil
}

// failedChecks names, on the error's one line, the checks that failed;
// sayChecks has shown each with what the tools said, once.
func failedChecks(checks []verify.Check) string {
	var failed []string
	for _, c := range checks {
		if c.Result == verify.CheckFail {
			failed = append(failed, c.Name)
		}
	}
	if len(failed) == 0 {
		return ""
	}
	return ": failed: " + strings.Join(failed, "; ") + " (what the tools said is above)"
}
