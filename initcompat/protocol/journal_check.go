package protocol

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
)

// Node is what Check needs to know of a path in the image, read without
// following a link.
type Node struct {
	Kind plan.PathKind // plan.KindFile, plan.KindSymlink, plan.KindDir or plan.KindOther
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

// Check holds a parsed journal against the image before recovery acts on
// it (see journal.go): the directories on the way to every path it lists,
// and, for the paths recovery would remove or put back, what is there.
func (j *Journal) Check(im Image) error {
	root, err := im.Lstat("/")
	if err != nil {
		return fmt.Errorf("reading the image's root: %w", err)
	}
	devs := map[uint64]bool{root.Dev: true}
	// /var/lib (the journal's own directory) may be a file system of its
	// own on a booted machine; nothing else may.
	if n, err := im.Lstat(path.Dir(JournalPath)); err == nil && n.Kind == plan.KindDir {
		devs[n.Dev] = true
	}
	w := &walker{im: im, devs: devs, seen: map[string]bool{"/": true}}
	for _, l := range j.lists() {
		for _, p := range *l.paths {
			if err := w.way(p); err != nil {
				return err
			}
		}
	}
	for _, d := range append(append([]string(nil), j.StageDirs...), j.AsideDirs...) {
		if err := w.dir(d); err != nil {
			return err
		}
	}
	undone := map[string]bool{} // committed paths recovery removes
	if j.State == JournalCommit {
		for i, p := range j.New {
			gone, err := j.undoable(im, p, j.Proofs[i])
			if err != nil {
				return err
			}
			undone[p] = gone
		}
	}
	if j.State != JournalDone {
		for _, p := range j.Aside {
			a, err := lstat(im, AsideName(p))
			if err != nil {
				return err
			}
			if a == nil {
				continue
			}
			if at, err := lstat(im, p); err != nil {
				return err
			} else if at != nil && !undone[p] {
				return journalRefused("%s and its set-aside copy %s both exist; the copy would replace it", p, AsideName(p))
			}
		}
	}
	return nil
}

// lstat is the node at p, nil when there is none.
func lstat(im Image, p string) (*Node, error) {
	n, err := im.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checking %s: %w", p, err)
	}
	return &n, nil
}

// undoable checks a new path of a commit-phase journal: its staged name,
// when there, is a file or link (recovery removes it); otherwise what is
// at p must be what the apply wrote (proof), and recovery removes it
// (true).
func (j *Journal) undoable(im Image, p, proof string) (bool, error) {
	s, err := lstat(im, StagedName(p))
	if err != nil {
		return false, err
	}
	if s != nil {
		if s.Kind != plan.KindFile && s.Kind != plan.KindSymlink {
			return false, journalRefused("%s is not a staged file or link", StagedName(p))
		}
		return false, nil
	}
	n, err := lstat(im, p)
	if err != nil || n == nil {
		return false, err
	}
	var got string
	switch {
	case n.Kind == plan.KindFile && proof[0] == 'f':
		sum, err := im.FileSum(p, MaxProofSize)
		if err != nil {
			return false, journalRefused("%s: %v", p, err)
		}
		got = FileProof(sum)
	case n.Kind == plan.KindSymlink && proof[0] == 'l':
		t, err := im.Readlink(p)
		if err != nil {
			return false, fmt.Errorf("checking %s: %w", p, err)
		}
		got = LinkProof(t)
	}
	if got != proof {
		return false, journalRefused("%s is not what the apply wrote there (a %s of other content); recovery would remove it", p, n.Kind)
	}
	if p == j.Manifest {
		if ok, err := im.HasManifestHeader(p); err != nil || !ok {
			return false, journalRefused("%s, named the manifest, is not an initcompat manifest", p)
		}
	}
	return true, nil
}

// walker checks the directories on the way to journalled paths, each
// once: real directories (not links) on the root's file system.
type walker struct {
	im   Image
	devs map[uint64]bool
	seen map[string]bool
}

// way checks every directory above p, from the root down, stopping at
// the first that is not there (an apply not yet so far).
func (w *walker) way(p string) error {
	var up []string
	for d := path.Dir(p); !w.seen[d]; d = path.Dir(d) {
		up = append(up, d)
	}
	for i := len(up) - 1; i >= 0; i-- {
		n, err := lstat(w.im, up[i])
		if err != nil {
			return err
		}
		if n == nil {
			return nil
		}
		if err := w.node(up[i], n); err != nil {
			return err
		}
		w.seen[up[i]] = true
	}
	return nil
}

// dir checks a stage or aside directory itself, when it is there.
func (w *walker) dir(d string) error {
	n, err := lstat(w.im, d)
	if err != nil || n == nil {
		return err
	}
	return w.node(d, n)
}

func (w *walker) node(d string, n *Node) error {
	if n.Kind != plan.KindDir {
		return journalRefused("%s is a %s, not a directory; recovery does not follow it", d, n.Kind)
	}
	if !w.devs[n.Dev] {
		return journalRefused("%s is on another mount than the image's root (a mount point); recovery does not cross it", d)
	}
	return nil
}
