package initcompat

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The journal is read back from the image, and the image is untrusted: a
// journal planted in it (or left by an older pipeline) must not make
// recovery delete what the protocol did not make. So recovery acts on a
// journal only once it passes two checks, the same in Go (here and in
// provisioner's os.Root runner) and in sh (journal.sh):
//
//   - its shape (ParseJournal): one header, one state, every path absolute
//     and clean, stage and aside directories named as the protocol names
//     them and each belonging to a path listed beside it, every new and
//     set-aside path in a place initcompat's shims write (Places) or the
//     manifest the journal names, every new path carrying the proof of
//     what the apply put there;
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

// ManifestHeader starts every manifest initcompat writes.
const ManifestHeader = `{"generator": "initcompat"`

// FileProof is the proof of a file an apply writes: its sha256.
func FileProof(sha string) string { return "f:" + sha }

// LinkProof is the proof of a link an apply makes: the sha256 of its target.
func LinkProof(target string) string {
	h := sha256.Sum256([]byte(target))
	return "l:" + hex.EncodeToString(h[:])
}

// placePrefixes are the directories initcompat's shims write into (each
// after resolving the image's own links: RHEL's /etc/init.d is
// /etc/rc.d/init.d).
var placePrefixes = []string{
	"/etc/init.d/", "/etc/rc.d/", "/etc/rcS.d/", "/etc/systemd/system/", "/etc/init/", "/etc/initcompat/",
	"/etc/rc0.d/", "/etc/rc1.d/", "/etc/rc2.d/", "/etc/rc3.d/", "/etc/rc4.d/", "/etc/rc5.d/", "/etc/rc6.d/",
}

// Places reports whether p is a path initcompat's shims may write, remove
// or put back, or one of the directories they write into (which remove
// takes away when initcompat made them); the manifest, which
// manifest_path names, aside.
func Places(p string) bool {
	if p == "/usr/bin/systemctl" || p == "/bin/systemctl" {
		return true
	}
	for _, d := range placePrefixes {
		if strings.HasPrefix(p+"/", d) {
			return true
		}
	}
	return false
}

// ProtocolFile reports whether p is one of the protocol's own files or
// names (journal, lock, baseline, or a stage or aside name), which no
// setting may point at.
func ProtocolFile(p string) bool {
	for _, f := range []string{JournalPath, LockPath, BaselinePath} {
		if p == f || strings.HasPrefix(p, f+".") || strings.HasPrefix(p, f+"/") {
			return true
		}
	}
	for _, c := range strings.Split(p, "/") {
		if strings.HasPrefix(c, ".initcompat-") {
			return true
		}
	}
	return false
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
func (j *Journal) shape() error {
	if j.Manifest != "" && (ProtocolFile(j.Manifest) || !ManifestPlace(j.Manifest)) {
		return journalRefused("the manifest %s is not a place for one", j.Manifest)
	}
	for _, l := range [][]string{j.Mkdirs, j.StageDirs, j.AsideDirs, j.New, j.Aside} {
		for _, p := range l {
			if !journalPath(p) {
				return journalRefused("%q is not an absolute, clean path", p)
			}
		}
	}
	if err := twins(j.StageDirs, j.New, stageDir, "new"); err != nil {
		return err
	}
	if err := twins(j.AsideDirs, j.Aside, asideDir, "aside"); err != nil {
		return err
	}
	for _, l := range [][]string{j.New, j.Aside} {
		for _, p := range l {
			if p != j.Manifest && p != path.Dir(j.Manifest) && !Places(p) {
				return journalRefused("%s is not a path initcompat writes", p)
			}
		}
	}
	for i, p := range j.New {
		if !validProof(j.Proofs[i]) {
			return journalRefused("new %s carries no proof of what was written", p)
		}
	}
	return j.mkdirsHold()
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

// mkdirsHold checks that every directory the journal says the apply made
// holds (or is on the way to) a stage directory: the plan makes a
// directory only to put something in it.
func (j *Journal) mkdirsHold() error {
	on := map[string]bool{}
	for _, s := range j.StageDirs {
		for d := path.Dir(s); d != "/"; d = path.Dir(d) {
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

// ManifestPlace reports whether p may hold the manifest: a file in a
// directory of its own on the image's persistent, writable part.
func ManifestPlace(p string) bool {
	if !tree.IsClean(p) || p == "/" {
		return false
	}
	d := path.Dir(p)
	if d == "/" {
		return false
	}
	for _, top := range []string{"/usr/", "/proc/", "/sys/", "/dev/", "/run/", "/tmp/"} {
		if strings.HasPrefix(d+"/", top) {
			return false
		}
	}
	return true
}

// KindOther is a node that is none of a file, a link and a directory (a
// FIFO, a device, a socket).
const KindOther PathKind = "other"

// Node is what Check needs to know of a path in the image, read without
// following a link.
type Node struct {
	Kind PathKind // KindFile, KindSymlink, KindDir or KindOther
	Dev  uint64
}

// Image is the image as Check reads it: each call on a path never follows
// a link at its end, and fails with fs.ErrNotExist for an absent path.
type Image interface {
	Lstat(p string) (Node, error)
	// FileSum is the sha256 of a regular file, opened without following a
	// link and without blocking, refused past max bytes.
	FileSum(p string, max int64) (string, error)
	Readlink(p string) (string, error)
	// HasManifestHeader reports whether the regular file p starts as a manifest does.
	HasManifestHeader(p string) (bool, error)
}

// ReadJournal reads the journal from f, opened without following a link
// and without blocking (a FIFO): only a regular file within
// MaxJournalSize is read.
func ReadJournal(f fs.File) (*Journal, error) {
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
	return ParseJournal(data)
}

// RefusedLink is the refusal of a journal that is a symlink.
func RefusedLink() error {
	return journalRefused("it is a symlink (a link, a FIFO or a device is never read)")
}
