// Package protocol is initcompat's apply protocol, written once: Steps
// turns a plan into an ordered list of steps, and two runners run them
// with the same journal and the same recovery: the shell runner
// (WriteScript, the script the remote transport feeds to `sh -s`) and the
// os.Root runner (Apply, for root_dir). One conformance table
// (conformance_test.go) holds both to the same images. Every step after
// the checks is covered by a journal in the image, so that whatever stops
// an apply (a failed step, a signal, a dropped connection, a killed
// process) the same recovery brings the image back:
//
//	check     every path is still as the snapshot saw it (nothing written yet)
//	journal   "begin": what the apply is about to create and move
//	stage     new files and links under DIR/.initcompat-stage; a directory
//	          the plan makes is made there too, with what it holds (never a
//	          stage directory of its own); paths to replace or remove
//	          moved to DIR/.initcompat-old
//	journal   "commit": everything is staged, the renames begin
//	commit    one rename per file, and per directory the plan makes, into
//	          place, the manifest last
//	journal   "done": the image is complete
//	finish    the stage and aside directories removed, then the directories
//	          the plan removes (only when empty), then the journal
//
// With Options.Hold (verify), the apply records systemd-analyze's view
// before the journal begins and stops after the commit; the verify then
// writes "done" and finishes, or recovers (rolls back).
//
// Recovery reads the journal: "begin" or "commit" roll back (committed
// files removed, set-aside paths moved back, made directories removed
// when nothing else is in them), "done" finishes. The package imports
// nothing of initcompat but the plan as data (package plan).
package protocol

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
)

// Options are how one apply runs, passed with the call.
type Options struct {
	// Hold stops the apply after its commit, journal in the "commit"
	// phase, for a verify to finish it or roll it back.
	Hold bool
	// Analyze is what systemd-analyze verify says of the image before any
	// change, for Hold (the os.Root runner; the shell asks the machine's).
	Analyze func(ctx context.Context) (string, error)
	// Warn is told what an apply that succeeded left in place (a
	// directory it was to remove holding what it did not make).
	Warn func(string)
	// Fault breaks the apply at one step, for tests of both runners.
	Fault *Fault
	// Hook, when set, is called by the os.Root runner before every step
	// that changes the image, which then runs one step at a time; an error
	// acts as a failed step, ErrKilled stops the apply dead. For tests.
	Hook func(i int, s Step) error
}

// StepOp is what one step does.
type StepOp string

// The steps of an apply.
const (
	StepIsDir     StepOp = "isdir"    // Path is a directory, not a link
	StepAbsent    StepOp = "absent"   // nothing at Path
	StepIsFile    StepOp = "isfile"   // Path is a regular file whose content has SHA256
	StepIsLink    StepOp = "islink"   // Path is a symlink to Target
	StepJournal   StepOp = "journal"  // write the journal in State (Content is the whole journal)
	StepMkdir     StepOp = "mkdir"    // make Path with Mode
	StepWrite     StepOp = "write"    // write Content with Mode at Path (a staged name)
	StepSymlink   StepOp = "symlink"  // make Path (a staged name) a link to Target
	StepRename    StepOp = "rename"   // rename Path to Target
	StepFinish    StepOp = "finish"   // recovery of a done journal: tidy and end
	StepCompleted StepOp = "complete" // report the apply complete
	StepBaseline  StepOp = "baseline" // record what systemd-analyze verify says before any change (Hold)
	StepHeld      StepOp = "held"     // stop after the commit, for the verify (Hold)
)

// Step is one step of the apply protocol.
type Step struct {
	Op      StepOp
	Path    string
	Target  string
	Mode    fs.FileMode
	SHA256  string
	State   string
	Content []byte
}

// DirChanges is the changes to one directory, which are staged and
// committed together.
type DirChanges struct {
	Dir   string
	New   []*plan.Change // writes and symlinks
	Aside []*plan.Change // paths that exist now: replaced or removed
}

// removesDir is a change that removes a directory: it is never set aside
// (that would take along what the snapshot never saw in it), but removed
// when the apply is done, and only when nothing else is left in it.
func removesDir(c *plan.Change) bool { return c.Op == plan.OpRemove && c.Prior.Kind == plan.KindDir }

// ByDir groups the changes by directory, sorted, except that the manifest's
// directory comes last so that the manifest is the last file in place.
func ByDir(p *plan.Plan) []DirChanges {
	at := map[string]int{} // a directory's place in out
	var out []DirChanges
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Op == plan.OpMkdir || removesDir(c) {
			continue
		}
		d := path.Dir(c.Path)
		k, ok := at[d]
		if !ok {
			k = len(out)
			at[d] = k
			out = append(out, DirChanges{Dir: d})
		}
		if c.Op != plan.OpRemove {
			out[k].New = append(out[k].New, c)
		}
		if c.Prior.Kind != plan.KindAbsent {
			out[k].Aside = append(out[k].Aside, c)
		}
	}
	last := path.Dir(p.ManifestPath)
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Dir == last) != (out[j].Dir == last) {
			return out[j].Dir == last
		}
		return out[i].Dir < out[j].Dir
	})
	return out
}

// Steps is the plan as the apply protocol: checks, then the journalled
// stage, commit and finish.
func Steps(p *plan.Plan, opts Options) ([]Step, error) {
	for _, c := range p.Changes {
		if strings.ContainsAny(c.Path, "\n\x00") || strings.ContainsAny(c.Target, "\n\x00") {
			return nil, fmt.Errorf("%q: a path with a newline cannot be journalled", c.Path)
		}
	}
	gs := ByDir(p)
	// A check, a stage and a commit a change, a few steps a directory:
	// room made once for 240,000 steps of 112 bytes.
	steps := make([]Step, 0, 3*len(p.Changes)+4*len(gs)+16)
	made := map[string]bool{}
	j := &Journal{State: JournalBegin, Manifest: p.ManifestPath}
	for i := range p.Changes {
		switch c := &p.Changes[i]; {
		case c.Op == plan.OpMkdir:
			made[c.Path] = true
			j.Mkdirs = append(j.Mkdirs, c.Path)
		case removesDir(c):
			j.Rmdirs = append(j.Rmdirs, c.Path)
		}
	}
	// Deepest first: a directory goes after those in it.
	sort.SliceStable(j.Rmdirs, func(a, b int) bool { return depth(j.Rmdirs[a]) > depth(j.Rmdirs[b]) })

	// check: nothing is written before every path is as the snapshot saw it.
	tops := madeTops(p, made)
	steps = checkSteps(steps, p, gs, made, tops, j)
	// The journal recovery will read must pass recovery's checks: a plan
	// writing where recovery would refuse to undo is refused first.
	if err := j.shape(p.Places); err != nil {
		return nil, fmt.Errorf("the plan: %w", err)
	}

	if opts.Hold {
		steps = append(steps, Step{Op: StepBaseline, Path: BaselinePath})
	}
	// stage, under the journal (its content is filled in below).
	begin := len(steps)
	steps = append(steps, Step{Op: StepJournal, State: JournalBegin})
	steps = stageSteps(steps, p, gs, made, j)
	steps[begin].Content = j.Encode()

	steps = append(steps, Step{Op: StepJournal, State: JournalCommit, Content: j.In(JournalCommit).Encode()})
	steps = commitSteps(steps, p, gs, made, tops)
	if opts.Hold {
		// The journal stays in "commit": a failed verify, a dropped
		// connection or the next run's recovery rolls the image back.
		return append(steps, Step{Op: StepHeld}), nil
	}
	steps = append(steps,
		Step{Op: StepJournal, State: JournalDone, Content: j.In(JournalDone).Encode()},
		Step{Op: StepFinish},
		Step{Op: StepCompleted})
	return steps, nil
}

// stageSteps are the steps under the "begin" journal: every stage and
// aside directory, the directories the plan makes (staged), the staged
// files and links, then the paths set aside.
func stageSteps(steps []Step, p *plan.Plan, gs []DirChanges, made map[string]bool, j *Journal) []Step {
	// Every stage and aside directory first, then the staged files: a
	// runner may make the files of different directories at once.
	for _, d := range j.StageDirs {
		steps = append(steps, Step{Op: StepMkdir, Path: d, Mode: 0o700})
	}
	for _, d := range j.AsideDirs {
		steps = append(steps, Step{Op: StepMkdir, Path: d, Mode: 0o700})
	}
	// A parent before what it holds, as the plan lists them.
	for _, c := range p.Changes {
		if c.Op == plan.OpMkdir {
			steps = append(steps, Step{Op: StepMkdir, Path: stagedPath(c.Path, made), Mode: c.Mode})
		}
	}
	for _, g := range gs {
		for _, c := range g.New {
			name := stagedPath(c.Path, made)
			if c.Op == plan.OpSymlink {
				steps = append(steps, Step{Op: StepSymlink, Path: name, Target: c.Target})
			} else {
				steps = append(steps, Step{Op: StepWrite, Path: name, Mode: c.Mode, Content: c.Content, SHA256: c.SHA256})
			}
		}
	}
	// Set aside deepest first: a directory that goes (mode = "remove")
	// goes after what was in it. Recovery moves them back shallowest first.
	aside := append([]string(nil), j.Aside...)
	sort.SliceStable(aside, func(a, b int) bool { return depth(aside[a]) > depth(aside[b]) })
	j.Aside = aside
	for _, a := range aside {
		steps = append(steps, Step{Op: StepRename, Path: a, Target: AsideName(a)})
	}
	return steps
}

// commitSteps are the renames of the commit: each staged file into its
// directory, each directory the plan makes (whose parent it does not
// make: tops) into its parent whole, with what it holds. The manifest is
// in the last of them (its directory sorts last in ByDir, and a directory
// made to hold it goes last).
func commitSteps(steps []Step, p *plan.Plan, gs []DirChanges, made map[string]bool, tops []string) []Step {
	var last []Step
	for _, g := range gs {
		if made[g.Dir] {
			continue
		}
		for _, c := range g.New {
			steps = append(steps, Step{Op: StepRename, Path: StagedName(c.Path), Target: c.Path})
		}
	}
	for _, t := range tops {
		s := Step{Op: StepRename, Path: StagedName(t), Target: t}
		if strings.HasPrefix(p.ManifestPath, t+"/") {
			last = append(last, s)
			continue
		}
		steps = append(steps, s)
	}
	return append(steps, last...)
}

// madeTops are the directories the plan makes whose parent it does not
// make, sorted: each is staged whole and renamed into place in one step.
func madeTops(p *plan.Plan, made map[string]bool) []string {
	var tops []string
	for _, c := range p.Changes {
		if c.Op == plan.OpMkdir && !made[path.Dir(c.Path)] {
			tops = append(tops, c.Path)
		}
	}
	sort.Strings(tops)
	return tops
}

// stagedPath is where the stage makes p (a new file, link or directory):
// StagedName(p), except inside a directory the plan makes, which is made
// whole under the stage directory of the shallowest such directory's
// parent. A directory made in place would need a stage directory of its
// own, made and removed: at 10,000 drop-in directories, a quarter of an
// apply, which tar -x never pays.
func stagedPath(p string, made map[string]bool) string {
	top := p
	for made[path.Dir(top)] {
		top = path.Dir(top)
	}
	return StagedName(top) + p[len(top):]
}

// checkSteps are the steps that read before anything is written: the
// directories and every path as the snapshot saw them. It also fills the
// journal's lists of stage and aside directories and paths.
func checkSteps(steps []Step, p *plan.Plan, gs []DirChanges, made map[string]bool, tops []string, j *Journal) []Step {
	steps = append(steps, Step{Op: StepIsDir, Path: path.Dir(JournalPath)})
	// The directories the stage writes into that the plan does not make:
	// those of new files, and the parents of the directories it makes.
	staging := map[string]bool{}
	for _, g := range gs {
		if !made[g.Dir] && len(g.New) > 0 {
			staging[g.Dir] = true
		}
	}
	for _, t := range tops {
		staging[path.Dir(t)] = true
	}
	for _, g := range gs {
		if !made[g.Dir] {
			steps = append(steps, Step{Op: StepIsDir, Path: g.Dir}, Step{Op: StepAbsent, Path: StageDir(g.Dir)})
			if len(g.Aside) > 0 {
				steps = append(steps, Step{Op: StepAbsent, Path: AsideDir(g.Dir)})
			}
		}
		if staging[g.Dir] {
			j.StageDirs = append(j.StageDirs, StageDir(g.Dir))
			delete(staging, g.Dir)
		}
		if len(g.Aside) > 0 {
			j.AsideDirs = append(j.AsideDirs, AsideDir(g.Dir))
		}
		for _, c := range g.New {
			j.New = append(j.New, c.Path)
			if c.Op == plan.OpSymlink {
				j.Proofs = append(j.Proofs, LinkProof(c.Target))
			} else {
				j.Proofs = append(j.Proofs, FileProof(c.SHA256))
			}
		}
		for _, c := range g.Aside {
			j.Aside = append(j.Aside, c.Path)
		}
	}
	// The parents of made directories that hold no new file of their own.
	for _, t := range tops {
		if d := path.Dir(t); staging[d] {
			steps = append(steps, Step{Op: StepIsDir, Path: d}, Step{Op: StepAbsent, Path: StageDir(d)})
			j.StageDirs = append(j.StageDirs, StageDir(d))
			delete(staging, d)
		}
	}
	for _, c := range p.Changes {
		switch c.Prior.Kind {
		case plan.KindAbsent:
			steps = append(steps, Step{Op: StepAbsent, Path: c.Path})
		case plan.KindFile:
			steps = append(steps, Step{Op: StepIsFile, Path: c.Path, SHA256: c.Prior.SHA256})
		case plan.KindSymlink:
			steps = append(steps, Step{Op: StepIsLink, Path: c.Path, Target: c.Prior.Target})
		case plan.KindDir:
			steps = append(steps, Step{Op: StepIsDir, Path: c.Path})
		}
	}

	return steps
}

func depth(p string) int { return strings.Count(p, "/") }
