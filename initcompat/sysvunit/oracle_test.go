//go:build linux

package sysvunit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/sysvunit/sysvunittest"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree/treetest"
)

// The oracle: the real systemd-sysv-generator, run offline over trees made
// from every init script of the repository's golden cases and from a
// generated matrix of LSB headers, against Generate over the same trees.
// The generator reads $SYSTEMD_SYSVINIT_PATH and $SYSTEMD_SYSVRCND_PATH,
// looks native units up on $SYSTEMD_UNIT_PATH, and writes units, wants
// links and alias links into the directory it is given (its run(), and
// lookup_paths_init() in src/shared/path-lookup.c). Each unit is compared
// property by property after both texts pass the same parser; a difference
// is a bug in this package unless knownDifference explains it.

// generatorBin is one real generator and how to run it on this host.
type generatorBin struct {
	name string
	argv []string // the command, before the three output directories
}

// generators finds bookworm's (this host's /lib/systemd) and trixie's (the
// e2e cache's debootstrapped tree, run with its own dynamic loader and
// libraries, so nothing of the host's is mixed in).
func generators(t *testing.T) []generatorBin {
	var out []generatorBin
	var missing []string
	if p := "/lib/systemd/system-generators/systemd-sysv-generator"; isExec(p) && hostSystemd() == "252" {
		out = append(out, generatorBin{"bookworm-252", []string{p}})
	} else {
		missing = append(missing, "bookworm's generator at "+p)
	}
	cache := os.Getenv("INITCOMPAT_E2E_CACHE")
	if cache == "" {
		cache = "/var/cache/initcompat-e2e"
	}
	tx := filepath.Join(cache, "trixie")
	if gen := filepath.Join(tx, "usr/lib/systemd/system-generators/systemd-sysv-generator"); isExec(gen) {
		out = append(out, generatorBin{"trixie-257", []string{filepath.Join(tx, "usr/lib64/ld-linux-x86-64.so.2"),
			"--library-path", filepath.Join(tx, "usr/lib/x86_64-linux-gnu") + ":" + filepath.Join(tx, "usr/lib/x86_64-linux-gnu/systemd"), gen}})
	} else {
		missing = append(missing, "trixie's tree at "+tx+" (the e2e suite debootstraps it: INITCOMPAT_E2E_SUITES=trixie)")
	}
	if len(missing) > 0 {
		msg := "the generator oracle lacks " + strings.Join(missing, " and ")
		if os.Getenv("INITCOMPAT_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Log(msg)
	}
	return out
}

func hostSystemd() string {
	m, _ := filepath.Glob("/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-*.so")
	if len(m) != 1 {
		return ""
	}
	v, _ := libVersion(filepath.Base(m[0]))
	return v
}

func libVersion(base string) (string, bool) {
	v, ok := strings.CutPrefix(base, "libsystemd-shared-")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(v, ".so")
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o100 != 0
}

// oracleTree is one image tree on disk.
type oracleTree struct {
	name string
	dir  string
}

func TestGeneratorOracle(t *testing.T) {
	gens := generators(t)
	if len(gens) == 0 {
		t.Skip("no systemd-sysv-generator to ask (see the log)")
	}
	trees := append(goldenTrees(t), matrixTree(t))
	total, scripts := 0, 0
	var disagreements []string
	for _, g := range gens {
		for _, tr := range trees {
			got, want, err := compareTree(g, tr.dir)
			if err != nil {
				t.Fatalf("%s over %s: %v", g.name, tr.name, err)
			}
			total++
			scripts += len(want)
			for _, d := range diff(got, want) {
				if why := knownDifference(tr.name, d); why != "" {
					t.Logf("%s %s: %s (%s)", g.name, tr.name, d, why)
					continue
				}
				disagreements = append(disagreements, fmt.Sprintf("%s %s: %s", g.name, tr.name, d))
			}
		}
	}
	t.Logf("generator oracle: %d generators x %d trees, %d scripts' units compared, %d disagreements", len(gens), len(trees), scripts, len(disagreements))
	if scripts < 150 {
		t.Errorf("only %d units compared", scripts)
	}
	for _, d := range disagreements {
		t.Error(d)
	}
}

// knownDifference explains a difference that is not a bug: what initcompat
// does to hostile text on purpose.
func knownDifference(treeName, d string) string {
	switch {
	case treeName == "matrix" && strings.HasPrefix(d, "trailing-backslash.service Description"):
		return "the generator writes the trailing backslash, which continues the unit line onto the next: initcompat drops it"
	case treeName == "matrix" && strings.HasPrefix(d, "not-utf8.service Description"):
		return "systemd 252 and 257 refuse to load the generator's unit (LoadState=error, seen booted: e2e TestNativeUnitsMatrixBooted), so the script never ran; initcompat writes U+FFFD and its unit loads"
	case treeName == "matrix" && d == `with\x20space.service: the generator makes it, initcompat does not`:
		return "its ExecStart=/etc/init.d/with space start runs /etc/init.d/with with the arguments space and start: initcompat makes no unit"
	case treeName == "matrix" && d == `prov-native.service Alias: initcompat "", generator "masked-one.service native-one.service"`:
		return "the generator links aliases that a native unit and a mask shadow (its directory is last on the unit path); initcompat writes none"
	case treeName == "matrix" && strings.HasPrefix(d, "reload-lsb-") && strings.Contains(d, "Alias:") && strings.Count(d, "reload-lsb.service") == 1:
		return "nine scripts provide reload-lsb: the generator's pick follows its hashmap's order, initcompat takes the first by name"
	case treeName == "nativeunit/names-collide" && strings.HasPrefix(d, "foo.service "):
		return "foo and foo.sh both make foo.service: the generator's pick follows readdir order, initcompat takes the first by name"
	case treeName == "nativeunit/names-escape" && (d == `a\b.service: the generator makes it, initcompat does not` || d == `svc\x20with\x20space.service: the generator makes it, initcompat does not`):
		return "its ExecStart= would split or unquote the file name: initcompat makes no unit"
	case strings.HasPrefix(d, "tmpl@.service: the generator makes it, initcompat does not"):
		return "a template: the generator linked it into the target's wants, which systemd refuses (a template starts only as an instance); initcompat makes no unit and says so"
	case treeName == "nativeunit/header-hostile" && d == `hostile.service Alias: initcompat "..-evil.service \\x25n.service", generator "..-evil.service \\x25n.service cron.service systemd-journald.service"`:
		return "the generator links aliases that a native unit shadows (its directory is last on the unit path); initcompat writes none"
	case treeName == "nativeunit/header-hostile" && strings.HasPrefix(d, "hostile.service Description"):
		return "the generator writes the trailing backslash, which continues the unit line onto the next: initcompat drops it"
	}
	return ""
}

// props is a unit as far as the oracle compares it.
type props map[string]string

// compareTree runs the generator and Generate over dir and returns both
// sets of units, keyed by unit name.
func compareTree(g generatorBin, dir string) (got, want map[string]props, err error) {
	out, err := os.MkdirTemp("", "sysv-oracle-")
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = os.RemoveAll(out) }()
	unitPath := []string{filepath.Join(dir, "etc/systemd/system"), filepath.Join(dir, "usr/lib/systemd/system"), filepath.Join(dir, "lib/systemd/system")}
	cmd := exec.Command(g.argv[0], append(g.argv[1:], out, out, out)...)
	cmd.Env = []string{"SYSTEMD_SYSVINIT_PATH=" + filepath.Join(dir, "etc/init.d"), "SYSTEMD_SYSVRCND_PATH=" + filepath.Join(dir, "etc"),
		"SYSTEMD_UNIT_PATH=" + strings.Join(unitPath, ":"), "SYSTEMD_LOG_LEVEL=err", "PATH=/usr/bin:/bin"}
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("%v: %w\n%s", cmd.Args, err, b)
	}
	want, err = readGenerated(out)
	if err != nil {
		return nil, nil, err
	}
	got, err = ours(dir, unitPath)
	return got, want, err
}

// readGenerated reads what the generator wrote: units, alias links in its
// directory, and TARGET.wants links.
func readGenerated(out string) (map[string]props, error) {
	res := map[string]props{}
	ents, err := os.ReadDir(out)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		p := filepath.Join(out, e.Name())
		if e.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			pr, err := parseProps(e.Name(), data)
			if err != nil {
				return nil, err
			}
			res[e.Name()] = merge(res[e.Name()], pr)
		}
	}
	for _, e := range ents {
		p := filepath.Join(out, e.Name())
		switch {
		case e.Type()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			res[target] = addList(res[target], "Alias", e.Name())
		case e.IsDir() && strings.HasSuffix(e.Name(), ".wants"):
			links, _ := os.ReadDir(p)
			for _, l := range links {
				res[l.Name()] = addList(res[l.Name()], "WantedBy", strings.TrimSuffix(e.Name(), ".wants"))
			}
		}
	}
	return res, nil
}

// ours runs Generate over the same tree, as the shim will over a snapshot:
// the scripts the generator would read (regular after symlinks, owner
// executable), the rc entries by name, and the native units by name.
func ours(dir string, unitPath []string) (map[string]props, error) {
	initd := filepath.Join(dir, "etc/init.d")
	ents, _ := os.ReadDir(initd)
	var scripts []Script
	for _, e := range ents {
		p := filepath.Join(initd, e.Name())
		if !isExec(p) {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		scripts = append(scripts, Script{Path: p, Data: data})
	}
	var links []Link
	for _, rl := range []string{"0", "1", "2", "3", "4", "5", "6", "S"} {
		es, _ := os.ReadDir(filepath.Join(dir, "etc", "rc"+rl+".d"))
		for _, e := range es {
			links = append(links, Link{Runlevel: rl, Name: e.Name()})
		}
	}
	native := func(u string) bool {
		for _, d := range unitPath {
			if _, err := os.Lstat(filepath.Join(d, u)); err == nil {
				return true
			}
		}
		return false
	}
	res := map[string]props{}
	for _, u := range Generate(scripts, links, Options{Native: native}).Units {
		pr, err := parseProps(u.Name, Render(u, "# oracle"))
		if err != nil {
			return nil, err
		}
		delete(pr, "WantedBy") // [Install]: not the generator's; its links are
		for _, t := range u.Enabled {
			// The wants link, and the Before= the generator wrote for it
			// and a target's default dependencies give the native unit.
			pr = addList(pr, "WantedBy", t)
			pr = addList(pr, "Before", t)
		}
		for _, a := range u.Aliases {
			pr = addList(pr, "Alias", a)
		}
		res[u.Name] = merge(res[u.Name], pr)
	}
	return res, nil
}

// listKeys are compared as sets: systemd keeps one dependency per unit.
var listKeys = map[string]bool{"Before": true, "After": true, "Wants": true, "WantedBy": true, "Alias": true}

// parseProps reads a unit with initcompat's own parser (go-systemd's, as
// the planner reads units back).
func parseProps(name string, data []byte) (props, error) {
	opts, err := systemd.Parse(name, data)
	if err != nil {
		return nil, err
	}
	pr := props{}
	for _, o := range opts {
		if o.Section == "Install" {
			if o.Name == "WantedBy" {
				for _, w := range strings.Fields(o.Value) {
					pr = addList(pr, "WantedBy", w)
				}
			}
			continue
		}
		if listKeys[o.Name] {
			for _, w := range strings.Fields(o.Value) {
				pr = addList(pr, o.Name, w)
			}
			continue
		}
		pr[o.Name] = o.Value
	}
	return pr, nil
}

func addList(pr props, key, v string) props {
	if pr == nil {
		pr = props{}
	}
	items := strings.Fields(pr[key])
	if !slices.Contains(items, v) {
		items = append(items, v)
	}
	slices.Sort(items)
	pr[key] = strings.Join(items, " ")
	return pr
}

func merge(a, b props) props {
	if a == nil {
		return b
	}
	for k, v := range b {
		if listKeys[k] {
			for _, w := range strings.Fields(v) {
				a = addList(a, k, w)
			}
			continue
		}
		a[k] = v
	}
	return a
}

// diff lists "UNIT KEY: ours=... generator=..." for every difference.
func diff(got, want map[string]props) []string {
	var out []string
	names := map[string]bool{}
	for n := range got {
		names[n] = true
	}
	for n := range want {
		names[n] = true
	}
	for _, n := range slices.Sorted(mapKeys(names)) {
		g, w := got[n], want[n]
		switch {
		case g == nil:
			out = append(out, n+": the generator makes it, initcompat does not")
			continue
		case w == nil:
			out = append(out, n+": initcompat makes it, the generator does not")
			continue
		}
		keys := map[string]bool{}
		for k := range g {
			keys[k] = true
		}
		for k := range w {
			keys[k] = true
		}
		for _, k := range slices.Sorted(mapKeys(keys)) {
			if g[k] != w[k] {
				out = append(out, fmt.Sprintf("%s %s: initcompat %q, generator %q", n, k, g[k], w[k]))
			}
		}
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// goldenTrees writes the image of every golden case with an init script
// (initcompat/testdata/*/*.txtar, its base laid under it as the golden
// test lays it) to disk.
func goldenTrees(t *testing.T) []oracleTree {
	files, _ := filepath.Glob("../testdata/*/*.txtar")
	var out []oracleTree
	for _, f := range files {
		if strings.Contains(f, "/base/") {
			continue
		}
		ar, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		own, err := treetest.Parse(ar.Files, "tree/")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(own, func(m treetest.Member) bool { return strings.HasPrefix(m.Path, "etc/init.d/") }) {
			continue
		}
		var members []treetest.Member
		if base := strings.TrimSpace(string(memberData(ar, "base"))); base != "" {
			bar, err := txtar.ParseFile(filepath.Join("../testdata/base", base+".txtar"))
			if err != nil {
				t.Fatal(err)
			}
			if members, err = treetest.Parse(bar.Files, ""); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range own {
			p := strings.TrimPrefix(m.Path, "!")
			members = slices.DeleteFunc(members, func(b treetest.Member) bool { return b.Path == p || strings.HasPrefix(b.Path, p+"/") })
			if !strings.HasPrefix(m.Path, "!") {
				members = append(members, m)
			}
		}
		dir := filepath.Join(t.TempDir(), "root")
		if err := treetest.WriteDir(dir, members); err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel("../testdata", f)
		out = append(out, oracleTree{name: strings.TrimSuffix(rel, ".txtar"), dir: dir})
	}
	if len(out) < 10 {
		t.Fatalf("only %d golden cases with init scripts", len(out))
	}
	return out
}

func memberData(ar *txtar.Archive, name string) []byte {
	for _, f := range ar.Files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

// matrixTree writes the generated matrix (package sysvunittest) to disk.
func matrixTree(t *testing.T) oracleTree {
	dir := filepath.Join(t.TempDir(), "root")
	if err := sysvunittest.Write(dir); err != nil {
		t.Fatal(err)
	}
	return oracleTree{name: "matrix", dir: dir}
}
