package initcompat

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
	"time"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The shell runner of the apply protocol: the remote transport feeds this
// program to `sh -s`. Its code is apply.sh; the plan follows as data that
// the shell only stores in a temporary directory, and the last line runs
// it, so a script cut short (a dropped connection) changes nothing in the
// image. The plugin takes the apply as done only when the script prints
// CompletedToken.
//
// It needs sh, coreutils and tar. INITCOMPAT_ROOT, when set, is prepended
// to every path (tests run the real script against a directory).

// CompletedToken is the last line of a complete apply's output.
const CompletedToken = "initcompat-apply-complete"

// HeldToken is the last line of an apply that stopped for its verify.
const HeldToken = "initcompat-apply-held"

// RecoveredPrefix starts the line a recovery prints on stderr: what it did.
const RecoveredPrefix = "initcompat-recovered "

// The shell lives in scripts/*.sh, embedded: lib.sh (the lock and the
// recovery, shared with the verify script), recover.sh (the recovery run
// before a snapshot) and apply.sh (the apply's code, to which the data of
// one plan is appended; see there for how a cut stream runs nothing).
// journal.sh's journal_check comes first: recovery refuses a journal it
// does not pass.
var shellLib = journalSh + libSh

var (
	//go:embed scripts/lib.sh
	libSh string
	//go:embed scripts/recover.sh
	recoverSh string
	//go:embed scripts/apply.sh
	applySh string
)

// RecoveryScript is run before the snapshot of an apply: it recovers what
// an interrupted apply left, under the lock, and changes nothing else.
func RecoveryScript() string { return "set -u\n" + shellLib + recoverSh }

// chunkSize bounds each here-document of the apply's data: the most the
// remote shell holds of it at once.
var chunkSize = 1 << 20

// dataEnd closes every here-document; no data line can be it (steps are
// quoted words, journal lines start with their kind, base64 has no "_").
const dataEnd = "INITCOMPAT_DATA"

// endToken ends the call on the last line: a line cut short lacks it.
const endToken = "initcompat-end"

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

// WriteApplyScript writes the apply script to w: apply.sh, then the data
// (payload, journal, steps), then the call. Its size is that of the code
// plus the data: the payload, a line or two a step.
func WriteApplyScript(w io.Writer, p *Plan) error {
	steps, err := p.Steps()
	if err != nil {
		return err
	}
	// Written as it is made: the plugin never holds the script whole.
	b := bufio.NewWriterSize(w, 1<<16)
	// bufio keeps the first write error and returns it from Flush.
	_, _ = b.WriteString("# initcompat apply: nothing touches the image before the last line.\nset -u\n")
	_, _ = b.WriteString(shellLib)
	_, _ = b.WriteString(applySh)
	c := &chunks{w: b, h: sha256.New()}
	if hasStaged(steps) {
		if err := writeArchive(c, steps, p.Gzip != ""); err != nil {
			return err
		}
	}
	sum := hex.EncodeToString(c.h.Sum(nil))
	body, err := journalBody(steps)
	if err != nil {
		return err
	}
	if body != "" {
		c.add("journal", body)
	}
	renderSteps(c, steps, len(p.Changes), p.Gzip)
	c.close()
	_, _ = b.WriteString("initcompat_apply " + sum + " " + endToken + "\n")
	return b.Flush()
}

// journalBody is the journal's lines after its state, which every journal
// step shares: sent once, written with each state by journal().
func journalBody(steps []Step) (string, error) {
	body, seen := "", false
	for _, s := range steps {
		if s.Op != StepJournal {
			continue
		}
		head := journalHeader + "\nstate " + s.State + "\n"
		rest, ok := strings.CutPrefix(string(s.Content), head)
		if !ok || (seen && rest != body) {
			return "", fmt.Errorf("the %s journal differs from the others beyond its state", s.State)
		}
		body, seen = rest, true
	}
	return body, nil
}

// renderSteps writes the steps as the lines apply.sh sources: one line
// (or a few) a step, the renames of one directory in a few mv.
func renderSteps(c *chunks, steps []Step, changes int, gz string) {
	q := func(p string) string { return `"$R"` + tree.ShellQuote(p) }
	put := func(s string) { c.add("ops", s) }
	putf := func(format string, args ...any) { put(fmt.Sprintf(format, args...)) }
	unpacked, checked := false, false
	for i := 0; i < len(steps); i++ {
		s := steps[i]
		if !checked && !isCheck(s.Op) {
			// The contents of every file are compared at once, before
			// anything is written.
			checked = true
			put("checked\n")
		}
		switch s.Op {
		case StepIsDir:
			putf("isdir %s\n", q(s.Path))
		case StepAbsent:
			putf("absent %s\n", q(s.Path))
		case StepIsFile:
			putf("isfile %s %s\n", q(s.Path), s.SHA256)
		case StepIsLink:
			putf("islink %s %s\n", q(s.Path), tree.ShellQuote(s.Target))
		case StepJournal:
			putf("journal %s\n", s.State)
		case StepMkdir:
			if path.Base(s.Path) == stageDir {
				continue // made by the archive
			}
			putf("mkdir -m %04o -- %s || fail %s\n", s.Mode, q(s.Path), tree.ShellQuote("cannot create "+s.Path))
		case StepWrite, StepSymlink:
			if !unpacked {
				unpacked = true
				unzip := ""
				if gz != "" {
					unzip = " | " + tree.ShellQuote(gz) + " -dc"
				}
				put(`base64 -d -- "$T/payload"` + unzip + ` | tar -x -m -p -P -f - -C "${R:-/}" || fail 'cannot unpack the staged files'` + "\n")
			}
		case StepRename:
			i = renderRenames(putf, q, steps, i)
		case StepFinish:
			put("trap '' HUP INT TERM PIPE\nrecover 2>/dev/null || echo \"initcompat: warning: the image is complete, tidying failed; the next run tidies\" >&2\nunlock\n")
		case StepBaseline:
			put("{ rm -f -- \"$B\" && analyzed >\"$B\"; } || fail 'cannot record what systemd-analyze verify says before the apply'\n")
		case StepHeld:
			putf("trap '' HUP INT TERM PIPE\nunlock\necho \"initcompat: committed %d change(s); verifying\"\necho %s\n", changes, HeldToken)
		case StepCompleted:
			putf("echo \"initcompat: applied %d change(s)\"\necho %s\n", changes, CompletedToken)
		}
	}
}

// renamesPerMv bounds one mv's arguments (100,000 names in one directory
// would pass ARG_MAX).
const renamesPerMv = 1000

// renderRenames writes the rename at steps[i], with those after it from
// the same stage directory into the same directory in batches of one mv,
// and returns the index of the last one written. Each mv is one add: a
// chunk never ends inside a command.
func renderRenames(putf func(string, ...any), q func(string) string, steps []Step, i int) int {
	s := steps[i]
	dir := path.Dir(s.Target)
	if path.Dir(s.Path) != StageDir(dir) {
		putf("mv -f -T -- %s %s || fail %s\n", q(s.Path), q(s.Target), tree.ShellQuote("cannot move "+s.Path+" to "+s.Target))
		return i
	}
	same := func(k int) bool {
		return k < len(steps) && steps[k].Op == StepRename && path.Dir(steps[k].Path) == StageDir(dir) && path.Dir(steps[k].Target) == dir
	}
	for {
		var line strings.Builder
		line.WriteString("mv -f -t " + q(dir) + " --")
		for n := 0; n < renamesPerMv && same(i); n, i = n+1, i+1 {
			line.WriteString(" " + q(steps[i].Path))
		}
		line.WriteString(" || fail " + tree.ShellQuote("cannot rename the staged files into "+dir) + "\n")
		putf("%s", line.String())
		if !same(i) {
			return i - 1
		}
	}
}

func isCheck(op StepOp) bool {
	return op == StepIsDir || op == StepAbsent || op == StepIsFile || op == StepIsLink
}

func hasStaged(steps []Step) bool {
	for _, s := range steps {
		if s.Op == StepWrite || s.Op == StepSymlink {
			return true
		}
	}
	return false
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

// writeArchive streams every staged file and link, with their stage
// directories, as a tar archive in base64 lines of the payload.
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
		case s.Op == StepMkdir && path.Base(s.Path) == stageDir:
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
