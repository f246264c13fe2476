package lsb

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// errGap is what the sparse reader answers for bytes the snapshot did not
// keep.
var errGap = errors.New("past the bytes the snapshot keeps of the program")

// sparse serves the first and the last bytes of a file of size bytes:
// an ELF's headers, dynamic symbols and their names sit near its start
// (the linker's first segment), its section headers and their names at
// its end.
type sparse struct {
	head, tail []byte
	size       int64
	// gaps counts reads that fell where nothing was kept; zeroes stand
	// in for them (debug/elf reads the compression header of every
	// compressed section, Go's DWARF among them, mid-file), and a read of
	// what the verdict rests on that needed one is refused by the caller.
	gaps *int
}

func (s sparse) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errGap
	}
	n, err := s.readAt(p, off)
	if errors.Is(err, errGap) && s.gaps != nil {
		*s.gaps++
		clear(p)
		return len(p), nil
	}
	return n, err
}

func (s sparse) readAt(p []byte, off int64) (int, error) {
	end := off + int64(len(p))
	if end <= int64(len(s.head)) {
		return copy(p, s.head[off:]), nil
	}
	tailStart := s.size - int64(len(s.tail))
	if off >= tailStart && end <= s.size {
		return copy(p, s.tail[off-tailStart:]), nil
	}
	if off >= s.size {
		return 0, io.EOF
	}
	return 0, errGap
}

// elfFacts is what reading an ELF's headers and dynamic symbols tells.
type elfFacts struct {
	goProgram bool
	dynamic   bool     // it has dynamic symbols (imports from shared libraries)
	imports   []string // the process-making functions it imports, sorted
	err       error    // why its symbols could not be read
}

// spawners are the C library functions through which a program makes
// another process, or becomes one that outlives its parent's wait:
// fork(2), vfork(2), clone(2), daemon(3), posix_spawn(3), system(3),
// popen(3), the exec(3) family, and syscall(2), which can make any of
// them. A program that imports none of them and is not linked
// statically cannot leave the process start-stop-daemon made.
var spawners = map[string]bool{
	"fork": true, "vfork": true, "clone": true, "clone3": true, "__clone": true, "__clone2": true,
	"daemon": true, "posix_spawn": true, "posix_spawnp": true, "system": true, "popen": true,
	"execv": true, "execve": true, "execvp": true, "execvpe": true, "execl": true, "execle": true,
	"execlp": true, "fexecve": true, "syscall": true, "_Fork": true,
}

// readELF reads an ELF from its first and last bytes (all of it when
// whole).
func readELF(p Program) (facts elfFacts) {
	defer func() {
		// debug/elf guards against malformed input, but an image is
		// hostile: nothing it holds may stop the plan.
		if r := recover(); r != nil {
			facts = elfFacts{err: fmt.Errorf("its ELF headers do not read: %v", r)}
		}
	}()
	facts.goProgram = goNote(p.Head)
	var ra io.ReaderAt
	gaps := 0
	size := p.Size
	if p.Whole {
		ra, size = bytes.NewReader(p.Head), int64(len(p.Head))
	} else {
		ra = sparse{head: p.Head, tail: p.Tail, size: p.Size, gaps: &gaps}
	}
	f, err := elf.NewFile(io.NewSectionReader(ra, 0, size))
	if err != nil {
		facts.err = fmt.Errorf("its ELF headers do not read: %w", err)
		return facts
	}
	named := true
	for i, s := range f.Sections {
		switch s.Name {
		case ".go.buildinfo", ".gopclntab", ".note.go.buildid":
			facts.goProgram = true
		case "":
			named = named && (i == 0 || s.Type == elf.SHT_NULL)
		}
	}
	if !named {
		facts.err = errors.New("its section names are past the bytes the snapshot keeps")
		return facts
	}
	if f.Section(".dynsym") == nil {
		interp := false
		for _, prog := range f.Progs {
			interp = interp || prog.Type == elf.PT_INTERP
		}
		if interp {
			facts.err = errors.New("it names a dynamic loader but has no dynamic symbols to read")
		}
		return facts
	}
	facts.dynamic = true
	before := gaps
	syms, err := f.ImportedSymbols()
	if err == nil && gaps != before {
		err = errGap
	}
	if err != nil {
		facts.err = fmt.Errorf("its dynamic symbols do not read: %w", err)
		return facts
	}
	seen := map[string]bool{}
	for _, s := range syms {
		if spawners[s.Name] && !seen[s.Name] {
			seen[s.Name] = true
			facts.imports = append(facts.imports, s.Name)
		}
	}
	sort.Strings(facts.imports)
	return facts
}

// GoSpawnMarkers are the function names a Go program's symbol table
// (its pclntab, kept even when stripped) holds when it can start a
// process: syscall.forkExec (behind os.StartProcess and os/exec) and
// syscall.Exec (execve). The Go runtime never forks in place, so a Go
// program without them stays in the process it was started as. The
// snapshot looks for these names in the whole file.
var GoSpawnMarkers = []string{"syscall.forkExec", "syscall.Exec"}

func joinNames(names []string) string { return strings.Join(names, ", ") }

// goNote finds the Go build ID note the Go linker writes in an ELF's
// first page (.note.go.buildid: name "Go\x00\x00", type 4,
// cmd/internal/objabi and debug/buildinfo's ELF reader): the program is
// Go's, whatever else of it the snapshot kept.
func goNote(head []byte) bool {
	const sig = "\x04\x00\x00\x00Go\x00\x00"
	for off := 0; ; {
		i := bytes.Index(head[off:], []byte(sig))
		if i < 0 {
			return false
		}
		at := off + i
		if at >= 8 && bytes.Equal(head[at-8:at-4], []byte{4, 0, 0, 0}) {
			return true
		}
		off = at + 1
	}
}
