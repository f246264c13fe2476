package protocol

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The journal is read back from the image, and the image is untrusted: a
// journal planted in it (or left by an older pipeline) must not make
// recovery delete what the protocol did not make. So recovery acts on a
// journal only once it passes two checks, the same in Go (here, for the
// os.Root runner) and in sh (journal.sh, for the shell runner):
//
//   - its shape (ParseJournal): one header, one state, every path absolute
//     and clean, stage and aside directories named as the protocol names
//     them and each belonging to a path listed beside it, every new,
//     set-aside and removed path in a place initcompat's shims write
//     (Places) or the manifest the journal names, every new path carrying
//     the proof of what the apply put there;
//   - the image (Check): no directory on the way is a link or on another
//     file system than the image's root (or the journal's /var/lib), a path
//     to remove holds what the apply wrote there (its proof), and a path a
//     set-aside copy goes back to is free.
//
// Anything else is refused, naming the journal and the line, and nothing
// is done: the build stops before it writes.

// journalSh is journal_check, the shell's side of these checks.
//
//go:embed journal.sh
var journalSh string

// MaxJournalSize bounds the journal read back: ~130 bytes a path, so 80
// bytes short of a million paths (100,000 services).
const MaxJournalSize = 128 << 20

// MaxProofSize bounds a file hashed to prove it is what an apply wrote
// (the manifest is the largest: ~12 MiB at 10,000 services).
const MaxProofSize = 256 << 20

// maxDepth bounds the components of a journalled path: initcompat writes
// at most six deep, and the shell walks every directory on the way.
const maxDepth = 32

// journalHeader is the journal's first line; version 2 carries proofs.
const journalHeader = "initcompat-journal 2"

// Journal states.
const (
	JournalBegin  = "begin"
	JournalCommit = "commit"
	JournalDone   = "done"
)

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
	// Rmdirs are the directories the apply removes (mode = "remove",
	// prune): never set aside, but removed once the apply is done, and
	// only when nothing the protocol does not know is left in them.
	Rmdirs []string
}

// FileProof is the proof of a file an apply writes: its sha256.
func FileProof(sha string) string { return "f:" + sha }

// LinkProof is the proof of a link an apply makes: the sha256 of its target.
func LinkProof(target string) string {
	h := sha256.Sum256([]byte(target))
	return "l:" + hex.EncodeToString(h[:])
}

// lists are the journal's path lines, by kind, in the order written.
func (j *Journal) lists() []struct {
	kind  string
	paths *[]string
} {
	return []struct {
		kind  string
		paths *[]string
	}{{"mkdir", &j.Mkdirs}, {"stagedir", &j.StageDirs}, {"asidedir", &j.AsideDirs}, {"new", &j.New}, {"aside", &j.Aside}, {"rmdir", &j.Rmdirs}}
}

// Encode writes the journal as lines "KIND PATH" ("new PROOF PATH"),
// which the shell's recovery reads with grep and sed; paths never hold a
// newline (checked).
func (j *Journal) Encode() []byte {
	var b bytes.Buffer
	b.Grow(64 * (2 + len(j.Mkdirs) + len(j.StageDirs) + len(j.AsideDirs) + 2*len(j.New) + len(j.Aside) + len(j.Rmdirs)))
	b.WriteString(journalHeader + "\nstate " + j.State + "\n")
	if j.Manifest != "" {
		b.WriteString("manifest " + j.Manifest + "\n")
	}
	for _, l := range j.lists() {
		for i, p := range *l.paths {
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
// one whose shape is not what an apply writes.
func ParseJournal(data []byte, places plan.Places) (*Journal, error) {
	if len(data) > MaxJournalSize {
		return nil, journalRefused("larger than %d bytes", MaxJournalSize)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if lines[0] != journalHeader {
		return nil, journalRefused("its first line is not %q", journalHeader)
	}
	j := &Journal{}
	into := map[string]*[]string{}
	for _, l := range j.lists() {
		into[l.kind] = l.paths
	}
	states, manifests := 0, 0
	for n, line := range lines[1:] {
		kind, p, _ := strings.Cut(line, " ")
		switch list, ok := into[kind]; {
		case kind == "state":
			states++
			j.State = p
		case kind == "manifest":
			manifests++
			j.Manifest = p
		case kind == "new":
			proof, p, _ := strings.Cut(p, " ")
			j.New = append(j.New, p)
			j.Proofs = append(j.Proofs, proof)
		case ok:
			*list = append(*list, p)
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
	if err := j.shape(places); err != nil {
		return nil, err
	}
	return j, nil
}

// In is the journal in another state (the verify writes "done").
func (j *Journal) In(state string) *Journal {
	c := *j
	c.State = state
	return &c
}

// journalRefused says why recovery will not act on a journal.
func journalRefused(format string, args ...any) error {
	return fmt.Errorf("refusing the journal %s: %s; nothing was changed (if no build is running, look at what it lists and move it away)", JournalPath, fmt.Sprintf(format, args...))
}

// journalPath reports a journalled path: absolute, clean, not too deep.
func journalPath(p string) bool {
	return tree.IsClean(p) && p != "/" && strings.Count(p, "/") <= maxDepth && !strings.ContainsAny(p, "\n\x00")
}

// validProof is "f:" or "l:" and 64 lower-case hex digits.
func validProof(s string) bool {
	if len(s) != 66 || (s[:2] != "f:" && s[:2] != "l:") {
		return false
	}
	for _, c := range s[2:] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// shape checks what a journal says, before anything reads the image.
func (j *Journal) shape(places plan.Places) error {
	if j.Manifest != "" && (OwnName(j.Manifest) || !ManifestPlace(j.Manifest)) {
		return journalRefused("the manifest %s is not a place for one", j.Manifest)
	}
	for _, l := range j.lists() {
		for _, p := range *l.paths {
			if !journalPath(p) {
				return journalRefused("%q is not an absolute, clean path", p)
			}
		}
	}
	if err := j.mkdirsHold(); err != nil {
		return err
	}
	if err := j.stageTwins(); err != nil {
		return err
	}
	if err := twins(j.AsideDirs, j.Aside, asideDir, "aside"); err != nil {
		return err
	}
	for _, l := range [][]string{j.New, j.Aside, j.Rmdirs} {
		for _, p := range l {
			if p != j.Manifest && p != path.Dir(j.Manifest) && !places.Contain(p) {
				return journalRefused("%s is not a path initcompat writes", p)
			}
		}
	}
	for i, p := range j.New {
		if !validProof(j.Proofs[i]) {
			return journalRefused("new %s carries no proof of what was written", p)
		}
	}
	return nil
}

// twins checks that each of dirs is a protocol directory (named name) of
// the directory of one of paths, and that each of paths has its own.
func twins(dirs, paths []string, name, kind string) error {
	listed := map[string]bool{}
	for _, d := range dirs {
		if path.Base(d) != name {
			return journalRefused("%s is not named %s", d, name)
		}
		listed[d] = true
	}
	used := map[string]bool{}
	for _, p := range paths {
		d := path.Join(path.Dir(p), name)
		if !listed[d] {
			return journalRefused("%s %s has no %s listed", kind, p, d)
		}
		used[d] = true
	}
	for _, d := range dirs {
		if !used[d] {
			return journalRefused("%s holds no %s path", d, kind)
		}
	}
	return nil
}

// stageTwins checks that the stage directories are those the stage makes
// (stageSteps): one in each directory a new path goes into that the apply
// does not make, and one in the parent of each directory it makes whose
// parent it does not make (where that directory is staged whole).
func (j *Journal) stageTwins() error {
	made := map[string]bool{}
	for _, d := range j.Mkdirs {
		made[d] = true
	}
	want := map[string]bool{}
	for _, l := range [][]string{j.New, j.Mkdirs} {
		for _, p := range l {
			if d := path.Dir(p); !made[d] {
				want[StageDir(d)] = true
			}
		}
	}
	listed := map[string]bool{}
	for _, d := range j.StageDirs {
		if path.Base(d) != stageDir {
			return journalRefused("%s is not named %s", d, stageDir)
		}
		if !want[d] {
			return journalRefused("%s holds no new path nor a directory the apply makes", d)
		}
		listed[d] = true
	}
	for _, l := range [][]string{j.New, j.Mkdirs} {
		for _, p := range l {
			if d := path.Dir(p); !made[d] && !listed[StageDir(d)] {
				return journalRefused("%s has no %s listed", p, StageDir(d))
			}
		}
	}
	return nil
}

// mkdirsHold checks that every directory the journal says the apply made
// holds (or is on the way to) a new path: the plan makes a directory only
// to put something in it.
func (j *Journal) mkdirsHold() error {
	on := map[string]bool{}
	for _, p := range j.New {
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			on[d] = true
		}
	}
	for _, d := range j.Mkdirs {
		if !on[d] {
			return journalRefused("mkdir %s holds nothing the apply staged", d)
		}
	}
	return nil
}

// ReadJournal reads the journal from f, opened without following a link
// and without blocking (a FIFO): only a regular file within
// MaxJournalSize is read.
func ReadJournal(f fs.File, places plan.Places) (*Journal, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", JournalPath, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, journalRefused("it is not a regular file but a %s (a link, a FIFO or a device is never read)", fi.Mode().Type())
	}
	if fi.Size() > MaxJournalSize {
		return nil, journalRefused("larger than %d bytes", MaxJournalSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxJournalSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", JournalPath, err)
	}
	return ParseJournal(data, places)
}

// RefusedLink is the refusal of a journal that is a symlink.
func RefusedLink() error {
	return journalRefused("it is a symlink (a link, a FIFO or a device is never read)")
}
