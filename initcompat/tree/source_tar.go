package tree

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// FromTar builds a tree from the stream SnapshotScript writes: the stat
// listing first, then the content paths, relative to the image root. It
// parses as the stream arrives; a file over its cap is skipped, not read,
// except the paths in uncapped; a member deeper than MaxDepth fails it.
func FromTar(r io.Reader, maxSize int64, uncapped ...string) (*Tree, error) {
	limit := capFor(maxSize, uncapped)
	maxSize = limit.perFile
	t := New()
	tr := tar.NewReader(r)
	sawStat := false
	var refs refsReader
	// The members a directory holds, held to maxDirEntries as FromDir
	// holds its listings (and all of them to maxPaths).
	inDir := map[string]int{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading snapshot stream: %w", err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		if refsMember(strings.TrimSuffix(name, "/")) {
			if h.Typeflag == tar.TypeReg {
				if err := refs.add(name, tr, h.Size); err != nil {
					return nil, err
				}
			}
			continue
		}
		if name == StatFile {
			data, err := io.ReadAll(io.LimitReader(tr, maxSize))
			if err != nil {
				return nil, fmt.Errorf("reading snapshot stat list: %w", err)
			}
			if err := t.addStatList(data); err != nil {
				return nil, err
			}
			sawStat = true
			continue
		}
		p := "/" + strings.TrimSuffix(name, "/")
		if !IsClean(p) || p == "/" || strings.Contains(p, "/../") {
			return nil, fmt.Errorf("snapshot stream: member %q: %w", h.Name, ErrBadPath)
		}
		if depth(p) > MaxDepth {
			return nil, tooDeep(p)
		}
		dir := parentOf(p)
		if inDir[dir]++; inDir[dir] > maxDirEntries {
			return nil, tooMany(dir, false)
		}
		if err := limit.listed(dir, 1); err != nil {
			return nil, err
		}
		e := Entry{Path: p, Mode: fs.FileMode(h.Mode) & fs.ModePerm}
		switch h.Typeflag {
		case tar.TypeDir:
			e.Kind = Dir
		case tar.TypeSymlink:
			e.Kind, e.Target = Symlink, h.Linkname
		case tar.TypeReg:
			e.Kind = File
			lim := limit.limit(p)
			if h.Size <= lim {
				if e.Data, err = readMember(tr, h.Size, limit.perFile); err != nil {
					return nil, fmt.Errorf("snapshot stream: %s: %w", p, err)
				}
			}
			if err := limit.read(&e, h.Size, lim); err != nil {
				return nil, err
			}
		case tar.TypeLink:
			// A hard link to a member seen earlier: same content.
			src, ok := t.entries["/"+strings.TrimPrefix(h.Linkname, "./")]
			if !ok {
				continue
			}
			e = *src
			e.Path = p
		default:
			// Devices, fifos and sockets carry nothing initcompat reads.
			continue
		}
		if err := t.Add(e); err != nil {
			return nil, err
		}
	}
	if !sawStat {
		return nil, errors.New("snapshot stream holds no " + StatFile + " member: the remote command did not run the snapshot script")
	}
	kept, err := refs.refs()
	if err != nil {
		return nil, err
	}
	t.AddRefs(kept)
	return t, nil
}

// readMember reads a member of size bytes into a slice of that size: the
// tree keeps it, and io.ReadAll's doubling left a quarter of each file's
// capacity unused (and twice the garbage). A size past perFile (an
// uncapped file's header, which the stream may not back) grows as it is
// read, never allocated on the header's word.
func readMember(r io.Reader, size, perFile int64) ([]byte, error) {
	if size > perFile {
		return io.ReadAll(r)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, err
	}
	return data, nil
}

func (t *Tree) addStatList(data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		f := strings.Split(sc.Text(), "\t")
		bad := func() error {
			return fmt.Errorf("snapshot stat list line %d: %q is not \"KIND\\tPATH[\\tTARGET]\"", n, sc.Text())
		}
		if len(f) < 2 {
			return bad()
		}
		e := Entry{Path: "/" + f[1], Omitted: true}
		switch {
		case f[0] == "l" && len(f) == 3:
			e.Kind, e.Target, e.Omitted = Symlink, f[2], false
		case f[0] == "d" && len(f) == 2:
			e.Kind, e.Mode, e.Omitted = Dir, 0o755, false
		case f[0] == "x" && len(f) == 2:
			e.Kind, e.Mode = File, 0o755
		case f[0] == "f" && len(f) == 2:
			e.Kind, e.Mode = File, 0o644
		default:
			return bad()
		}
		if err := t.Add(e); err != nil {
			return err
		}
	}
	return sc.Err()
}
