package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
)

// checkJournal checks a journal an apply is about to begin as recovery
// would: a path on the way that is a link or a mount point stops the
// apply before it writes.
func checkJournal(root *os.Root, content []byte, places plan.Places) error {
	j, err := ParseJournal(content, places)
	if err != nil {
		return err
	}
	return j.Check(rootImage{root})
}

// rootImage is the image at an os.Root as Journal.Check reads it.
type rootImage struct{ root *os.Root }

func relOrDot(p string) string {
	if r := rel(p); r != "" {
		return r
	}
	return "."
}

func (r rootImage) Lstat(p string) (Node, error) {
	name := relOrDot(p)
	fi, err := r.root.Lstat(name)
	if err != nil {
		return Node{}, err
	}
	n := Node{Kind: kindOf(fi.Mode()), Dev: devOf(fi)}
	if fi.IsDir() {
		n.Dev = mountOf(r.root, name, fi)
	}
	return n, nil
}

func kindOf(m fs.FileMode) plan.PathKind {
	switch {
	case m.IsRegular():
		return plan.KindFile
	case m&fs.ModeSymlink != 0:
		return plan.KindSymlink
	case m.IsDir():
		return plan.KindDir
	}
	return plan.KindOther
}

// open opens a regular file of the image without following a link or
// blocking.
func (r rootImage) open(p string) (*os.File, fs.FileInfo, error) {
	if fi, err := r.root.Lstat(rel(p)); err == nil && !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	f, err := r.root.OpenFile(rel(p), readFlags, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

func (r rootImage) FileSum(p string, max int64) (string, error) {
	f, fi, err := r.open(p)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	if fi.Size() > max {
		return "", fmt.Errorf("larger than %d bytes", max)
	}
	h := sha256.New()
	if n, err := io.Copy(h, io.LimitReader(f, max+1)); err != nil || n > max {
		return "", fmt.Errorf("reading it: %w (%d bytes)", err, n)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (r rootImage) Readlink(p string) (string, error) { return r.root.Readlink(rel(p)) }

func (r rootImage) HasManifestHeader(p string) (bool, error) {
	f, _, err := r.open(p)
	if err != nil {
		return false, err
	}
	defer func() { _ = f.Close() }()
	b := make([]byte, len(plan.ManifestHeader))
	if _, err := io.ReadFull(f, b); err != nil {
		return false, nil
	}
	return string(b) == plan.ManifestHeader, nil
}
