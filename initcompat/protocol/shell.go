package protocol

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"

	"github.com/initcompat/packer-plugin-initcompat/internal/shellword"
)

// The shell runner of the apply protocol: the remote transport feeds this
// program to `sh -s`. Its code is apply.sh; the plan follows as data that
// the shell only stores in a temporary directory, and the last line runs
// it, so a script cut short (a dropped connection) changes nothing in the
// image. The plugin takes the apply as done only when the script prints
// CompletedToken.
//
// It needs sh, coreutils and tar. INITCOMPAT_ROOT, when set, is prepended
// to every path (tests run the real script against a directory).

// CompletedToken is the last line of a complete apply's output.
const CompletedToken = "initcompat-apply-complete"

// HeldToken is the last line of an apply that stopped for its verify.
const HeldToken = "initcompat-apply-held"

// RecoveredPrefix starts the line a recovery prints on stderr: what it did.
const RecoveredPrefix = "initcompat-recovered "

// WarningPrefix starts a line an apply that succeeded prints on stderr
// about what it left in place (Options.Warn).
const WarningPrefix = "initcompat: warning: "

// The shell lives in scripts/*.sh, embedded: lib.sh (the lock and the
// recovery, shared with the verify script), recover.sh (the recovery run
// before a snapshot) and apply.sh (the apply's code, to which the data of
// one plan is appended; see there for how a cut stream runs nothing).
// journal.sh's journal_check comes first: recovery refuses a journal it
// does not pass.
var shellLib = journalSh + libSh

var (
	//go:embed scripts/lib.sh
	libSh string
	//go:embed scripts/recover.sh
	recoverSh string
	//go:embed scripts/apply.sh
	applySh string
)

// ShellLib is the shell's lock and recovery (journal_check first), which
// the verify script shares, after the places a journal may name, as data
// (jc_places: one place a line, the rule of plan.Places.Contain).
func ShellLib(places plan.Places) string {
	return "jc_places=" + shellword.Quote(places.Lines()) + "\n" + shellLib
}

// RecoveryScript is run before the snapshot of an apply: it recovers what
// an interrupted apply left, under the lock, and changes nothing else.
func RecoveryScript(places plan.Places) string { return "set -u\n" + ShellLib(places) + recoverSh }

// dataEnd closes every here-document; no data line can be it (steps are
// quoted words, journal lines start with their kind, base64 has no "_").
const dataEnd = "INITCOMPAT_DATA"

// endToken ends the call on the last line: a line cut short lacks it.
const endToken = "initcompat-end"

// WriteScript writes the apply script to w: apply.sh, then the data
// (payload, journal, steps), then the call. Its size is that of the code
// plus the data: the payload, a line or two a step.
func WriteScript(w io.Writer, p *plan.Plan, opts Options) error {
	steps, err := Steps(p, opts)
	if err != nil {
		return err
	}
	if opts.Fault != nil && !boundary(steps, opts.Fault.At) {
		return fmt.Errorf("step %d is not a boundary of the shell runner (Boundaries)", opts.Fault.At)
	}
	// Written as it is made: the plugin never holds the script whole.
	b := bufio.NewWriterSize(w, 1<<16)
	// bufio keeps the first write error and returns it from Flush.
	_, _ = b.WriteString("# initcompat apply: nothing touches the image before the last line.\nset -u\n")
	_, _ = b.WriteString(ShellLib(p.Places))
	_, _ = b.WriteString(applySh)
	c := &chunks{w: b, h: sha256.New()}
	parts, err := writeArchives(c, steps, p.Gzip != "")
	if err != nil {
		return err
	}
	sum := hex.EncodeToString(c.h.Sum(nil))
	body, err := journalBody(steps)
	if err != nil {
		return err
	}
	if body != "" {
		c.add("journal", body)
	}
	r := &renderer{put: func(s string) { c.add("ops", s) }, changes: len(p.Changes), gz: p.Gzip, parts: parts, fault: opts.Fault}
	r.steps(steps)
	c.close()
	_, _ = b.WriteString("initcompat_apply " + sum + " " + endToken + "\n")
	return b.Flush()
}

// Boundaries are the steps before which the shell runner has run exactly
// the steps before them, and which change the image: where a Fault can be
// put in both runners alike (the shell stages every file in one tar, and
// renames a directory's files in one mv).
func Boundaries(p *plan.Plan, opts Options) ([]int, error) {
	steps, err := Steps(p, opts)
	if err != nil {
		return nil, err
	}
	var out []int
	r := &renderer{put: func(string) {}, mark: func(i int) { out = append(out, i) }}
	r.steps(steps)
	return out, nil
}

func boundary(steps []Step, at int) bool {
	ok := false
	r := &renderer{put: func(string) {}, mark: func(i int) { ok = ok || i == at }}
	r.steps(steps)
	return ok
}

// journalBody is the journal's lines after its state, which every journal
// step shares: sent once, written with each state by journal().
func journalBody(steps []Step) (string, error) {
	body, seen := "", false
	for _, s := range steps {
		if s.Op != StepJournal {
			continue
		}
		head := journalHeader + "\nstate " + s.State + "\n"
		rest, ok := strings.CutPrefix(string(s.Content), head)
		if !ok || (seen && rest != body) {
			return "", fmt.Errorf("the %s journal differs from the others beyond its state", s.State)
		}
		body, seen = rest, true
	}
	return body, nil
}

// renderer writes the steps as the lines apply.sh sources: one line (or a
// few) a step, the renames of one directory in a few mv.
type renderer struct {
	put     func(string)
	changes int
	gz      string
	parts   int // the payload's archives
	fault   *Fault
	// mark is told each exact boundary (Boundaries).
	mark func(i int)
	// pending: a directory staged whole is left to the tars that unpack
	// the staged files, so the runner is not at an exact boundary until
	// then.
	pending bool
}

func q(p string) string { return `"$R"` + shellword.Quote(p) }

// line writes one command: fixed words of lib.sh's vocabulary and data
// already quoted (q, shellword.Quote, a number), joined by spaces. The
// plan's data never becomes code: no line is built from a format.
func (r *renderer) line(words ...string) { r.put(strings.Join(words, " ") + "\n") }

// fail is the words that end a command whose failure stops the apply,
// saying why.
func fail(why string) []string { return []string{"||", "fail", shellword.Quote(why)} }

// at is the start of step i's line: an exact boundary of a step that
// changes the image is marked, and the fault, when it is there, put.
func (r *renderer) at(i int, s Step) {
	if r.pending || isCheck(s.Op) || s.Op == StepCompleted || s.Op == StepHeld {
		return
	}
	if r.mark != nil {
		r.mark(i)
	}
	if r.fault != nil && r.fault.At == i {
		if r.fault.Kind == FaultFail {
			r.line("fail", shellword.Quote("injected fault at step "+strconv.Itoa(i)+" ("+string(s.Op)+")"))
		} else {
			r.line("kill", "-"+string(r.fault.Kind), "$$")
		}
	}
}

func (r *renderer) steps(steps []Step) {
	unpacked, checked := false, false
	for i := 0; i < len(steps); i++ {
		s := steps[i]
		if !checked && !isCheck(s.Op) {
			// The contents of every file are compared at once, before
			// anything is written.
			checked = true
			r.put("checked\n")
		}
		switch s.Op {
		case StepMkdir:
			if archived(s) {
				r.pending = true
				continue // made by the archive
			}
		case StepWrite, StepSymlink:
			if unpacked {
				continue
			}
		}
		r.at(i, s)
		i = r.step(steps, i, &unpacked)
	}
}

// step writes steps[i] (with the renames after it it batches) and returns
// the index of the last step written.
func (r *renderer) step(steps []Step, i int, unpacked *bool) int {
	s := steps[i]
	switch s.Op {
	case StepIsDir:
		r.line("isdir", q(s.Path))
	case StepAbsent:
		r.line("absent", q(s.Path))
	case StepIsFile:
		r.line("isfile", q(s.Path), shellword.Quote(s.SHA256))
	case StepIsLink:
		r.line("islink", q(s.Path), shellword.Quote(s.Target))
	case StepJournal:
		r.line("journal", shellword.Quote(s.State))
	case StepMkdir:
		return r.mkdirs(steps, i)
	case StepWrite, StepSymlink:
		*unpacked = true
		r.line(append([]string{"unpack", strconv.Itoa(r.parts), shellword.Quote(r.gz)}, fail("cannot unpack the staged files")...)...)
		// The tars made every staged file and directory.
		for i+1 < len(steps) && (steps[i+1].Op == StepWrite || steps[i+1].Op == StepSymlink) {
			i++
		}
		r.pending = false
	case StepRename:
		return r.renames(steps, i)
	case StepFinish:
		r.put("trap '' HUP INT TERM PIPE\nfinish\n")
	case StepBaseline:
		r.put("{ rm -f -- \"$B\" && analyzed >\"$B\" && chmod 600 -- \"$B\"; } || fail 'cannot record what systemd-analyze verify says before the apply'\n")
	case StepHeld:
		r.put("trap '' HUP INT TERM PIPE\nunlock\n")
		r.line("echo", shellword.Quote("initcompat: committed "+strconv.Itoa(r.changes)+" change(s); verifying"))
		r.line("echo", HeldToken)
	case StepCompleted:
		r.line("echo", shellword.Quote("initcompat: applied "+strconv.Itoa(r.changes)+" change(s)"))
		r.line("echo", CompletedToken)
	}
	return i
}

// perCommand bounds one mkdir's, rename's or mv's arguments (100,000
// names would pass ARG_MAX). A variable: the conformance table lowers it,
// so that a small plan's commit has boundaries between its renames.
var perCommand = 1000

// mkdirs writes the mkdir at steps[i] with the mkdirs of the same mode
// after it, in one mkdir process a thousand (a process a directory was
// the shell's cost at 10,000 services), and returns the index of the last
// one written. mkdir makes its arguments in order, and the steps hold a
// parent before what it holds.
func (r *renderer) mkdirs(steps []Step, i int) int {
	mode := steps[i].Mode
	same := func(k int) bool {
		return k < len(steps) && steps[k].Op == StepMkdir && steps[k].Mode == mode && !archived(steps[k])
	}
	first := steps[i].Path
	words := []string{"mkdir", "-m", "0" + strconv.FormatUint(uint64(mode.Perm()), 8), "--"}
	n := 0
	for ; n < perCommand && same(i); n, i = n+1, i+1 {
		words = append(words, q(steps[i].Path))
	}
	what := "cannot create " + first
	if n > 1 {
		what += " or one of the " + strconv.Itoa(n-1) + " directories after it"
	}
	r.line(append(words, fail(what)...)...)
	return i - 1
}

// renames writes the rename at steps[i]. A staged file's rename into its
// directory goes with the staged renames after it, into whatever
// directory, as one command of lib.sh's renames: util-linux's rename
// where the image has it (one process, a rename(2) each, as mv does), one
// mv per directory where it has not (Debian 11). Each command is one add:
// a chunk never ends inside it. It returns the index of the last one
// written.
func (r *renderer) renames(steps []Step, i int) int {
	s := steps[i]
	if !staged(s) {
		r.line(append([]string{"mv", "-f", "-T", "--", q(s.Path), q(s.Target)}, fail("cannot move "+s.Path+" to "+s.Target)...)...)
		return i
	}
	for {
		// rename(1) replaces /.initcompat-stage/ by / in each name; mv
		// moves each directory's files with one process.
		rename := []string{`"$renamer"`, "--", "/" + stageDir + "/", "/"}
		var mvs []string
		dir, dirs := "", 0
		for n := 0; n < perCommand && i < len(steps) && staged(steps[i]); n, i = n+1, i+1 {
			rename = append(rename, q(steps[i].Path))
			if d := path.Dir(steps[i].Target); d != dir {
				if dir != "" {
					mvs = append(mvs, "&&")
				}
				dir, dirs = d, dirs+1
				mvs = append(mvs, "mv", "-f", "-t", q(d), "--")
			}
			mvs = append(mvs, q(steps[i].Path))
		}
		what := "cannot rename the staged files into " + dir
		if dirs > 1 {
			what = "cannot rename the staged files into " + strconv.Itoa(dirs) + " directories, the last " + dir
		}
		words := append([]string{"if", "[", "-n", `"$renamer"`, "];", "then"}, rename...)
		words[len(words)-1] += ";"
		words = append(append(words, "else"), mvs...)
		words[len(words)-1] += ";"
		r.line(append(append(words, "fi"), fail(what)...)...)
		if i >= len(steps) || !staged(steps[i]) {
			return i - 1
		}
	}
}

// staged is the rename of a staged file into its directory.
func staged(s Step) bool {
	return s.Op == StepRename && path.Dir(s.Path) == StageDir(path.Dir(s.Target)) && path.Base(s.Path) == path.Base(s.Target)
}

func isCheck(op StepOp) bool {
	return op == StepIsDir || op == StepAbsent || op == StepIsFile || op == StepIsLink
}
