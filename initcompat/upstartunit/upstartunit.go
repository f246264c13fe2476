// Package upstartunit translates an Upstart job into a systemd unit,
// stanza by stanza (rules.go) and event by event (events.go), with the
// job's script blocks as files of their own (scripts.go). It is pure: a
// parsed job in, a unit and the notes a person must read out. What the
// translation cannot carry over is a note naming the file and line, never
// a silent drop. The planner's upstart-to-systemd shim writes the result.
package upstartunit

import (
	"io"
	"sort"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// ScriptDir holds the script blocks of translated jobs, one directory per
// job, since a unit file cannot carry a multi-line shell script.
const ScriptDir = "/etc/initcompat/jobs"

// Unit is a job translated.
type Unit struct {
	// Options are the unit's settings, [Install] included.
	Options []*unit.UnitOption
	// Scripts are the job's script blocks, by file name under
	// ScriptDir/NAME.
	Scripts map[string]string
	Notes   []Note
	// Target is where the unit is enabled: the first of its WantedBy=.
	Target string
	// Auto says the job started by itself: the unit is enabled like it.
	Auto bool
}

// Note is what a person must know of the translation.
type Note struct {
	At  string // file:line
	Msg string
	// Blocking keeps the unit disabled until a person decides.
	Blocking bool
}

// Translate maps a job (conf is its file) to a unit; known answers for the
// other jobs and units its events name.
func Translate(j *upstart.Job, conf string, known Lookup) *Unit {
	u := translate(j, conf, known)
	out := &Unit{Options: u.opts, Scripts: u.scripts, Target: u.target(), Auto: u.auto}
	for _, n := range u.notes {
		out.Notes = append(out.Notes, Note{At: n.at, Msg: n.msg, Blocking: n.blocking})
	}
	return out
}

// Blocked says whether any note keeps the unit disabled.
func (u *Unit) Blocked() bool {
	for _, n := range u.Notes {
		if n.Blocking {
			return true
		}
	}
	return false
}

// Render writes the unit with go-systemd's serializer under marker (the
// first line of every file initcompat writes), sections in the order
// people expect.
func Render(marker, from string, opts []*unit.UnitOption) []byte {
	rank := map[string]int{"Unit": 0, "Service": 1, "Install": 2}
	sorted := append([]*unit.UnitOption(nil), opts...)
	sort.SliceStable(sorted, func(i, j int) bool { return rank[sorted[i].Section] < rank[sorted[j].Section] })
	body, _ := io.ReadAll(unit.Serialize(sorted)) // a bytes.Buffer reader: cannot fail
	return []byte(marker + "\n# Translated from the Upstart job " + from + ".\n" + string(body))
}

// Description is the job's description stanza, "" when it has none.
func Description(j *upstart.Job) string {
	if d := j.Get("description"); d != nil {
		return strings.Join(d.Args, " ")
	}
	return ""
}

// StartOn is the job's start on stanza as written, "" when it has none.
func StartOn(j *upstart.Job) string {
	if s := j.Get("start on"); s != nil {
		return "start on " + s.Raw
	}
	return ""
}

// BootStep reports jobs that are steps of the boot rather than services:
// Upstart's tasks. init(5) "Services, tasks and respawning": "Jobs are
// services by default", started once running; with task, starting "is not
// considered to be finished until the job itself has been run and stopped
// again" (init/job.c job_finished). No event makes a job one or the other. So a daemon started on startup, by the rcS chain or on
// runlevel S is a service like one started on runlevel [2345], and a job
// that only starts and stops something (pre-start, post-stop) is one too.
func BootStep(j *upstart.Job) bool { return j.Class().Task }

// Respawns says whether Upstart respawns the job when it ends by itself:
// respawn, and a main process to respawn (init/job_process.c
// job_process_terminated respawns only the main process; a task when it
// failed, killed by a signal too).
func Respawns(j *upstart.Job) bool {
	c := j.Class()
	return c.Respawn && c.Process[0].Command != nil
}
