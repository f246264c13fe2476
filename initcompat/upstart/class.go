package upstart

import (
	"errors"
	"strings"
)

// Class is a job as Upstart holds it once loaded (init/job_class.h
// JobClass): what the .conf's stanzas set, in order, then the .override's
// on top (conf_load_path_with_override parses the override into the same
// class). Unset strings are nil; numbers start at job_class_new's
// defaults.
type Class struct {
	Name                                string
	Instance                            string
	Description, Author, Version, Usage *string
	Env, Export, Emits                  []string
	StartOn, StopOn                     *On
	// Process: main, pre-start, post-start, pre-stop, post-stop, and the
	// security process "apparmor load" makes (init/process.h ProcessType).
	Process         [6]Process
	Expect          string // "none", "stop", "daemon", "fork"
	Task, Respawn   bool
	KillTimeout     int64
	KillSignal      int
	ReloadSignal    int
	RespawnLimit    int32
	RespawnInterval int64
	NormalExit      []int // exit statuses; a signal is its number << 8
	Console         string
	Umask           uint32
	Nice            int32 // -21 (JOB_NICE_INVALID): not set
	OOMScoreAdj     int32
	Limits          [16]*Rlimit // by RLIMIT_ number
	Chroot, Chdir   *string
	Setuid, Setgid  *string
	ApparmorSwitch  *string
}

// Process is one process of a job: a command run through /bin/sh -e -c or
// execvp, or a script.
type Process struct {
	Script  bool
	Command *string
}

// Rlimit is a limit stanza's values; unlimited is RLIM_INFINITY.
type Rlimit struct{ Cur, Max uint64 }

// RlimInfinity is RLIM_INFINITY on Linux.
const RlimInfinity = ^uint64(0)

// processIndex names the slots of Class.Process.
var processIndex = map[string]int{"exec": 0, "script": 0, "pre-start": 1, "post-start": 2, "pre-stop": 3, "post-stop": 4}

// NewClass is a job class as job_class_new makes it (init/job_class.c),
// with the default console log and the default umask 022.
func NewClass(name string) *Class {
	return &Class{Name: name, Expect: "none", KillTimeout: 5, KillSignal: 15, ReloadSignal: 1,
		RespawnLimit: 10, RespawnInterval: 5, Console: "log", Umask: 0o22, Nice: -21}
}

// Class is the job class the job's stanzas make: job_class_new's
// defaults, then each stanza as parse_job's handler sets it.
func (j *Job) Class() *Class {
	c := NewClass(j.Name)
	c.Apply(j.Stanzas)
	return c
}

// Apply sets what the stanzas set, in order, as parse_job's handlers do.
// The stanzas are Parse's: their values were held to Upstart's tests.
func (c *Class) Apply(stanzas []*Stanza) {
	for _, s := range stanzas {
		c.apply(s)
	}
}

func ptr(s string) *string { return &s }

func (c *Class) apply(s *Stanza) {
	arg := func(i int) string {
		if i < len(s.Args) {
			return s.Args[i]
		}
		return ""
	}
	name, kind, _ := strings.Cut(s.Name, " ")
	if i, ok := processIndex[name]; ok {
		if name == "exec" || name == "script" {
			kind = name
		}
		if kind == "exec" {
			c.Process[i] = Process{Command: ptr(s.Raw)}
		} else {
			c.Process[i] = Process{Script: true, Command: ptr(s.Block)}
		}
		return
	}
	switch s.Name {
	case "instance":
		c.Instance = arg(0)
	case "description":
		c.Description = ptr(arg(0))
	case "author":
		c.Author = ptr(arg(0))
	case "version":
		c.Version = ptr(arg(0))
	case "usage":
		c.Usage = ptr(arg(0))
	case "env":
		c.Env = append(c.Env, arg(0))
	case "export":
		c.Export = append(c.Export, s.Args...)
	case "emits":
		c.Emits = append(c.Emits, s.Args...)
	case "start on":
		c.StartOn = s.On
	case "stop on":
		c.StopOn = s.On
	case "manual":
		c.StartOn = nil // "manual simply disregards any start on events seen previously"
	case "expect":
		c.Expect = arg(0)
	case "task":
		c.Task = true
	case "respawn":
		c.Respawn = true
	case "respawn limit":
		if arg(0) == "unlimited" {
			c.RespawnLimit, c.RespawnInterval = 0, 0
		} else {
			c.RespawnLimit, c.RespawnInterval = int32(strtol(arg(0)).i), strtol(arg(1)).i
		}
	case "kill timeout":
		c.KillTimeout = strtol(arg(0)).i
	case "kill signal":
		c.KillSignal, _ = signalNumber(arg(0))
	case "reload signal":
		c.ReloadSignal, _ = signalNumber(arg(0))
	case "normal exit":
		for _, a := range s.Args {
			if n, ok := signals[strings.TrimPrefix(a, "SIG")]; ok {
				c.NormalExit = append(c.NormalExit, n<<8)
			} else {
				c.NormalExit = append(c.NormalExit, int(int32(strtoul(a, 10).u)))
			}
		}
	case "console":
		c.Console = arg(0)
	case "umask":
		c.Umask = uint32(strtoul(arg(0), 8).u)
	case "nice":
		c.Nice = int32(strtol(arg(0)).i)
	case "oom score":
		if arg(0) == "never" {
			c.OOMScoreAdj = -1000
		} else {
			c.OOMScoreAdj = int32(strtol(arg(0)).i)
		}
	case "oom":
		if arg(0) == "never" {
			c.OOMScoreAdj = -1000
		} else {
			adj := int32(strtol(arg(0)).i)
			div := int32(15)
			if adj < 0 {
				div = 17
			}
			c.OOMScoreAdj = adj * 1000 / div
		}
	case "limit":
		v := func(a string) uint64 {
			if a == "unlimited" {
				return RlimInfinity
			}
			return strtoul(a, 10).u
		}
		c.Limits[limits[arg(0)]] = &Rlimit{Cur: v(arg(1)), Max: v(arg(2))}
	case "chroot":
		c.Chroot = ptr(arg(0))
	case "chdir":
		c.Chdir = ptr(arg(0))
	case "setuid":
		c.Setuid = ptr(arg(0))
	case "setgid":
		c.Setgid = ptr(arg(0))
	case "apparmor load":
		// APPARMOR_PARSER APPARMOR_PARSER_OPTS (init/apparmor.h).
		c.Process[5] = Process{Command: ptr("/sbin/apparmor_parser -r -W " + arg(0))}
	case "apparmor switch":
		c.ApparmorSwitch = ptr(arg(0))
	}
}

// Load is the job Upstart loads from a .conf and its .override
// (override nil: there is none), as conf_load_path_with_override
// (init/conf.c) and parse_job do it, measured with Upstart 1.13.2:
//   - a .conf it refuses is no job, unless there is an override: the
//     override is then parsed into a new class of its own, and that is the
//     job (an `expect forking` job with a `manual` override is a job with
//     no process at all);
//   - except for an illegal signal, which conf_reload_path does not
//     list as a parse error: then the override is not read, and there is
//     no job;
//   - an override it refuses leaves the job with the override's stanzas
//     before the refused one applied.
//
// The class is nil when Upstart holds no job; the error joins the
// *ParseError of each file it refused (ParseErrors lists them).
func Load(name, confFile string, conf []byte, overrideFile string, override []byte) (*Class, error) {
	st, confErr := Parse(confFile, conf)
	if override == nil {
		if confErr != nil {
			return nil, confErr
		}
		return Merge(name, st, nil).Class(), nil
	}
	var pe *ParseError
	if errors.As(confErr, &pe) && pe.Msg == errIllegalSignal {
		return nil, confErr
	}
	ost, overErr := Parse(overrideFile, override)
	if confErr != nil {
		if overErr != nil {
			return nil, errors.Join(confErr, overErr)
		}
		st = nil
	}
	return Merge(name, st, ost).Class(), errors.Join(confErr, overErr)
}

// ParseErrors lists the files Upstart refused in an error of Parse or
// Load.
func ParseErrors(err error) []*ParseError {
	var out []*ParseError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, ParseErrors(e)...)
		}
		return out
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		out = append(out, pe)
	}
	return out
}
