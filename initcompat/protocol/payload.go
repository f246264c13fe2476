package protocol

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
	"time"
)

// The shell runner's data: here-documents of at most chunkSize bytes,
// and the payload, one tar archive of every staged file, in base64.

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
	if file == "payload" {
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

// lineWriter breaks base64 text into 76-column lines, each one add.
type lineWriter struct {
	c    *chunks
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
		l.c.add("payload", string(l.line)+"\n")
		l.line = l.line[:0]
	}
}

// archived is a directory the payload's archive makes: a stage directory,
// or a directory the plan makes, staged in one (with its mode: tar -p).
func archived(s Step) bool {
	return s.Op == StepMkdir && (path.Base(s.Path) == stageDir || strings.Contains(s.Path, "/"+stageDir+"/"))
}

// writeArchive streams every staged file and link, with their stage
// directories and the directories staged in them, as a tar archive in
// base64 lines of the payload.
func writeArchive(c *chunks, steps []Step, compress bool) error {
	lw := &lineWriter{c: c, line: make([]byte, 0, 76)}
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
	for _, s := range steps {
		name := strings.TrimPrefix(s.Path, "/")
		var err error
		switch {
		case archived(s):
			err = hdr(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: int64(s.Mode)})
		case s.Op == StepSymlink:
			err = hdr(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: s.Target, Mode: 0o777})
		case s.Op == StepWrite:
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
