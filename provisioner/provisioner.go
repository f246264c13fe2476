// Package provisioner is the Packer face of initcompat: the configuration,
// and the two transports that read and write the image (over the build's
// communicator, or on a local root_dir).
package provisioner

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"runtime/debug"
	"time"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/verify"
)

// Provisioner implements packersdk.Provisioner.
type Provisioner struct {
	config Config
}

var _ packersdk.Provisioner = new(Provisioner)

// gcPercent is the plugin's GOGC.
const gcPercent = 50

// transport reads and writes the image.
type transport interface {
	// Snapshot reads the watched paths; with recover it first rolls back
	// (or finishes) an apply that was interrupted, and says what it did.
	Snapshot(ctx context.Context, ws []tree.Watch, recover bool) (*tree.Tree, string, error)
	Apply(ctx context.Context, pl *plan.Plan, opts protocol.Options) error
	// Verify checks a held apply with the image's init system, then
	// finishes it or rolls it back (errRolledBack); what finishing it left
	// in place goes to warn, as the apply's warnings do.
	Verify(ctx context.Context, pl *plan.Plan, warn func(string)) ([]verify.Check, error)
	// Programs reads, in one command, the programs init scripts run that
	// the snapshot did not hold (tree.RefScript's files).
	Programs(ctx context.Context, paths []string) ([]*tree.Ref, error)
	// canVerify says whether Verify can check this plan on this image,
	// and when not, why (for the build log); asked is verify = true, for
	// which a verify the transport cannot do here may be an error.
	canVerify(t *tree.Tree, pl *plan.Plan, asked bool) (bool, string, error)
}

// Provision reads the image once, plans, and (in apply mode) writes once.
func (p *Provisioner) Provision(ctx context.Context, ui packersdk.Ui, comm packersdk.Communicator, generated map[string]interface{}) (err error) {
	// The one boundary where image- and template-derived text leaves the
	// plugin: every UI line and the build's error are escaped (ui.go).
	ui = safeUI{ui}
	defer func() { err = escapeError(err) }()
	// The plugin process is ours alone. Collecting at half the usual heap
	// growth keeps a 10,000-service build under 256 MiB and scales with
	// the image (a fixed soft limit made the collector thrash at 30,000
	// services). GOGC overrides it.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	tr, err := p.transport(ui, comm, generated)
	if err != nil {
		return err
	}
	t, pl, err := p.readAndPlan(ctx, ui, tr)
	if err != nil {
		return err
	}
	p.showPlan(ui, pl)
	rep := &report{mode: p.config.Mode, plan: pl}
	fail := func(err error) error {
		if rerr := p.writeReport(rep, false); rerr != nil {
			ui.Error(rerr.Error())
		}
		return err
	}
	if errs := pl.Errors(); len(errs) > 0 {
		return fail(p.planErrors(ui, errs))
	}
	switch {
	case p.config.Mode == modePlan:
		detail(ui, "mode = \"plan\": nothing written; "+p.details())
		return p.writeReport(rep, false)
	case p.config.Mode == modeCheck && !pl.Empty():
		return fail(fmt.Errorf("initcompat: mode = \"check\": the image lacks %d change(s)%s; build it with mode = \"apply\"", len(pl.Changes), driftNote(pl)))
	case p.config.Mode == modeCheck && driftNote(pl) != "":
		return fail(fmt.Errorf("initcompat: mode = \"check\": nothing is missing, but%s (the drift findings above say which)", driftNote(pl)))
	case pl.Empty():
		detail(ui, "nothing to change")
		return p.writeReport(rep, false)
	}
	if err := p.write(ctx, ui, tr, t, pl, rep); err != nil {
		return fail(err)
	}
	return p.writeReport(rep, true)
}

// readAndPlan snapshots the image (recovering an interrupted apply first
// when this run writes) and plans for the mode.
func (p *Provisioner) readAndPlan(ctx context.Context, ui packersdk.Ui, tr transport) (*tree.Tree, *plan.Plan, error) {
	pol, err := p.Policy(ctx)
	if err != nil {
		return nil, nil, err
	}
	ws := initcompat.Watches(pol)
	log.Printf("initcompat: reading the image: units, init scripts, rc links, Upstart jobs and the manifest (%d watched paths)", len(ws))
	writes := p.config.Mode == modeApply || p.config.Mode == modeRemove
	start := time.Now()
	t, recovered, err := tr.Snapshot(ctx, ws, writes)
	if recovered != "" {
		detail(ui, "recovered the image first: "+recovered)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("initcompat: reading the image: %w", err)
	}
	if unread := initcompat.UnreadPrograms(t, pol); len(unread) > 0 && p.config.Mode != modeRemove {
		// What an init script starts decides how systemd must run it: the
		// programs it names outside the watched paths, one more command
		// for all of them.
		refs, err := tr.Programs(ctx, unread)
		if err != nil {
			return nil, nil, fmt.Errorf("initcompat: reading the programs init scripts run: %w", err)
		}
		t.AddRefs(refs)
		log.Printf("initcompat: read %d of the %d programs init scripts run that the snapshot did not hold", len(refs), len(unread))
	}
	read := time.Now()
	build := initcompat.BuildPlan
	if p.config.Mode == modeRemove {
		build = initcompat.BuildRemovePlan
	}
	pl := build(t, pol)
	// Packer's debug log (PACKER_LOG=1) says where a slow build's time went.
	log.Printf("initcompat: read %d paths in %v, planned %d changes in %v", t.Len(), read.Sub(start).Round(time.Millisecond), len(pl.Changes), time.Since(read).Round(time.Millisecond))
	return t, pl, nil
}

// write applies the plan and, when verified, has the image's init system
// check it (finished or rolled back by the verify), its checks in rep.
func (p *Provisioner) write(ctx context.Context, ui packersdk.Ui, tr transport, t *tree.Tree, pl *plan.Plan, rep *report) error {
	hold := false
	if p.config.Mode == modeApply {
		var why string
		var err error
		if hold, why, err = p.verifies(tr, t, pl); err != nil {
			return err
		}
		if why != "" && len(pl.Changes) > 0 {
			detail(ui, "verify: skipped: "+why)
		}
	}
	warn := func(w string) { detail(ui, "warning: "+w) }
	if err := tr.Apply(ctx, pl, protocol.Options{Hold: hold, Warn: warn}); err != nil {
		if ctx.Err() != nil {
			sayCancelled(ui, ctx.Err(), t, pl, err)
		}
		return fmt.Errorf("initcompat: writing the image: %w", err)
	}
	if hold {
		checks, err := tr.Verify(ctx, pl, warn)
		rep.verify = checks
		sayChecks(ui, checks)
		if err != nil {
			return fmt.Errorf("initcompat: verify: %w%s", err, failedChecks(checks))
		}
	}
	if p.config.Mode == modeRemove {
		detail(ui, fmt.Sprintf("removed what initcompat had written (%s); the manifest is gone", count(len(pl.Changes), "change")))
	} else {
		detail(ui, fmt.Sprintf("applied %s; manifest at %s", count(len(pl.Changes), "change"), p.config.ManifestPath))
	}
	return nil
}

// driftNote says how many paths drifted from the manifest, "" for none.
func driftNote(pl *plan.Plan) string {
	n := 0
	for _, f := range pl.Findings {
		if f.Shim == plan.ShimDrift {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" and %d path(s) have drifted from what initcompat wrote", n)
}

func (p *Provisioner) transport(ui packersdk.Ui, comm packersdk.Communicator, generated map[string]interface{}) (transport, error) {
	if p.config.RootDir != "" {
		fi, err := os.Stat(p.config.RootDir)
		if err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("initcompat: root_dir %q is not a directory on this machine", p.config.RootDir)
		}
		// Checked again here: a chroot's mount point exists only once the
		// build has mounted it.
		if err := notHostRoot(p.config.RootDir); err != nil {
			return nil, fmt.Errorf("initcompat: %w", err)
		}
		ui.Say(fmt.Sprintf("Provisioning with initcompat (mode %s): the image at root_dir %s", p.config.Mode, p.config.RootDir))
		// The host's systemd-analyze verifies a root_dir build offline.
		analyzer, _ := exec.LookPath("systemd-analyze")
		return &local{dir: p.config.RootDir, uncapped: []string{p.config.ManifestPath}, analyzer: analyzer}, nil
	}
	if connType, _ := generated["ConnType"].(string); connType == "none" || comm == nil {
		return nil, errors.New(`initcompat: the communicator is "none", which runs nothing: set root_dir to the image's root directory on this machine`)
	}
	cmd, err := p.remoteCommand(generated)
	if err != nil {
		return nil, err
	}
	ui.Say(fmt.Sprintf("Provisioning with initcompat (mode %s) over the communicator", p.config.Mode))
	return &remote{comm: comm, command: cmd, uncapped: []string{p.config.ManifestPath}}, nil
}
