// Package unitscript writes a real LSB init script from a systemd service
// unit, for images whose PID 1 is SysV init (sysvinit-core, Devuan, OpenRC
// on Debian), where a daemon that ships only a unit cannot start at all.
//
// It is pure: a parsed unit (systemd.Unit, over go-systemd's parser) with
// where each option was set, the unit's name, its aliases and its
// enablement go in; the script, its LSB header, the rc links update-rc.d
// makes and the findings come out. Each unit setting is read by one rule
// (rules.go); the docs' mapping table is generated from the same rules.
//
// The script is two parts: the data, every value from the unit written as
// one quoted shell word (internal/shellword) in a fixed set of
// assignments and calls, and the runtime (runtime.sh), the same bytes in
// every script, which reads the data. Nothing from the unit is ever
// formatted into shell code.
package unitscript

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
)

//go:embed runtime.sh
var runtime string

// Runtime is the fixed part of every script (for the tests that check it
// on its own).
func Runtime() string { return runtime }

// Input is one unit to convert.
type Input struct {
	// Name is the /etc/init.d name ("hello" for hello.service).
	Name string
	// Unit is the unit as systemd loads it (fragment and drop-ins).
	Unit *systemd.Unit
	// Sources says where each of Unit.Options was set (Store.Sources);
	// nil gives findings without a line.
	Sources []systemd.Source
	// Aliases are the unit's other names (its Alias= values), which the
	// script also Provides.
	Aliases []string
	// Enabled is the unit's current enablement: start links when true,
	// kill links only (update-rc.d NAME disable) when false.
	Enabled bool
	// HasScript reports whether an /etc/init.d name exists or will: an
	// ordering on a unit without one cannot be kept. nil: none has.
	HasScript func(name string) bool
	// Marker is the script's first comment line, naming initcompat.
	Marker string
}

// Level is how much a finding matters.
type Level int

const (
	// Honoured is a setting honoured in a way a person may want to know.
	Honoured Level = iota
	// Unhonoured is a setting SysV cannot honour: the script runs without it.
	Unhonoured
	// NotConverted is a unit that cannot become a script; nothing is
	// written.
	NotConverted
)

func (l Level) String() string { return [...]string{"info", "warning", "not converted"}[l] }

// Finding is one thing about the unit a person should know, at the line
// that set it.
type Finding struct {
	Source  systemd.Source
	Key     string // "AmbientCapabilities", "" for the unit as a whole
	Level   Level
	Message string
}

func (f Finding) String() string {
	k := ""
	if f.Key != "" {
		k = f.Key + "=: "
	}
	return fmt.Sprintf("%s: %s: %s%s", f.Source, f.Level, k, f.Message)
}

// Result is what a unit becomes.
type Result struct {
	Path     string // /etc/init.d/NAME
	Script   []byte // nil when a finding has Level NotConverted
	Header   Header
	Links    []lsb.Link
	Findings []Finding
}

// Skipped reports a unit that could not become a script.
func (r Result) Skipped() bool { return r.Script == nil }

// Limits on what a unit may make the script hold: a hostile unit cannot
// make it grow without bound.
const (
	maxValue  = 32 << 10 // one value, after unquoting
	maxScript = 1 << 20  // the whole script
)

// scriptName is an /etc/init.d name update-rc.d and insserv accept
// (letters, digits, and "._+-", not starting with a dot).
var scriptName = regexp.MustCompile(`^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,63}$`)

// ValidScriptName reports whether name can be an /etc/init.d name.
func ValidScriptName(name string) bool {
	return scriptName.MatchString(name) && name != "rc" && name != "rcS"
}

// opt is one option with where it was set.
type opt struct {
	*unit.UnitOption
	src systemd.Source
}

// conv is one conversion under way.
type conv struct {
	in       Input
	opts     []opt
	spec     systemd.Specifiers
	used     map[string]bool // section/key read by a rule
	vars     map[string]string
	fns      map[string][]string
	header   Header
	findings []Finding
	typ      string
	user     string
	group    string
}

func (c *conv) find(o opt, level Level, format string, args ...any) {
	c.findings = append(c.findings, Finding{Source: o.src, Key: o.Name, Level: level, Message: fmt.Sprintf(format, args...)})
}

// skipUnit is a finding about the unit as a whole that keeps it from
// becoming a script.
func (c *conv) skipUnit(format string, args ...any) {
	c.findings = append(c.findings, Finding{Source: systemd.Source{File: c.in.Unit.Fragment}, Level: NotConverted, Message: fmt.Sprintf(format, args...)})
}

// all returns the assignments of section/key in order, marking them read.
func (c *conv) all(section, key string) []opt {
	c.used[section+"/"+key] = true
	var out []opt
	for _, o := range c.opts {
		if o.Section == section && o.Name == key {
			out = append(out, o)
		}
	}
	return out
}

// list returns the assignments of a list setting after systemd's reset
// rule: an empty assignment drops those before it.
func (c *conv) list(section, key string) []opt {
	var out []opt
	for _, o := range c.all(section, key) {
		if strings.TrimSpace(o.Value) == "" {
			out = nil
			continue
		}
		out = append(out, o)
	}
	return out
}

// last returns the last assignment of a scalar setting.
func (c *conv) last(section, key string) (opt, bool) {
	a := c.all(section, key)
	if len(a) == 0 {
		return opt{}, false
	}
	o := a[len(a)-1]
	o.Value = strings.TrimSpace(o.Value)
	return o, true
}

// set records one data variable.
func (c *conv) set(name, value string) { c.vars[name] = value }

// call adds a line to a data function: a runtime verb and its quoted words.
func (c *conv) call(fn, verb string, words ...string) {
	c.fns[fn] = append(c.fns[fn], line(verb, words...))
}

// Render converts one unit.
func Render(in Input) (res Result) {
	res.Path = "/etc/init.d/" + in.Name
	c := &conv{in: in, used: map[string]bool{}, vars: map[string]string{}, fns: map[string][]string{}}
	defer func() {
		// A hostile unit must not crash the build: whatever went wrong is
		// a finding, and nothing is written.
		if r := recover(); r != nil {
			res.Script = nil
			res.Findings = append(slices.Clip(c.findings), Finding{Source: systemd.Source{File: in.Unit.Fragment}, Level: NotConverted,
				Message: fmt.Sprintf("initcompat could not read this unit (%v)", r)})
		}
	}()
	if in.Unit == nil {
		res.Findings = []Finding{{Level: NotConverted, Message: "no unit"}}
		return res
	}
	for i, o := range in.Unit.Options {
		var src systemd.Source
		if i < len(in.Sources) {
			src = in.Sources[i]
		} else {
			src = systemd.Source{File: in.Unit.Fragment}
		}
		c.opts = append(c.opts, opt{o, src})
	}
	c.spec = systemd.Specifiers{Unit: in.Unit.Name, Fragment: in.Unit.Fragment}
	switch {
	case !ValidScriptName(in.Name):
		c.skipUnit("%q cannot be an /etc/init.d name (update-rc.d takes letters, digits and ._+-)", in.Name)
	case in.Unit.Masked:
		c.skipUnit("the unit is masked")
	case in.Unit.Template():
		c.skipUnit("a template unit has no instance to run; name its instances")
	case systemd.Suffix(in.Unit.Name) != "service":
		c.skipUnit("only service units become init scripts")
	}
	if skipped(c.findings) {
		res.Findings = c.findings
		return res
	}
	c.set("ic_name", in.Name)
	c.set("ic_unit", in.Unit.Name)
	c.set("ic_script", res.Path)
	for _, r := range Rules {
		if r.apply != nil {
			r.apply(c)
		}
	}
	c.unread()
	slices.SortStableFunc(c.findings, func(a, b Finding) int {
		if a.Source.File != b.Source.File {
			return strings.Compare(a.Source.File, b.Source.File)
		}
		return a.Source.Line - b.Source.Line
	})
	res.Header = c.header
	res.Links = Links(in.Name, c.header, in.Enabled)
	res.Findings = c.findings
	if skipped(c.findings) {
		return res
	}
	res.Script = c.script()
	if len(res.Script) > maxScript {
		res.Script = nil
		res.Findings = append(res.Findings, Finding{Source: systemd.Source{File: in.Unit.Fragment}, Level: NotConverted,
			Message: fmt.Sprintf("the script would be over %d bytes", maxScript)})
	}
	return res
}

func skipped(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Level == NotConverted })
}

// unread turns every setting no rule read into a finding: nothing in a
// unit is dropped without saying so. X- keys are systemd's own "ignore
// me" (systemd.unit(5)), dropped by systemd too.
func (c *conv) unread() {
	seen := map[string]bool{}
	for _, o := range c.opts {
		k := o.Section + "/" + o.Name
		if c.used[k] || strings.HasPrefix(o.Name, "X-") || strings.HasPrefix(o.Section, "X-") {
			continue
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		c.find(o, Unhonoured, "[%s] %s= has no SysV counterpart initcompat knows; the script runs without it", o.Section, o.Name)
	}
}
