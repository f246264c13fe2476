//go:build linux

package planner_test

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/initcompat/packer-plugin-initcompat/initcompat"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/protocol"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The preset oracle (issue 32): the real systemctl judges the pins. Each
// case (the golden cases of testdata/preset, and the generated matrix of
// preset_matrix_test.go) is laid into a directory as an image at rest,
// snapshotted, planned and applied as the root_dir transport does it
// (tree.FromDir, initcompat.BuildPlan, protocol.Apply). Then, on a copy
// each, the distribution's own presets are added and
// `systemctl --root=DIR preset-all --preset-mode=full|enable-only` runs, as
// systemd does at a first boot (systemd.preset(5); machine-id(5), "First
// Boot Semantics": enable-only, or full where systemd is built with
// first-boot-full-preset) and as a person does by hand. What
// `systemctl --root=DIR list-unit-files` and `is-enabled` say afterwards
// is held to what they said of the applied image:
//   - every unit the preset file names keeps its state, and the file names
//     each unit in the state the build left it;
//   - with pin_all_enablement, every unit and instance keeps its state and
//     no enablement link under /etc/systemd/system changes.
//
// The distributions' presets: Debian's own 90-systemd.preset (the host's,
// from its systemd package; units no line names are enabled, as a
// catch-all "enable *" would), Fedora's catch-all "disable *"
// (99-default-disable.preset, from fedora-release), and a contrary file
// that names every pinned unit the other way round, in a name ("00-")
// that sorts right after initcompat's "0-".
//
// Negative controls: the same applied image without initcompat's preset
// file, under the contrary presets (both modes), Debian's at a Debian
// first boot (enable-only) and Fedora's at a Fedora one (full): the pins
// must not hold by themselves there.

// presetCase is one build: the image before it, and the configuration.
type presetCase struct {
	name, detail string
	tree         *tree.Tree
	pol          plan.Policy
	// wantPlan is a golden case's plan: the image laid on disk must plan
	// the same, or the directory is not the case.
	wantPlan string
}

// presetRun is one preset-all: the distribution's presets and the mode.
type presetRun struct {
	vendor, mode string
	// without runs it on the image without initcompat's preset file.
	without bool
}

var (
	presetRuns = []presetRun{
		{"debian", "full", false}, {"debian", "enable-only", false},
		{"fedora", "full", false}, {"fedora", "enable-only", false},
		{"contrary", "full", false}, {"contrary", "enable-only", false},
	}
	presetControls = []presetRun{
		{"contrary", "full", true}, {"contrary", "enable-only", true},
		{"debian", "enable-only", true}, {"fedora", "full", true},
	}
)

const presetFile = "/etc/systemd/system-preset/0-initcompat.preset"

// presetTally counts what the oracle saw, over every case.
type presetTally struct {
	sync.Mutex
	cases, noPins, runs, controls int
	units                         int            // pinned units held to their state, over every run
	warned                        int            // units the plan says presets cannot keep (Also=)
	flips                         map[string]int // control run -> pinned units that changed
	controlCases                  map[string]int // control run -> cases where some pin did not hold
}

func TestPresetOracle(t *testing.T) {
	systemctl, err := exec.LookPath("systemctl")
	if err != nil {
		t.Skip("systemctl is not installed: the real systemd cannot judge the pins here (apt-get install systemd)")
	}
	debian := debianPresets(t)
	o := &presetOracle{systemctl: systemctl, debian: debian, tally: &presetTally{flips: map[string]int{}, controlCases: map[string]int{}}}

	t.Run("golden", func(t *testing.T) {
		files, err := filepath.Glob(filepath.Join(testdataDir, "preset", "*.txtar"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no golden preset cases: %v", err)
		}
		for _, file := range files {
			t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
				ar, err := txtar.ParseFile(file)
				if err != nil {
					t.Fatal(err)
				}
				tr := loadTree(t, filepath.Join(testdataDir, "base"), member(ar, "base"), ar)
				abs, _ := filepath.Abs(file)
				pol := policyOf(t, ar)
				o.run(t, presetCase{name: abs, tree: tr, pol: pol, wantPlan: member(ar, "plan")})
			})
		}
	})
	t.Run("matrix", func(t *testing.T) {
		cases := presetMatrix(t)
		for i, c := range cases {
			if testing.Short() && i%6 != 0 {
				continue
			}
			t.Run(strings.TrimPrefix(c.name, "matrix/"), func(t *testing.T) {
				t.Parallel()
				t.Log(c.detail)
				o.run(t, c)
			})
		}
	})

	tl := o.tally
	t.Logf("preset oracle: %d cases (%d without a preset file to judge), %d preset-all runs with initcompat's pins, %d pinned unit states held, %d warned of and enabled as warned (Also=); negative controls: %d runs",
		tl.cases, tl.noPins, tl.runs, tl.units, tl.warned, tl.controls)
	for _, r := range presetControls {
		k := r.String()
		t.Logf("  control %s: %d cases where the pins did not hold without initcompat's file, %d pinned units changed", k, tl.controlCases[k], tl.flips[k])
		if tl.controlCases[k] == 0 {
			t.Errorf("control %s: without initcompat's file every pin held in every case: the oracle proves nothing there", k)
		}
	}
}

func (r presetRun) String() string {
	s := r.vendor + "/" + r.mode
	if r.without {
		s += " without initcompat's file"
	}
	return s
}

// debianPresets is Debian's own 90-systemd.preset, as its systemd package
// installs it on this host.
func debianPresets(t *testing.T) []byte {
	for _, p := range []string{"/usr/lib/systemd/system-preset/90-systemd.preset", "/lib/systemd/system-preset/90-systemd.preset"} {
		if data, err := os.ReadFile(p); err == nil {
			return data
		}
	}
	t.Skip("no 90-systemd.preset on this host: the distribution's presets are systemd's package's")
	return nil
}

type presetOracle struct {
	systemctl string
	debian    []byte
	tally     *presetTally
}

// run builds one case and holds its pins to every preset-all.
func (o *presetOracle) run(t *testing.T, c presetCase) {
	dir := filepath.Join(t.TempDir(), "image")
	writeTree(t, dir, c.tree)
	before := instanceLinks(t, dir)
	snap, err := tree.FromDir(dir, initcompat.Watches(c.pol), 0, c.pol.ManifestFile())
	if err != nil {
		t.Fatal(err)
	}
	pl := initcompat.BuildPlan(snap, c.pol)
	if c.wantPlan != "" && strings.TrimSpace(pl.Text()) != c.wantPlan {
		t.Fatalf("the image laid on disk plans otherwise than the golden case:\n%s", pl.Text())
	}
	if errs := pl.Errors(); len(errs) > 0 {
		t.Fatalf("the plan has errors:\n%s", pl.Text())
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = protocol.Apply(t.Context(), root, pl, protocol.Options{})
	_ = root.Close()
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	o.tally.Lock()
	o.tally.cases++
	o.tally.Unlock()
	if !slices.ContainsFunc(pl.Changes, func(ch plan.Change) bool { return ch.Path == presetFile && ch.Op == plan.OpWrite }) {
		o.tally.Lock()
		o.tally.noPins++
		o.tally.Unlock()
		t.Logf("the plan writes no preset file (%s): nothing to judge", strings.TrimSpace(lastLine(pl.Text())))
		return
	}
	data, err := os.ReadFile(filepath.Join(dir, presetFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := readPresetLines(t, data)
	inv := initcompat.Inspect(snap, c.pol)
	universe := instanceUniverse(inv, lines, before, instanceLinks(t, dir))
	s0 := o.states(t, dir, universe)
	links0 := enablementLinks(t, dir)
	pinned := pinnedStates(lines, universe)
	// The units the plan warns a preset enables with another (Also=): held
	// to the warning instead, which must come true.
	warned := alsoWarned(pl)
	cameTrue := map[string]bool{}

	// The file says what the build left.
	for u, want := range pinned {
		if got := s0[u]; got != want && (want != "disabled" || got != "masked") {
			t.Errorf("the preset file pins %s %s, but the build left it %s (systemctl is-enabled)", u, want, got)
		}
	}
	for _, r := range presetRuns {
		s1, links1 := o.preset(t, dir, r, lines, s0)
		held := 0
		for _, u := range slices.Sorted(maps.Keys(s0)) {
			_, pin := pinned[u]
			switch {
			case s1[u] == s0[u]:
				if pin {
					held++
				}
			case warned[u]:
				cameTrue[u] = true
			case pin:
				t.Errorf("%s: %s was %s after the build and is %s after preset-all", r, u, s0[u], s1[u])
			case c.pol.PinAllEnablement && (s0[u] == "enabled" || s0[u] == "disabled"):
				t.Errorf("%s, pin_all_enablement: %s was %s after the build and is %s after preset-all", r, u, s0[u], s1[u])
			}
		}
		if l0, l1 := dropLinks(links0, warned), dropLinks(links1, warned); c.pol.PinAllEnablement && l0 != l1 {
			t.Errorf("%s, pin_all_enablement: the enablement links changed:\n--- after the build\n%s--- after preset-all\n%s", r, l0, l1)
		}
		o.tally.Lock()
		o.tally.runs++
		o.tally.units += held
		o.tally.Unlock()
	}
	for u := range warned {
		if !cameTrue[u] {
			t.Errorf("the plan warns that presets enable %s with a unit that names it in Also=, and no preset-all did", u)
		}
	}
	o.tally.Lock()
	o.tally.warned += len(warned)
	o.tally.Unlock()

	// Negative controls: without the file the same presets undo the build.
	flippable := 0
	for u := range pinned {
		if s0[u] == "enabled" || s0[u] == "disabled" {
			flippable++
		}
	}
	for _, r := range presetControls {
		s1, _ := o.preset(t, dir, r, lines, s0)
		flips := 0
		for u := range pinned {
			if s1[u] != s0[u] {
				flips++
			}
		}
		if r.vendor == "contrary" && r.mode == "full" && flippable > 0 && flips == 0 {
			t.Errorf("control %s: every pin held without initcompat's file", r)
		}
		o.tally.Lock()
		o.tally.controls++
		o.tally.flips[r.String()] += flips
		if flips > 0 {
			o.tally.controlCases[r.String()]++
		}
		o.tally.Unlock()
	}
}

// alsoWarned lists the units the plan's preset warnings say a preset
// enables with another, whatever their pin.
func alsoWarned(pl *plan.Plan) map[string]bool {
	out := map[string]bool{}
	for _, f := range pl.Findings {
		if _, rest, ok := strings.Cut(f.Message, "Also= names "); ok && f.Shim == "preset" && f.Level == plan.Warning {
			out[strings.SplitN(rest, ",", 2)[0]] = true
		}
	}
	return out
}

// dropLinks leaves out of a list of links those named for a unit of drop.
func dropLinks(links string, drop map[string]bool) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(links, "\n") {
		if name, _, _ := strings.Cut(l, " -> "); l != "" && !drop[filepath.Base(name)] {
			b.WriteString(l)
		}
	}
	return b.String()
}

// preset runs preset-all on a copy of the applied image with the
// distribution's presets, and reads the states back.
func (o *presetOracle) preset(t *testing.T, dir string, r presetRun, lines []presetLine, s0 map[string]string) (map[string]string, string) {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "copy")
	copyDir(t, dir, cp)
	if r.without {
		if err := os.Remove(filepath.Join(cp, presetFile)); err != nil {
			t.Fatal(err)
		}
	}
	vendor := filepath.Join(cp, "usr/lib/systemd/system-preset")
	if err := os.MkdirAll(vendor, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	switch r.vendor {
	case "debian":
		files["90-systemd.preset"] = o.debian
	case "fedora":
		files["99-default-disable.preset"] = []byte("disable *\n")
	case "contrary":
		files["00-contrary.preset"] = contrary(lines)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(vendor, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(o.systemctl, "--root="+cp, "preset-all", "--preset-mode="+r.mode).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: systemctl preset-all: %v\n%s", r, err, out)
	}
	return o.statesOf(t, cp, s0), enablementLinks(t, cp)
}

// states is what systemctl says of every unit file (list-unit-files) and
// of every instance of universe (is-enabled), by name.
func (o *presetOracle) states(t *testing.T, dir string, universe []string) map[string]string {
	t.Helper()
	out, err := exec.Command(o.systemctl, "--root="+dir, "list-unit-files", "--no-legend", "--no-pager").Output()
	if err != nil {
		t.Fatalf("systemctl list-unit-files: %v", err)
	}
	states := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) >= 2 {
			states[f[0]] = f[1]
		}
	}
	var ask []string
	for _, u := range universe {
		if _, ok := states[systemd.TemplateOf(u)]; ok {
			ask = append(ask, u)
		}
	}
	maps.Copy(states, o.isEnabled(t, dir, ask))
	return states
}

// statesOf asks is-enabled about the names s0 holds that stay unit files
// (aliases come and go with presets, and is-enabled stops at the first
// name it cannot find): one systemctl a run.
func (o *presetOracle) statesOf(t *testing.T, dir string, s0 map[string]string) map[string]string {
	t.Helper()
	var ask []string
	for _, u := range slices.Sorted(maps.Keys(s0)) {
		if s0[u] != "alias" {
			ask = append(ask, u)
		}
	}
	return o.isEnabled(t, dir, ask)
}

func (o *presetOracle) isEnabled(t *testing.T, dir string, ask []string) map[string]string {
	t.Helper()
	states := map[string]string{}
	if len(ask) == 0 {
		return states
	}
	// is-enabled exits 1 when any is not enabled; it prints one line each.
	out, _ := exec.Command(o.systemctl, append([]string{"--root=" + dir, "is-enabled"}, ask...)...).Output()
	got := strings.Fields(string(out))
	if len(got) != len(ask) {
		t.Fatalf("systemctl is-enabled %s: %q", strings.Join(ask, " "), out)
	}
	for i, u := range ask {
		states[u] = got[i]
	}
	return states
}

// copyDir copies an image directory: directories, files and symlinks,
// with their modes.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(to, info.Mode().Perm())
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// presetLine is one line of a preset file: "enable|disable UNIT [INSTANCE...]".
type presetLine struct {
	enable    bool
	unit      string
	instances []string
}

func readPresetLines(t *testing.T, data []byte) []presetLine {
	t.Helper()
	var out []presetLine
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		if len(f) < 2 || (f[0] != "enable" && f[0] != "disable") {
			t.Fatalf("the preset file has a line systemd.preset(5) does not know: %q", l)
		}
		out = append(out, presetLine{enable: f[0] == "enable", unit: f[1], instances: f[2:]})
	}
	return out
}

// pinnedStates is what the lines pin, by unit: "enabled" or "disabled";
// a template's line pins each instance of universe.
func pinnedStates(lines []presetLine, universe []string) map[string]string {
	out := map[string]string{}
	for _, l := range lines {
		if !systemd.IsTemplate(l.unit) {
			out[l.unit] = map[bool]string{true: "enabled", false: "disabled"}[l.enable]
			continue
		}
		for _, u := range universe {
			if systemd.TemplateOf(u) == l.unit {
				on := l.enable && slices.Contains(l.instances, strings.TrimSuffix(strings.SplitN(u, "@", 2)[1], "."+systemd.Suffix(u)))
				out[u] = map[bool]string{true: "enabled", false: "disabled"}[on]
			}
		}
	}
	return out
}

// contrary names every pinned unit the other way round.
func contrary(lines []presetLine) []byte {
	var b bytes.Buffer
	b.WriteString("# The other way round from initcompat's pins.\n")
	for _, l := range lines {
		verb := map[bool]string{true: "disable", false: "enable"}[l.enable]
		b.WriteString(verb + " " + l.unit + "\n")
	}
	return b.Bytes()
}

// instanceUniverse is every instance a case can speak of: those linked
// before or after the build, the instances the lines name, and each
// template's DefaultInstance (which enabling the template enables).
func instanceUniverse(inv *inspect.Inventory, lines []presetLine, linked ...[]string) []string {
	set := map[string]bool{}
	for _, l := range linked {
		for _, u := range l {
			set[u] = true
		}
	}
	for _, l := range lines {
		if systemd.TemplateOf(l.unit) != "" {
			set[l.unit] = true
		}
		for _, i := range l.instances {
			set[strings.TrimSuffix(l.unit, "."+systemd.Suffix(l.unit))+i+"."+systemd.Suffix(l.unit)] = true
		}
	}
	for _, tmpl := range inv.Units.Names() {
		if u := inv.Units.Load(tmpl); systemd.IsTemplate(tmpl) && u != nil {
			if i := u.Last("Install", "DefaultInstance"); i != "" {
				set[strings.TrimSuffix(tmpl, "."+systemd.Suffix(tmpl))+i+"."+systemd.Suffix(tmpl)] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// instanceLinks lists the instance names linked under /etc/systemd/system.
func instanceLinks(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	walkLinks(t, dir, func(rel, _ string) {
		if n := filepath.Base(rel); systemd.TemplateOf(n) != "" {
			out = append(out, n)
		}
	})
	return out
}

// enablementLinks lists every symlink under /etc/systemd/system with its
// target, one a line.
func enablementLinks(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	walkLinks(t, dir, func(rel, target string) { b.WriteString(rel + " -> " + target + "\n") })
	return b.String()
}

func walkLinks(t *testing.T, dir string, f func(rel, target string)) {
	t.Helper()
	top := filepath.Join(dir, "etc/systemd/system")
	err := filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		target, err := os.Readlink(p)
		rel, _ := filepath.Rel(top, p)
		f(rel, target)
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// writeTree lays an in-memory image into dir.
func writeTree(t *testing.T, dir string, tr *tree.Tree) {
	t.Helper()
	for _, p := range tr.Paths() {
		e, _ := tr.Lstat(p)
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch e.Kind {
		case tree.Dir:
			if err = os.MkdirAll(full, 0o755); err == nil {
				err = os.Chmod(full, e.Mode.Perm())
			}
		case tree.Symlink:
			err = os.Symlink(e.Target, full)
		default:
			if err = os.WriteFile(full, e.Data, 0o644); err == nil {
				err = os.Chmod(full, e.Mode.Perm())
			}
		}
		if err != nil {
			t.Fatalf("writing %s: %v", p, err)
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}
