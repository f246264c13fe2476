package insserv

import (
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// Levels is a set of runlevels as insserv's bits (listing.h, LVL_*): 0-6
// and the boot level S.
type Levels uint16

// The levels insserv groups (listing.h): LVL_ALL are those of
// .depend.start, LVL_NORM those of .depend.stop.
const (
	LevelS     Levels = 1 << 7
	levelAll   Levels = 0x7f // 0-6
	levelNorm  Levels = 0x7f
	maxScripts        = 10000
)

// ParseLevels reads "2 3 4 5" (Default-Start's words).
func ParseLevels(words []string) Levels {
	var l Levels
	for _, w := range words {
		switch {
		case w == "S" || w == "s":
			l |= LevelS
		case len(w) == 1 && w[0] >= '0' && w[0] <= '6':
			l |= 1 << (w[0] - '0')
		}
	}
	return l
}

// Dirs are the rc directories of the levels: "rcS.d", "rc2.d".
func (l Levels) Dirs() []string {
	var out []string
	for i := range 7 {
		if l&(1<<i) != 0 {
			out = append(out, "rc"+strconv.Itoa(i)+".d")
		}
	}
	if l&LevelS != 0 {
		out = append(out, "rcS.d")
	}
	return out
}

// Script is one script of /etc/init.d as insserv sees it.
type Script struct {
	Name   string
	Header Header
	// Start and Stop are the levels of its S and K links; with none at
	// all, its Default-Start and Default-Stop (insserv.c, main: a script
	// not linked in yet gets its defaults).
	Start, Stop Levels
	// Seq are its links' sequence numbers by rc directory name and
	// prefix ("rc2.d/S").
	Seq map[string]int
}

func (s *Script) all() bool   { return hasAll(s.Header.RequiredStart) || hasAll(s.Header.ShouldStart) }
func (s *Script) first() bool { return hasAll(s.Header.RequiredStop) || hasAll(s.Header.ShouldStop) }

func hasAll(words []string) bool {
	for _, w := range words {
		if strings.EqualFold(strings.TrimPrefix(w, "+"), "$all") {
			return true
		}
	}
	return false
}

// Image is what insserv reads of an image: the scripts, their links, the
// facilities of /etc/insserv.conf, and the three files as they are.
type Image struct {
	Scripts     map[string]*Script
	facilities  map[string][]string
	interactive map[string]bool
	// Files are the three .depend files by path; nil when absent.
	Files map[string]*Makefile
	// Problem says why the files cannot be kept by this package ("" when
	// they can): one is missing or not as insserv writes it.
	Problem string
}

// Places are what Read reads beyond /etc/init.d and the rc directories.
var Places = []string{"/etc/insserv.conf", "/etc/insserv.conf.d", "/etc/insserv/overrides", "/usr/share/insserv/overrides"}

// linkRE is an rc link's name (startpar's filter takes the name after its
// first three characters).
var linkRE = regexp.MustCompile(`^([SK])([0-9][0-9])(.+)$`)

// Read reads the image. initd and rc map the directories to their real
// paths in the tree (init.d, and rcS.d for "S").
func Read(t *tree.Tree, initd string, rc map[string]string) *Image {
	img := &Image{Scripts: map[string]*Script{}, facilities: map[string][]string{}, interactive: map[string]bool{}, Files: map[string]*Makefile{}}
	img.readConf(t)
	for _, e := range t.ReadDir(initd) {
		name := path.Base(e.Path)
		if !scriptFile(t, e, name) || len(img.Scripts) >= maxScripts {
			continue
		}
		data := e.Data
		if e.Kind == tree.Symlink {
			if r, err := t.ReadFile(e.Path); err == nil {
				data = r
			}
		}
		for _, o := range []string{"/etc/insserv/overrides/", "/usr/share/insserv/overrides/"} {
			if d, err := t.ReadFile(o + name); err == nil {
				data = d
				break
			}
		}
		img.Scripts[name] = &Script{Name: name, Header: ParseHeader(data), Seq: map[string]int{}}
	}
	linked := map[string]bool{}
	for _, lv := range []string{"0", "1", "2", "3", "4", "5", "6", "S"} {
		dir, ok := rc[lv]
		if !ok {
			continue
		}
		bit := ParseLevels([]string{lv})
		for _, e := range t.ReadDir(dir) {
			m := linkRE.FindStringSubmatch(path.Base(e.Path))
			if m == nil || e.Kind != tree.Symlink {
				continue
			}
			s := img.Scripts[m[3]]
			if s == nil {
				continue
			}
			linked[s.Name] = true
			n, _ := strconv.Atoi(m[2])
			s.Seq["rc"+lv+".d/"+m[1]] = n
			if m[1] == "S" {
				s.Start |= bit
			} else {
				s.Stop |= bit
			}
		}
	}
	for _, s := range img.Scripts {
		if !linked[s.Name] {
			s.Start, s.Stop = ParseLevels(s.Header.DefaultStart), ParseLevels(s.Header.DefaultStop)
		}
	}
	for _, f := range []string{BootFile, StartFile, StopFile} {
		e, ok := t.Lstat(f)
		if !ok {
			img.Problem = f + " is missing"
			continue
		}
		if e.Kind != tree.File || e.Omitted {
			img.Problem = f + " is not a regular file the snapshot read"
			continue
		}
		m, err := ParseMakefile(e.Data)
		if err != nil {
			img.Problem = f + ": " + err.Error()
			continue
		}
		img.Files[f] = m
	}
	return img
}

// scriptFile applies insserv's filter on /etc/init.d's names (insserv.c,
// main, and cfgfile_filter): executable regular files, and links with a
// "/" in their target to one; no dot files, README*, Makefile*, core, rx,
// skeleton*, powerfail*, rc, rcS, backups and package-manager leftovers.
func scriptFile(t *tree.Tree, e *tree.Entry, name string) bool {
	switch {
	case strings.HasPrefix(name, "."), strings.HasPrefix(name, "README"), strings.HasPrefix(name, "Makefile"),
		name == "core", name == "rx", strings.HasPrefix(name, "skeleton"), strings.HasPrefix(name, "powerfail"),
		name == "rc", name == "rcS", strings.HasSuffix(name, "~"), strings.HasSuffix(name, ",v"),
		strings.ContainsRune("$.#%_+-\\*[]^:()~", rune(name[0])):
		return false
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext := name[i+1:]
		for _, p := range []string{"rpm", "ba", "dpkg", "ucf"} {
			if strings.HasPrefix(ext, p) {
				return false
			}
		}
		if slices.Contains([]string{"old", "new", "org", "orig", "save", "swp", "core"}, ext) {
			return false
		}
	}
	switch e.Kind {
	case tree.File:
		return e.Mode&0o100 != 0
	case tree.Symlink:
		if !strings.Contains(e.Target, "/") {
			return false
		}
		s, ok := t.Stat(e.Path)
		return ok && s.Kind == tree.File && s.Mode&0o100 != 0
	}
	return false
}

// readConf reads /etc/insserv.conf, then /etc/insserv.conf.d/* in name
// order (insserv.c, scan_conf and scan_conf_file): "$facility words" and
// "<interactive> names".
func (img *Image) readConf(t *tree.Tree) {
	files := []string{"/etc/insserv.conf"}
	var more []string
	for _, e := range t.ReadDir("/etc/insserv.conf.d") {
		n := path.Base(e.Path)
		if n == "" || strings.HasPrefix(n, ".") || !scriptFileName(n) {
			continue
		}
		more = append(more, e.Path)
	}
	slices.Sort(more)
	for _, f := range append(files, more...) {
		data, err := t.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l == "" || l[0] == '#' {
				continue
			}
			if m := confRE.FindStringSubmatch(l); m != nil {
				key := m[1]
				img.facilities[key] = append(img.facilities[key], tokens(printable(m[3]))...)
				continue
			}
			if m := conf2RE.FindStringSubmatch(l); m != nil && strings.EqualFold(m[1], "<interactive>") {
				for _, n := range tokens(printable(m[3])) {
					img.interactive[n] = true
				}
			}
		}
	}
}

func scriptFileName(n string) bool {
	i := strings.LastIndexByte(n, '.')
	if i < 0 {
		return true
	}
	ext := n[i+1:]
	for _, p := range []string{"rpm", "ba", "dpkg", "ucf"} {
		if strings.HasPrefix(ext, p) {
			return false
		}
	}
	return !slices.Contains([]string{"old", "new", "org", "orig", "save", "swp", "core"}, ext)
}

// CONFLINE and CONFLINE2 of insserv.c.
var (
	confRE  = regexp.MustCompile(`(?i)^(\$[a-z0-9_-]+)([ \t]*[=:][ \t]*|[ \t]+)(.*)`)
	conf2RE = regexp.MustCompile(`(?i)^(<[a-z0-9_-]+>)([ \t]*[=:][ \t]*|[ \t]+)(.*)`)
)

// tokens splits as insserv's strsep loops do: at " ,;\t", ending at the
// first empty token.
func tokens(s string) []string {
	var out []string
	for {
		i := strings.IndexAny(s, " ,;\t")
		tok := s
		if i >= 0 {
			tok = s[:i]
		}
		if tok == "" {
			return out
		}
		out = append(out, tok)
		if i < 0 {
			return out
		}
		s = s[i+1:]
	}
}

// Watches are what Read reads: the snapshot takes them.
func Watches() []tree.Watch {
	w := []tree.Watch{{Path: "etc/init.d", Content: true}, {Path: "etc/insserv.conf", Content: true}}
	for _, p := range Places[1:] {
		w = append(w, tree.Watch{Path: p[1:], Content: true})
	}
	for _, l := range []string{"0", "1", "2", "3", "4", "5", "6", "S"} {
		w = append(w, tree.Watch{Path: "etc/rc" + l + ".d", Content: true})
	}
	return w
}
