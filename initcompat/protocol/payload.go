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
	return s.Op == StepMkdir && strings.Contains(s.Path, inStage)
}

// inStage is in the path of everything a stage directory holds.
const inStage = "/" + stageDir + "/"

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
// what is in it) into one part. It returns how many parts there are and
// each step's part (-1: not in the payload). A unit is a name in a stage
// directory: a staged file, or a directory staged whole; only the latter
// are looked up again, by a key that is a prefix of their paths (no copy:
// 10,000 drop-in directories of 10,000 services are held in ~1 MiB).
func parts(steps []Step) (int, []int8) {
	unitOf := make([]int32, len(steps))
	var weights []int32 // each unit's entries
	made := map[string]int32{}
	total := 0
	for i, s := range steps {
		unitOf[i] = -1
		if !staging(s) {
			continue
		}
		key, whole := unitKey(s)
		u, seen := made[key]
		if !seen {
			u = int32(len(weights))
			weights = append(weights, 0)
			if whole {
				made[key] = u
			}
		}
		weights[u]++
		unitOf[i] = u
		total++
	}
	if total == 0 {
		return 0, nil
	}
	n := min(maxParts, max(1, total/minPartEntries))
	per := (total + n - 1) / n
	unitPart := make([]int8, len(weights))
	k, in := 0, 0
	for u, w := range weights {
		if in >= per && k < n-1 {
			k, in = k+1, 0
		}
		unitPart[u] = int8(k)
		in += int(w)
	}
	n = k + 1
	of := make([]int8, len(steps))
	for i, u := range unitOf {
		of[i] = -1
		if u >= 0 {
			of[i] = unitPart[u]
		}
	}
	return n, of
}

// unitKey is the unit of a staging step: the name in its stage directory
// its path is, or is in (a prefix of the path), and whether that is a
// directory staged whole (the step makes it, or is below it).
func unitKey(s Step) (string, bool) {
	i := strings.Index(s.Path, inStage)
	if i < 0 {
		return s.Path, false
	}
	end := i + len(inStage)
	if j := strings.IndexByte(s.Path[end:], '/'); j >= 0 {
		return s.Path[:end+j], true
	}
	return s.Path, s.Op == StepMkdir
}

// payloadFile is the data file of the payload's part i.
func payloadFile(i int) string { return fmt.Sprintf("payload.%d", i) }

// writeArchives streams each part of the staging steps as a tar archive
// (gzip'd when compress), in base64 lines of its own data file, and
// returns how many there are.
func writeArchives(c *chunks, steps []Step, compress bool) (int, error) {
	n, of := parts(steps)
	for k := range n {
		if err := writeArchive(c, payloadFile(k), steps, func(i int) bool { return of[i] == int8(k) }, compress); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// writeArchive writes the steps in (those of one part) as one archive.
func writeArchive(c *chunks, file string, steps []Step, in func(i int) bool, compress bool) error {
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
	for i, s := range steps {
		if !in(i) {
			continue
		}
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
