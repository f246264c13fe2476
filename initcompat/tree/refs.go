package tree

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
)

// The bounds of what the snapshot keeps of the files init scripts name.
// snapshot.sh's refs and ref_capture apply the same numbers; a test holds
// the two sources equal.
const (
	// RefHead is what is kept of each file's start: a script whole, an
	// ELF's headers and dynamic symbols (the linker's first segment).
	RefHead = 64 << 10
	// RefTail is what is kept of an ELF's end: its section headers and
	// their names.
	RefTail = 16 << 10
	// MaxRefs bounds the files kept; with the two above, 20 MiB in all.
	MaxRefs = 256
	// maxRefWords bounds the path-like words looked at.
	maxRefWords = 4096
	// refScan is what is read of each source file for words.
	refScan = 1 << 20
	// refProbe is how much of an ELF is searched for RefMarkers.
	refProbe = 256 << 20
	// maxRefPath bounds a word taken for a path.
	maxRefPath = 4096
	// maxHopsRef bounds the links followed resolving one path.
	maxHopsRef = 40
	// refChunk is how many files refs() gives one head command.
	refChunk = 512
)

// RefSources are the directories whose files are read for the paths
// they name: init scripts (Debian's place and Red Hat's) and what they
// source.
var RefSources = []string{"etc/init.d", "etc/rc.d/init.d", "etc/default"}

// RefMarkers are the names searched for in a referenced ELF: the Go
// functions through which a Go program starts a process
// (lsb.GoSpawnMarkers holds the same list; a test keeps them equal).
var RefMarkers = []string{"syscall.forkExec", "syscall.Exec"}

// refsDir is the directory of the snapshot stream that holds them.
const refsDir = ".initcompat-refs"

// Ref is what the snapshot keeps of a regular file that an init script
// or an /etc/default file names by absolute path.
type Ref struct {
	// Path is the path as named; Real is where it resolves inside the
	// image.
	Path, Real string
	Size       int64
	Executable bool
	// Head is the first RefHead bytes (the whole file when Size is not
	// more); Tail the last RefTail of a file larger than RefHead.
	Head, Tail []byte
	// Markers are the RefMarkers found in a file larger than RefHead,
	// when Searched (the image has grep).
	Markers  []string
	Searched bool
}

// Whole reports whether Head is the whole file.
func (r *Ref) Whole() bool { return int64(len(r.Head)) == r.Size }

// Ref returns what the snapshot kept of the file an init script names
// as p (clean and absolute), or false.
func (t *Tree) Ref(p string) (*Ref, bool) {
	r, ok := t.refs[p]
	return r, ok
}

// Refs lists the kept files, sorted by the path they were named by.
func (t *Tree) Refs() []*Ref {
	out := make([]*Ref, 0, len(t.refs))
	for _, r := range t.refs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// AddRefs records files read by RefScript or RefsFromDir (the one extra
// command for the programs the snapshot did not hold).
func (t *Tree) AddRefs(refs []*Ref) {
	if t.refs == nil {
		t.refs = map[string]*Ref{}
	}
	for _, r := range refs {
		t.refs[r.Path] = r
	}
}

// refWords cuts data into the words snapshot.sh's tr makes: runs of
// [A-Za-z0-9._/+@%,-].
func refWords(data []byte, into map[string]bool) {
	start := -1
	for i := 0; i <= len(data); i++ {
		if i < len(data) && isRefByte(data[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			into[string(data[start:i])] = true
			start = -1
		}
	}
}

func isRefByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._/+@%,-", c) >= 0
}

// refCandidates orders the words as LC_ALL=C sort -u does and keeps what
// ref_capture's loop looks at: words that start with "/", skipping those
// that sort before it, stopping at the first that sorts after, at most
// maxRefWords of them, the long and the unclean ones passed over.
func refCandidates(words map[string]bool) []string {
	sorted := make([]string, 0, len(words))
	for w := range words {
		sorted = append(sorted, w)
	}
	sort.Strings(sorted)
	var out []string
	seen := 0
	for _, w := range sorted {
		if !strings.HasPrefix(w, "/") {
			if w == "" || strings.IndexByte("%+,.-", w[0]) >= 0 {
				continue
			}
			break
		}
		seen++
		if seen > maxRefWords {
			break
		}
		if len(w) > maxRefPath || path.Clean(w) != w || w == "/" {
			continue
		}
		out = append(out, w)
	}
	return out
}

// keepRef is ref_capture's test of a resolved path (relative to the root).
func keepRef(real string, executable bool) bool {
	for _, d := range []string{"etc/init.d/", "etc/default/", "etc/rc.d/init.d/"} {
		if strings.HasPrefix(real, d) {
			return false
		}
	}
	return real != "" && (executable || strings.HasPrefix(real, "etc/"))
}

// refsFromRoot applies refs() to an image opened as root.
func refsFromRoot(root *os.Root) ([]*Ref, error) {
	words := map[string]bool{}
	for _, d := range RefSources {
		if linked(root, d+"/x") {
			continue
		}
		fi, err := root.Lstat(d)
		if err != nil || !fi.IsDir() {
			continue
		}
		dir, err := root.Open(d)
		if err != nil {
			continue
		}
		names, err := dir.Readdirnames(-1)
		_ = dir.Close()
		if err != nil {
			return nil, fmt.Errorf("image /%s: %w", d, err)
		}
		sort.Strings(names)
		// As refs() gives them to tr: the heads of up to 512 files one
		// after the other, then a newline.
		var chunk []byte
		inChunk := 0
		for _, n := range names {
			if strings.HasPrefix(n, ".") {
				continue // "$d"/* leaves them out
			}
			p := d + "/" + n
			fi, err := root.Lstat(p)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			data, err := readHead(root, p, refScan)
			if err != nil {
				continue
			}
			chunk = append(chunk, data...)
			if inChunk++; inChunk == refChunk {
				refWords(chunk, words)
				chunk, inChunk = chunk[:0], 0
			}
		}
		if inChunk > 0 {
			refWords(chunk, words)
		}
	}
	return captureRefs(root, refCandidates(words))
}

// RefsFromDir reads the given absolute paths of the image at dir as the
// snapshot reads what init scripts name: the one extra read, for all
// scripts at once, of the programs the snapshot did not hold.
func RefsFromDir(dir string, paths []string) ([]*Ref, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening image root: %w", err)
	}
	defer func() { _ = root.Close() }()
	return captureRefs(root, refList(paths))
}

// refList sorts and bounds an explicit list as RefScript does.
func refList(paths []string) []string {
	words := map[string]bool{}
	for _, p := range paths {
		if strings.HasPrefix(p, "/") && !strings.ContainsAny(p, "\n\t") {
			words[p] = true
		}
	}
	return refCandidates(words)
}

func captureRefs(root *os.Root, candidates []string) ([]*Ref, error) {
	var out []*Ref
	for _, p := range candidates {
		real, ok := resolveIn(root, p[1:])
		if !ok {
			continue
		}
		fi, err := root.Lstat(real)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		exec := fi.Mode()&0o111 != 0
		if !keepRef(real, exec) {
			continue
		}
		if len(out) >= MaxRefs {
			break
		}
		r, err := readRef(root, p, real, exec)
		if err != nil {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// resolveIn is snapshot.sh's resolve over an os.Root: each component
// looked at with lstat, each link's target read and followed from the
// image root, never from the host's.
func resolveIn(root *os.Root, rel string) (string, bool) {
	todo := strings.Split(rel, "/")
	cur := ""
	hops := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if i := strings.LastIndexByte(cur, '/'); i >= 0 {
				cur = cur[:i]
			} else {
				cur = ""
			}
			continue
		}
		next := c
		if cur != "" {
			next = cur + "/" + c
		}
		fi, err := root.Lstat(next)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		hops++
		if hops > maxHopsRef {
			return "", false
		}
		t, err := root.Readlink(next)
		if err != nil || t == "" || strings.ContainsAny(t, "\t\n") {
			return "", false
		}
		if strings.HasPrefix(t, "/") {
			cur = ""
		}
		todo = append(strings.Split(t, "/"), todo...)
	}
	return cur, true
}

// readHead reads at most n bytes of name, a regular file (opened without
// blocking, so a fifo put there meanwhile does not hold the read).
func readHead(root *os.Root, name string, n int64) ([]byte, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	return io.ReadAll(io.LimitReader(f, n))
}

func readRef(root *os.Root, p, real string, exec bool) (*Ref, error) {
	f, err := root.OpenFile(real, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	r := &Ref{Path: p, Real: "/" + real, Size: fi.Size(), Executable: exec}
	if r.Head, err = io.ReadAll(io.LimitReader(f, RefHead)); err != nil {
		return nil, err
	}
	if r.Size <= RefHead {
		return r, nil
	}
	off := max(0, r.Size-RefTail)
	r.Tail = make([]byte, r.Size-off)
	n, err := f.ReadAt(r.Tail, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	r.Tail = r.Tail[:n]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	r.Markers, r.Searched = searchMarkers(io.LimitReader(f, refProbe)), true
	return r, nil
}

// searchMarkers finds RefMarkers in r as snapshot.sh's grep -o does,
// reading it in pieces that overlap by the longest marker.
func searchMarkers(r io.Reader) []string {
	longest := 0
	for _, m := range RefMarkers {
		longest = max(longest, len(m))
	}
	found := map[string]bool{}
	buf := make([]byte, 1<<20)
	keep := 0
	for {
		n, err := io.ReadFull(r, buf[keep:])
		data := buf[:keep+n]
		for _, m := range RefMarkers {
			if bytes.Contains(data, []byte(m)) {
				found[m] = true
			}
		}
		if err != nil {
			break
		}
		keep = min(longest-1, len(data))
		copy(buf, data[len(data)-keep:])
	}
	var out []string
	for m := range found {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// refsMember reports whether a snapshot stream member belongs to the
// kept files.
func refsMember(name string) bool {
	return name == refsDir || strings.HasPrefix(name, refsDir+"/")
}

// refsReader collects the kept files' members of a snapshot stream.
type refsReader struct {
	index, sizes []byte
	small        []byte
	searched     bool
	parts        map[string][]byte
}

// add reads one member; each is bounded by what ref_capture writes, so a
// stream that says otherwise costs no more.
func (rr *refsReader) add(name string, r io.Reader, size int64) error {
	rest := strings.TrimPrefix(name, refsDir+"/")
	if rest == name || rest == "" {
		return nil
	}
	var limit int64
	switch {
	case rest == "index":
		limit = MaxRefs * (2*maxRefPath + 32)
	case rest == "sizes":
		limit = MaxRefs * (maxRefPath + 32)
	case rest == "small.tar":
		limit = MaxRefs*(RefHead+3*512+2*maxRefPath) + 10240
	case rest == "searched":
		rr.searched = true
		return nil
	case strings.HasSuffix(rest, ".h"):
		limit = RefHead
	case strings.HasSuffix(rest, ".t"):
		limit = RefTail
	case strings.HasSuffix(rest, ".p"):
		limit = 4 << 10
	default:
		return nil
	}
	if size > limit {
		return fmt.Errorf("snapshot stream: %s is %d bytes, more than the %d the snapshot writes there", name, size, limit)
	}
	data, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return fmt.Errorf("snapshot stream: %s: %w", name, err)
	}
	switch rest {
	case "index":
		rr.index = data
	case "sizes":
		rr.sizes = data
	case "small.tar":
		rr.small = data
	default:
		if rr.parts == nil {
			rr.parts = map[string][]byte{}
		}
		rr.parts[rest] = data
	}
	return nil
}

// refs assembles the kept files from the index, the sizes wc gave, the
// small files' archive and the large files' parts.
func (rr *refsReader) refs() ([]*Ref, error) {
	bad := func(what string, line int, text string) error {
		return fmt.Errorf("snapshot stream: %s/%s line %d: %q is not what the snapshot writes", refsDir, what, line, text)
	}
	sizes := map[string]int64{}
	for i, l := range strings.Split(strings.TrimSpace(string(rr.sizes)), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			return nil, bad("sizes", i+1, l)
		}
		_, name, _ := strings.Cut(strings.TrimLeft(l, " \t"), " ")
		sizes[strings.TrimSpace(name)] = n
	}
	small := map[string][]byte{}
	if len(rr.small) > 0 {
		tr := tar.NewReader(bytes.NewReader(rr.small))
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("snapshot stream: %s/small.tar: %w", refsDir, err)
			}
			if h.Typeflag != tar.TypeReg || h.Size > RefHead || len(small) >= MaxRefs {
				continue
			}
			data, err := io.ReadAll(io.LimitReader(tr, RefHead))
			if err != nil {
				return nil, fmt.Errorf("snapshot stream: %s/small.tar: %w", refsDir, err)
			}
			small["./"+strings.TrimPrefix(h.Name, "./")] = data
		}
	}
	var out []*Ref
	sc := bufio.NewScanner(bytes.NewReader(rr.index))
	sc.Buffer(make([]byte, 0, 4096), 2*maxRefPath+32)
	for line := 1; sc.Scan(); line++ {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 || len(out) >= MaxRefs || !IsClean(f[1]) || !IsClean("/"+f[2]) {
			return nil, bad("index", line, sc.Text())
		}
		size, ok := sizes["./"+f[2]]
		if !ok {
			continue // gone since
		}
		r := &Ref{Path: f[1], Real: "/" + f[2], Size: size, Executable: f[3] == "1"}
		if size <= RefHead {
			data, ok := small["./"+f[2]]
			if !ok || int64(len(data)) != size {
				continue
			}
			r.Head = data
			out = append(out, r)
			continue
		}
		head, ok := rr.parts[f[0]+".h"]
		if !ok {
			continue
		}
		r.Head, r.Tail, r.Searched = head, rr.parts[f[0]+".t"], rr.searched
		for _, m := range strings.Fields(string(rr.parts[f[0]+".p"])) {
			for _, known := range RefMarkers {
				if m == known {
					r.Markers = append(r.Markers, m)
				}
			}
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("snapshot stream: %s/index: %w", refsDir, err)
	}
	return out, nil
}

// RefScript is the one extra command for programs the snapshot did not
// hold (a path built from variables the snapshot's word scan cannot
// see): POSIX sh that streams, as a tar archive on stdout, what the
// snapshot keeps of each path, bounded as the snapshot is. ReadRefs reads
// its output.
func RefScript(paths []string) string {
	var b strings.Builder
	b.WriteString(snapshotSh)
	b.WriteString("mkdir \"$tmp/" + refsDir + "\" || exit 1\nref_capture <<'INITCOMPAT_REFS'\n")
	for _, p := range refList(paths) {
		b.WriteString(p + "\n")
	}
	b.WriteString("INITCOMPAT_REFS\ntar -cf - -C \"$tmp\" " + refsDir + "\n")
	return b.String()
}

// ReadRefs reads RefScript's output.
func ReadRefs(r io.Reader) ([]*Ref, error) {
	tr := tar.NewReader(r)
	var rr refsReader
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the programs' stream: %w", err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		if h.Typeflag != tar.TypeReg || !refsMember(name) {
			continue
		}
		if err := rr.add(name, tr, h.Size); err != nil {
			return nil, err
		}
	}
	return rr.refs()
}
