package upstartunit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// An Upstart job becomes a systemd unit by two tables read in order:
// stanzaRules (upstart_rules.go) and eventRules (upstart_events.go). Each
// rule states the Upstart semantics it implements and the systemd
// counterpart; TestDocsMappingTable holds the docs' table to the same
// words, so the docs cannot drift from the code.

// jobUnit is a job on its way to becoming a unit.
type jobUnit struct {
	job   *upstart.Job
	class *upstart.Class // the values Upstart holds (the job's stanzas say where each was set)
	name  string
	conf  string // the job file
	chdir string // the job's working directory, "/" unless chdir says otherwise
	known Lookup

	opts    []*unit.UnitOption
	scripts map[string]string // file name under jobScriptDir/NAME -> body
	notes   []note

	// triggers are the units whose start starts this one ([Install]
	// WantedBy=); auto says the job started by itself, so the unit is
	// enabled like it.
	triggers []string
	auto     bool
	hasMain  bool // the job has a main process (exec or script)
}

type note struct {
	at       string // file:line
	msg      string
	blocking bool // the unit must not be enabled until a person decides
}

// Lookup says whether a unit or job of that name is in the image, and
// whether it is an Upstart task, for the events that name another job.
type Lookup func(name string) (exists, task bool)

// at is a place in the job file, for notes that belong to no stanza.
func (u *jobUnit) at(line int) *upstart.Stanza { return &upstart.Stanza{File: u.conf, Line: line} }

func (u *jobUnit) add(section, key, value string) {
	u.opts = append(u.opts, unit.NewUnitOption(section, key, value))
}

// relate adds a [Unit] relation unless it is there already: several
// events can ask for the same ordering.
func (u *jobUnit) relate(key, value string) {
	for _, o := range u.opts {
		if o.Section == "Unit" && o.Name == key && o.Value == value {
			return
		}
	}
	u.add("Unit", key, value)
}

// block records what the user must decide; the unit is written, not enabled.
func (u *jobUnit) block(s *upstart.Stanza, format string, args ...any) {
	u.notes = append(u.notes, note{s.Where(), fmt.Sprintf(format, args...), true})
}

// info records a difference that does not stop the unit being enabled.
func (u *jobUnit) info(s *upstart.Stanza, format string, args ...any) {
	u.notes = append(u.notes, note{s.Where(), fmt.Sprintf(format, args...), false})
}

func (u *jobUnit) trigger(unitName string) {
	if !slices.Contains(u.triggers, unitName) {
		u.triggers = append(u.triggers, unitName)
	}
}

// translate maps a job, stanza by stanza, to a unit.
func translate(j *upstart.Job, conf string, known Lookup) *jobUnit {
	u := &jobUnit{job: j, class: j.Class(), name: j.Name, conf: conf, chdir: "/", known: known, scripts: map[string]string{}}
	if c := u.class.Chdir; c != nil && validPath(*c) {
		u.chdir = *c
	}
	u.hasMain = u.class.Process[0].Command != nil
	for _, r := range stanzaRules {
		r.apply(u)
	}
	// Every unit can be enabled once a person decides to, so that the
	// advice "systemctl enable NAME" works: without [Install] systemctl
	// answers "no installation config" and leaves it static.
	if len(u.triggers) == 0 {
		u.triggers = []string{"multi-user.target"}
	}
	for _, t := range u.triggers {
		u.add("Install", "WantedBy", t)
	}
	return u
}

// target is where the unit is enabled: the first trigger.
func (u *jobUnit) target() string { return u.triggers[0] }

// sdEscape keeps a value literal in a unit file setting that takes the
// rest of the line: one line as systemd reads lines (no CR or NUL, no
// trailing backslash joining the next line, a bounded length), no
// specifiers (systemd.Value).
func sdEscape(s string) string { return systemd.Value(s) }

// sdEnv writes one Environment= assignment, literal: quoted as
// systemd.syntax(7) "Quoting" reads it (C escapes inside double quotes),
// % as %% (specifiers are expanded), and $ as it is: systemd.exec(5)
// Environment= "Variable expansion is not performed inside the strings
// ... The "$" character has no special meaning", and Upstart passes the
// value as it is too.
func sdEnv(s string) string { return quote(s, false) }

// sdQuote writes one word in systemd's command-line quoting, literal: no
// specifiers, no variable expansion, control characters as C escapes
// (systemd.syntax(7) "Quoting").
func sdQuote(s string) string { return quote(s, true) }

// quote is sdQuote and sdEnv: dollar says whether $ is doubled (command
// lines expand $VAR, Environment= does not).
func quote(s string, dollar bool) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\' || r == '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '%':
			b.WriteString("%%")
		case r == '$' && dollar:
			b.WriteString("$$")
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// sdWord quotes a word only when it needs it.
func sdWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'\\%$;") && !hasControl(s) {
		return s
	}
	return sdQuote(s)
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
}

// validPath is an absolute path systemd can take as it is written.
func validPath(p string) bool {
	// Written as a setting's value, it must read back as itself: no
	// control character, no trailing backslash joining the next line
	// (systemd.Value keeps to one line by taking those away).
	return strings.HasPrefix(p, "/") && !hasControl(p) && systemd.Value(p) == strings.ReplaceAll(p, "%", "%%")
}
