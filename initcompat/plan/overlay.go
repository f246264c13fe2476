package plan

import "github.com/initcompat/packer-plugin-initcompat/initcompat/tree"

// Overlay returns t with the changes applied, as the image will be after
// an apply; t itself is not changed.
func Overlay(t *tree.Tree, changes []Change) *tree.Tree {
	o := t.Clone()
	for _, c := range changes {
		switch c.Op {
		case OpMkdir:
			_ = o.Add(tree.Entry{Path: c.Path, Kind: tree.Dir, Mode: c.Mode})
		case OpWrite:
			_ = o.Add(tree.Entry{Path: c.Path, Kind: tree.File, Mode: c.Mode, Data: c.Content})
		case OpSymlink:
			_ = o.Add(tree.Entry{Path: c.Path, Kind: tree.Symlink, Mode: 0o777, Target: c.Target})
		case OpRemove:
			o.Remove(c.Path)
		}
	}
	return o
}
