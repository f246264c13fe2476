package initcompat

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// The apply protocol, written once: Steps turns a plan into an ordered list
// of steps that both transports run (the shell runner in applyscript.go,
// the os.Root runner in provisioner/local.go). Every step after the checks
// is covered by a journal in the image, so that whatever stops an apply (a
// failed step, a signal, a dropped connection, a killed process) the same
// recovery brings the image back:
//
//	check     every path is still as the snapshot saw it (nothing written yet)
//	journal   "begin": what the apply is about to create and move
//	stage     new directories; new files and links under DIR/.initcompat-stage;
//	          paths to replace or remove moved to DIR/.initcompat-old
//	journal   "commit": every file is staged, the renames begin
//	commit    one rename per file into place, the manifest last
//	journal   "done": the image is complete
//	finish    the stage and aside directories and the journal removed
//
// With Plan.Hold (verify), the apply records systemd-analyze's view before
// the journal begins and stops after the commit; the verify then writes
// "done" and finishes, or recovers (rolls back). See verify.go.
//
// Recovery reads the journal: "begin" or "commit" roll back (committed
// files removed, set-aside paths moved back, made directories removed),
// "done" finishes. The rc scripts, run-parts and systemd skip the hidden
// names used while staging.
const (
	stageDir = ".initcompat-stage"
	asideDir = ".initcompat-old"
	// JournalPath records an apply in progress. /var/lib exists in every
	// image, whatever manifest_path says.
	JournalPath = "/var/lib/.initcompat-journal"
	// LockPath is held (mkdir, a POSIX atomic) by one apply or recovery
	// at a time; it holds the holder's pid, so a dead holder's lock is
	// taken over.
	LockPath = "/var/lib/.initcompat-lock"
)

// Journal states.
const (
	JournalBegin  = "begin"
	JournalCommit = "commit"
	JournalDone   = "done"
)

// StageDir holds the new files for dir until the commit.
func StageDir(dir string) string { return path.Join(dir, stageDir) }

// AsideDir holds what is replaced or removed in dir until the commit.
func AsideDir(dir string) string { return path.Join(dir, asideDir) }

// StagedName is where a change's new content waits before the commit.
func StagedName(p string) string { return path.Join(StageDir(path.Dir(p)), path.Base(p)) }

// AsideName is where the previous occupant of p waits until the commit.
func AsideName(p string) string { return path.Join(AsideDir(path.Dir(p)), path.Base(p)) }

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

// Journal is what recovery needs to undo or finish an apply, with no plan
// at hand: the directories the apply makes, its stage and aside
// directories, the paths it puts new content at and those it sets aside.
type Journal struct {
	State string
	// Manifest is the manifest the apply writes or sets aside.
	Manifest  string
	Mkdirs    []string
	StageDirs []string
	AsideDirs []string
	New       []string
	// Proofs are what the apply puts at each of New (FileProof,
	// LinkProof): recovery removes a committed path only when it holds
	// that still.
	Proofs []string
	Aside  []string
}

// Encode writes the journal as lines "KIND PATH" ("new PROOF PATH"),
// which the shell's recovery reads with grep and sed; paths never hold a
// newline (checked).
func (j *Journal) Encode() []byte {
	var b bytes.Buffer
	b.Grow(64 * (2 + len(j.Mkdirs) + len(j.StageDirs) + len(j.AsideDirs) + 2*len(j.New) + len(j.Aside)))
	b.WriteString(journalHeader + "\nstate " + j.State + "\n")
	if j.Manifest != "" {
		b.WriteString("manifest " + j.Manifest + "\n")
	}
	for _, l := range []struct {
		kind  string
		paths []string
	}{{"mkdir", j.Mkdirs}, {"stagedir", j.StageDirs}, {"asidedir", j.AsideDirs}, {"new", j.New}, {"aside", j.Aside}} {
		for i, p := range l.paths {
			b.WriteString(l.kind)
			b.WriteByte(' ')
			if l.kind == "new" {
				b.WriteString(j.Proofs[i])
				b.WriteByte(' ')
			}
			b.WriteString(p)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// ParseJournal reads a journal an apply left in the image, and refuses
// one whose shape is not what an apply writes (see journal.go).
func ParseJournal(data []byte) (*Journal, error) {
	if len(data) > MaxJournalSize {
		return nil, journalRefused("larger than %d bytes", MaxJournalSize)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if lines[0] != journalHeader {
		return nil, journalRefused("its first line is not %q", journalHeader)
	}
	j := &Journal{}
	states, manifests := 0, 0
	for n, line := range lines[1:] {
		kind, p, _ := strings.Cut(line, " ")
		switch kind {
		case "state":
			states++
			j.State = p
		case "manifest":
			manifests++
			j.Manifest = p
		case "mkdir":
			j.Mkdirs = append(j.Mkdirs, p)
		case "stagedir":
			j.StageDirs = append(j.StageDirs, p)
		case "asidedir":
			j.AsideDirs = append(j.AsideDirs, p)
		case "new":
			proof, p, _ := strings.Cut(p, " ")
			j.New = append(j.New, p)
			j.Proofs = append(j.Proofs, proof)
		case "aside":
			j.Aside = append(j.Aside, p)
		default:
			return nil, journalRefused("line %d, %.80q, is not a journal line", n+2, line)
		}
	}
	switch {
	case states != 1:
		return nil, journalRefused("it has %d state lines, not one", states)
	case manifests > 1:
		return nil, journalRefused("it names %d manifests, not one", manifests)
	case j.State != JournalBegin && j.State != JournalCommit && j.State != JournalDone:
		return nil, journalRefused("unknown state %.40q", j.State)
	}
	if err := j.shape(); err != nil {
		return nil, err
	}
	return j, nil
}

func (j *Journal) in(state string) *Journal {
	c := *j
	c.State = state
	return &c
}

// DirChanges is the changes to one directory, which are staged and
// committed together.
type DirChanges struct {
	Dir   string
	New   []*Change // writes and symlinks
	Aside []*Change // paths that exist now: replaced or removed
}

// ByDir groups the changes by directory, sorted, except that the manifest's
// directory comes last so that the manifest is the last file in place.
func (p *Plan) ByDir() []DirChanges {
	at := map[string]int{} // a directory's place in out
	var out []DirChanges
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Op == OpMkdir {
			continue
		}
		d := path.Dir(c.Path)
		k, ok := at[d]
		if !ok {
			k = len(out)
			at[d] = k
			out = append(out, DirChanges{Dir: d})
		}
		if c.Op != OpRemove {
			out[k].New = append(out[k].New, c)
		}
		if c.Prior.Kind != KindAbsent {
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
func (p *Plan) Steps() ([]Step, error) {
	for _, c := range p.Changes {
		if strings.ContainsAny(c.Path, "\n\x00") || strings.ContainsAny(c.Target, "\n\x00") {
			return nil, fmt.Errorf("%q: a path with a newline cannot be journalled", c.Path)
		}
	}
	gs := p.ByDir()
	// A check, a stage and a commit a change, a few steps a directory:
	// room made once for 240,000 steps of 112 bytes.
	steps := make([]Step, 0, 3*len(p.Changes)+4*len(gs)+16)
	made := map[string]bool{}
	j := &Journal{State: JournalBegin, Manifest: p.ManifestPath}
	for _, c := range p.Changes {
		if c.Op == OpMkdir {
			made[c.Path] = true
			j.Mkdirs = append(j.Mkdirs, c.Path)
		}
	}

	// check: nothing is written before every path is as the snapshot saw it.
	steps = checkSteps(steps, p, gs, made, j)
	// The journal recovery will read must pass recovery's checks: a plan
	// writing where recovery would refuse to undo is refused first.
	if err := j.shape(); err != nil {
		return nil, fmt.Errorf("the plan: %w", err)
	}

	if p.Hold {
		steps = append(steps, Step{Op: StepBaseline, Path: BaselinePath})
	}
	// stage, under the journal (its content is filled in below).
	begin := len(steps)
	steps = append(steps, Step{Op: StepJournal, State: JournalBegin})
	steps, staged := stageSteps(steps, p, gs, j)
	steps[begin].Content = j.Encode()

	// commit, manifest last (its directory sorts last in ByDir).
	steps = append(steps, Step{Op: StepJournal, State: JournalCommit, Content: j.in(JournalCommit).Encode()})
	for _, g := range gs {
		for _, c := range g.New {
			steps = append(steps, Step{Op: StepRename, Path: staged[0], Target: c.Path})
			staged = staged[1:]
		}
	}
	if p.Hold {
		// The journal stays in "commit": a failed verify, a dropped
		// connection or the next run's recovery rolls the image back.
		return append(steps, Step{Op: StepHeld}), nil
	}
	steps = append(steps,
		Step{Op: StepJournal, State: JournalDone, Content: j.in(JournalDone).Encode()},
		Step{Op: StepFinish},
		Step{Op: StepCompleted})
	return steps, nil
}

// stageSteps are the steps under the "begin" journal: the directories the
// plan makes, every stage and aside directory, the staged files and links,
// then the paths set aside. It returns each new path's staged name, in
// the order of gs, for the commit.
func stageSteps(steps []Step, p *Plan, gs []DirChanges, j *Journal) ([]Step, []string) {
	for _, c := range p.Changes {
		if c.Op == OpMkdir {
			steps = append(steps, Step{Op: StepMkdir, Path: c.Path, Mode: c.Mode})
		}
	}
	// Every stage and aside directory first, then the staged files: a
	// runner may make the files of different directories at once.
	for _, g := range gs {
		if len(g.New) > 0 {
			steps = append(steps, Step{Op: StepMkdir, Path: StageDir(g.Dir), Mode: 0o700})
		}
		if len(g.Aside) > 0 {
			steps = append(steps, Step{Op: StepMkdir, Path: AsideDir(g.Dir), Mode: 0o700})
		}
	}
	var staged []string // each new path's staged name, for the stage and the commit
	for _, g := range gs {
		for _, c := range g.New {
			name := StagedName(c.Path)
			staged = append(staged, name)
			if c.Op == OpSymlink {
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
	return steps, staged
}

// checkSteps are the steps that read before anything is written: the
// directories and every path as the snapshot saw them. It also fills the
// journal's lists of stage and aside directories and paths.
func checkSteps(steps []Step, p *Plan, gs []DirChanges, made map[string]bool, j *Journal) []Step {
	steps = append(steps, Step{Op: StepIsDir, Path: path.Dir(JournalPath)})
	for _, g := range gs {
		if !made[g.Dir] {
			steps = append(steps, Step{Op: StepIsDir, Path: g.Dir}, Step{Op: StepAbsent, Path: StageDir(g.Dir)})
			if len(g.Aside) > 0 {
				steps = append(steps, Step{Op: StepAbsent, Path: AsideDir(g.Dir)})
			}
		}
		if len(g.New) > 0 {
			j.StageDirs = append(j.StageDirs, StageDir(g.Dir))
		}
		if len(g.Aside) > 0 {
			j.AsideDirs = append(j.AsideDirs, AsideDir(g.Dir))
		}
		for _, c := range g.New {
			j.New = append(j.New, c.Path)
			if c.Op == OpSymlink {
				j.Proofs = append(j.Proofs, LinkProof(c.Target))
			} else {
				j.Proofs = append(j.Proofs, FileProof(c.SHA256))
			}
		}
		for _, c := range g.Aside {
			j.Aside = append(j.Aside, c.Path)
		}
	}
	for _, c := range p.Changes {
		switch c.Prior.Kind {
		case KindAbsent:
			steps = append(steps, Step{Op: StepAbsent, Path: c.Path})
		case KindFile:
			steps = append(steps, Step{Op: StepIsFile, Path: c.Path, SHA256: c.Prior.SHA256})
		case KindSymlink:
			steps = append(steps, Step{Op: StepIsLink, Path: c.Path, Target: c.Prior.Target})
		case KindDir:
			steps = append(steps, Step{Op: StepIsDir, Path: c.Path})
		}
	}

	return steps
}

func depth(p string) int { return strings.Count(p, "/") }
