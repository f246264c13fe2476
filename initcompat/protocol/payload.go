package protocol

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"
)

// The shell runner's data: here-documents of at most chunkSize bytes,
// and the payload, tar archives of every staged file (parts), in base64.

// chunkSize bounds each here-document of the apply's data: the most the
// remote shell holds of it at once.
var chunkSize = 1 << 20

// chunks writes the apply's data as here-documents of at most chunkSize
// bytes, each appended by put() to one file of the remote temporary
// directory, and hashes the payload as its file holds it.
type chunks struct {
	w    *bufio.Writer
	h    hash.Hash
	file string // the file of the open here-document, "" when none
	n    int
}

// add writes s, whole lines, to file; a chunk ends only between two adds.
func (c *chunks) add(file, s string) {
	if c.file != file || c.n >= chunkSize {
		c.close()
		c.file, c.n = file, 0
		_, _ = c.w.WriteString("put " + file + " <<'" + dataEnd + "'\n")
	}
	_, _ = c.w.WriteString(s)
	if strings.HasPrefix(file, "payload.") {
		_, _ = io.WriteString(c.h, s)
	}
	c.n += len(s)
}

func (c *chunks) close() {
	if c.file != "" {
		_, _ = c.w.WriteString(dataEnd + "\n")
		c.file = ""
	}
}

// lineWriter breaks base64 text into 76-column lines, each one add to
// file.
type lineWriter struct {
	c    *chunks
	file string
	line []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(76-len(l.line), len(p))
		l.line = append(l.line, p[:k]...)
		p = p[k:]
		if len(l.line) == 76 {
			l.flush()
		}
	}
	return n, nil
}

func (l *lineWriter) flush() {
	if len(l.line) > 0 {
		l.c.add(l.file, string(l.line)+"\n")
		l.line = l.line[:0]
	}
}

// archived is a directory the payload's archive makes: a directory the
// plan makes, staged in a stage directory (with its mode: tar -p).
func archived(s Step) bool {
	return s.Op == StepMkdir && strings.Contains(s.Path, "/"+stageDir+"/")
}

// staging is a step the payload's archives hold.
func staging(s Step) bool { return s.Op == StepWrite || s.Op == StepSymlink || archived(s) }

// maxParts bounds the payload's archives, which the shell unpacks at once
// (apply.sh's unpack), as the os.Root runner stages a directory per
// processor: one tar works an entry at a time, and was most of an apply
// at 10,000 services. At most 10: apply.sh hashes payload.* in the glob's
// order.
const maxParts = 4

// minPartEntries is the fewest entries worth a tar of their own (a
// variable: the conformance table lowers it, so that its small plans
// unpack in parts too).
var minPartEntries = 1000

// parts splits the staging steps into at most maxParts runs of about as
// many entries each, which never share a directory being made: a
// directory the plan makes goes whole (with what it holds, a parent before
// what is in it) into one part. Each part is the indices of its steps, in
// order. The stage directories are made before any part is unpacked.
func parts(steps []Step) [][]int {
	var units [][]int // by the name below a stage directory, in order
	at := map[string]int{}
	total := 0
	for i, s := range steps {
		if !staging(s) {
			continue
		}
		k := unitOf(s.Path)
		u, ok := at[k]
		if !ok {
			u = len(units)
			at[k] = u
			units = append(units, nil)
		}
		units[u] = append(units[u], i)
		total++
	}
	if total == 0 {
		return nil
	}
	n := min(maxParts, max(1, total/minPartEntries))
	per := (total + n - 1) / n
	out := make([][]int, 1, n)
	for _, u := range units {
		if k := len(out) - 1; len(out[k]) >= per && len(out) < n {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], u...)
	}
	return out
}

// unitOf is the stage directory's entry a staged path is, or is in.
func unitOf(p string) string {
	mark := "/" + stageDir + "/"
	i := strings.Index(p, mark)
	if i < 0 {
		return p
	}
	rest := p[i+len(mark):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return p[:i+len(mark)] + rest
}

// payloadFile is the data file of the payload's part i.
func payloadFile(i int) string { return fmt.Sprintf("payload.%d", i) }

// writeArchives streams each part of the staging steps as a tar archive
// (gzip'd when compress), in base64 lines of its own data file, and
// returns how many there are.
func writeArchives(c *chunks, steps []Step, compress bool) (int, error) {
	ps := parts(steps)
	for i, part := range ps {
		if err := writeArchive(c, payloadFile(i), steps, part, compress); err != nil {
			return 0, err
		}
	}
	return len(ps), nil
}

func writeArchive(c *chunks, file string, steps []Step, part []int, compress bool) error {
	lw := &lineWriter{c: c, file: file, line: make([]byte, 0, 76)}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	var out io.Writer = enc
	var gz *gzip.Writer
	if compress {
		// Go's gzip header carries no time or name: the same plan gives
		// the same script.
		gz = gzip.NewWriter(enc)
		out = gz
	}
	tw := tar.NewWriter(out)
	hdr := func(hd *tar.Header) error {
		// A fixed time keeps headers in the compact ustar format and the plan
		// deterministic; tar -m gives the files the time of the apply.
		hd.Uname, hd.Gname, hd.ModTime = "root", "root", time.Unix(0, 0)
		return tw.WriteHeader(hd)
	}
	for _, i := range part {
		s := steps[i]
		name := strings.TrimPrefix(s.Path, "/")
		var err error
		switch s.Op {
		case StepMkdir:
			err = hdr(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: int64(s.Mode)})
		case StepSymlink:
			err = hdr(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: s.Target, Mode: 0o777})
		case StepWrite:
			if err = hdr(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(s.Mode), Size: int64(len(s.Content))}); err == nil {
				_, err = tw.Write(s.Content)
			}
		}
		if err != nil {
			return fmt.Errorf("packing %s: %w", s.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("packing the staged files: %w", err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return fmt.Errorf("packing the staged files: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("packing the staged files: %w", err)
	}
	lw.flush()
	return nil
}
