package upstartunit

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// The processes of a job: exec lines and script blocks, as Upstart runs
// them (init/job_process.c), and what in them has no meaning under systemd.

// shellChars makes Upstart run a command through /bin/sh -e -c "exec ...";
// without them it splits the line on white space and calls execvp.
const shellChars = "~`!$^&*()=|\\{}[];\"'<>?"

// process turns an exec line or a script block into an Exec*= value. A
// script, or a line that needs a prologue, becomes a file under
// ScriptDir, since a unit file cannot carry a multi-line script.
func (u *jobUnit) process(block string, s *upstart.Stanza) string {
	isScript := script(s)
	// The script as Upstart runs it (init/job_process.c feeds the class's
	// command to /bin/sh): the whitespace its lines share with the first
	// removed (nih_config_parse_block), so that an indented here-document
	// ends where it ended under Upstart. Its lines are the block's, one
	// for one.
	body := s.Block
	if !isScript {
		body = "exec " + s.Raw + "\n"
	}
	facts := u.readShell(block, s, body)
	u.checkCommands(block, s, facts)
	levels := u.checkVariables(block, s, facts)
	var prologue strings.Builder
	if block == "pre-stop" && u.hasMain {
		prologue.WriteString(mainPIDGuard)
	}
	if levels {
		prologue.WriteString(runlevelPrologue)
	}
	if !isScript && prologue.Len() == 0 {
		return u.execLine(s.Raw)
	}
	u.scripts[block] = prologue.String() + body
	return path.Join(ScriptDir, u.name, block)
}

// execLine is an exec line as an Exec*= value.
func (u *jobUnit) execLine(raw string) string {
	if strings.ContainsAny(raw, shellChars) {
		return "/bin/sh -e -c " + sdQuote("exec "+raw)
	}
	words := strings.Fields(raw)
	switch {
	case strings.HasPrefix(words[0], "/"):
	case strings.Contains(words[0], "/"):
		// execvp runs a name with a slash relative to the working directory.
		words[0] = path.Join(u.chdir, words[0])
	default:
		// execvp looks a bare name up in PATH. systemd before 239 takes
		// only absolute paths, so env does the lookup, in the service's
		// PATH (the same list Upstart used).
		words = append([]string{"/usr/bin/env"}, words...)
	}
	for i, w := range words {
		words[i] = sdWord(w)
	}
	return strings.Join(words, " ")
}

// mainPIDGuard keeps a pre-stop from running when the main process died on
// its own: systemd runs ExecStop= then too, Upstart did not, and MAINPID is
// set only while the main process lives.
const mainPIDGuard = `# initcompat: Upstart ran pre-stop only when a stop was asked for; systemd
# also runs ExecStop= after the main process ended by itself, and then
# MAINPID is not set.
[ -n "${MAINPID:-}" ] || exit 0
`

// runlevelPrologue gives a block the RUNLEVEL and PREVLEVEL the runlevel
// event gave it under Upstart, read from what systemd is doing: booting
// into the default target, or shutting down to reboot (6) or power off
// (0). Started or stopped by hand there is no event, and no variables,
// as with Upstart's start and stop commands.
const runlevelPrologue = `# initcompat: RUNLEVEL and PREVLEVEL, as Upstart's runlevel event set them.
_initcompat_level=2
[ "$(systemctl get-default 2>/dev/null)" != graphical.target ] || _initcompat_level=5
case "$(systemctl is-system-running 2>/dev/null)" in
initializing | starting) RUNLEVEL=$_initcompat_level PREVLEVEL=N ;;
stopping)
	PREVLEVEL=$_initcompat_level
	case "$(systemctl list-jobs --no-legend 2>/dev/null)" in
	*reboot.target*) RUNLEVEL=6 ;;
	*) RUNLEVEL=0 ;;
	esac
	;;
*) RUNLEVEL= PREVLEVEL= ;;
esac
export RUNLEVEL PREVLEVEL
`

// script says whether a process stanza is a script block, whose lines
// start on the line after the stanza's.
func script(s *upstart.Stanza) bool { return strings.HasSuffix(s.Name, "script") }

// commandWords are Upstart's job-control commands as a script calls them.
var commandWords = map[string]bool{"stop": true, "start": true, "restart": true, "initctl": true}

// firstLine is the line of the job file a process's text starts on: a
// script body starts on the line after its stanza.
func firstLine(s *upstart.Stanza) int {
	if script(s) {
		return s.Line + 1
	}
	return s.Line
}

// readShell reads a process's text as the shell Upstart hands it to
// (/bin/sh -e) reads it, with a shell parser (lsb.ReadFacts: here-documents
// and comments are data, quotes are quotes): the commands it runs, the
// parameters it reads and assigns, its last statement. Text the parser
// refuses gets a note; sh would refuse it too.
func (u *jobUnit) readShell(block string, s *upstart.Stanza, body string) lsb.Facts {
	f, err := lsb.ReadFacts([]byte(body), firstLine(s))
	if err != nil {
		u.info(s, "the %s does not read as shell (%v): nothing in it is checked for Upstart's commands and variables; /bin/sh -e would refuse it too", blockWord(block), err)
	}
	return f
}

// commands lists the job-control calls of a process: each simple command
// whose first word (after an exec that leads it) is one of Upstart's,
// with its literal arguments.
func commands(f lsb.Facts) []lsb.Command {
	var out []lsb.Command
	for _, c := range f.Commands {
		words := c.Words
		for len(words) > 0 && words[0].Known && words[0].Text == "exec" {
			words = words[1:]
		}
		if len(words) > 0 && words[0].Known && commandWords[words[0].Text] {
			out = append(out, lsb.Command{Line: c.Line, Words: words})
		}
	}
	return out
}

// commandUse is one kind of job-control call in one block, on every line
// it appears.
type commandUse struct {
	kind  string // "self-stop", "control", "emit", "initctl"
	arg   string // the job or event it names
	cmd   string
	lines []int
}

// checkCommands reports calls of Upstart's start, stop, restart and initctl
// in a process: they do not exist under systemd. One finding per kind and
// block, citing every line; comments and quoted strings do not count.
func (u *jobUnit) checkCommands(block string, s *upstart.Stanza, f lsb.Facts) {
	var uses []*commandUse
	for _, c := range commands(f) {
		{
			cmd, rest := c.Words[0].Text, withoutOptions(texts(c.Words[1:]))
			kind, arg := "control", ""
			switch {
			case cmd == "initctl" && len(rest) > 0 && rest[0] == "emit":
				kind = "emit"
				if len(rest) > 1 {
					arg = rest[1]
				}
			case cmd == "initctl" && len(rest) > 1 && (rest[0] == "start" || rest[0] == "stop" || rest[0] == "restart"):
				cmd, arg = rest[0], rest[1]
			case cmd == "initctl":
				kind = "initctl"
			case len(rest) == 0:
				kind = "self-stop"
				if cmd != "stop" {
					kind = "control"
					arg = u.name
				}
			default:
				arg = rest[0]
			}
			line := c.Line
			found := false
			for _, c := range uses {
				if c.kind == kind && c.arg == arg && c.cmd == cmd {
					c.lines = append(c.lines, line)
					found = true
				}
			}
			if !found {
				uses = append(uses, &commandUse{kind, arg, cmd, []int{line}})
			}
		}
	}
	for _, c := range uses {
		at := &upstart.Stanza{File: s.File, Line: c.lines[0]}
		u.notes = append(u.notes, note{at.Where(), commandAdvice(block, c), true})
	}
}

// withoutOptions drops the options of an Upstart command (initctl's
// --no-wait, -n, -q, --system, --dest=ADDR; util/initctl.c takes none that
// is followed by a separate value), so that the job or event named is the
// first operand, wherever the options stand.
func withoutOptions(args []string) []string {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			out = append(out, a)
		}
	}
	return out
}

// texts are the words' texts, "" for one that is not literal.
func texts(ws []lsb.Word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		if w.Known {
			out[i] = w.Text
		}
	}
	return out
}

func commandAdvice(block string, c *commandUse) string {
	where := "the " + block + " block"
	if block == "main" {
		where = "the main process"
	}
	lines := "line"
	if len(c.lines) > 1 {
		lines = "lines"
	}
	var nums []string
	for _, n := range c.lines {
		nums = append(nums, strconv.Itoa(n))
	}
	at := fmt.Sprintf("%s (%s %s)", where, lines, strings.Join(nums, ", "))
	switch {
	case c.kind == "self-stop" && block == "pre-start":
		return at + " calls Upstart's stop to cancel the start. ExecStartPre= cannot cancel a start quietly: where it calls stop, exit 1 instead (systemd then records a failed start), or turn the test into a Condition...= setting in a drop-in"
	case c.kind == "self-stop" && block == "post-start":
		return at + " calls Upstart's stop to stop the job it just started: exit non-zero instead, and systemd stops the unit because ExecStartPost= failed"
	case c.kind == "self-stop":
		return at + " calls Upstart's stop on the job itself, which does not exist under systemd: use systemctl stop --no-block " + c.argOr() + ".service"
	case c.kind == "emit":
		return at + " emits the Upstart event " + c.argOr() + ", which nothing waits for under systemd: start the units that waited for it instead (systemctl start --no-block UNIT)"
	case c.kind == "initctl":
		return at + " calls initctl, which does not exist under systemd: use the matching systemctl command"
	}
	return fmt.Sprintf("%s calls Upstart's %s for the job %s, which does not exist under systemd: use systemctl %s --no-block %s.service", at, c.cmd, c.argOr(), c.cmd, c.argOr())
}

func (c *commandUse) argOr() string {
	if c.arg == "" {
		return "NAME"
	}
	return c.arg
}

// eventVariables are what Upstart's events put in a job's environment
// (init(5) "Job environment", upstart-events(7)) that no systemd setting
// reproduces. RUNLEVEL and PREVLEVEL are reproduced by runlevelPrologue;
// UPSTART_JOB and UPSTART_INSTANCE by Environment=.
var eventVariables = map[string]string{
	"UPSTART_EVENTS":      "the events that started the job",
	"UPSTART_STOP_EVENTS": "the events that stop the job",
	"JOB":                 "the job a started/stopped event is about",
	"INSTANCE":            "the instance a started/stopped event is about",
	"RESULT":              "how the job of a stopped event ended",
	"PROCESS":             "which process of that job failed",
	"EXIT_STATUS":         "the exit status of that process",
	"EXIT_SIGNAL":         "the signal that ended that process",
	"IFACE":               "the interface of a net-device event",
	"LOGICAL":             "the logical interface of a net-device event",
	"ADDRFAM":             "the address family of a net-device event",
	"METHOD":              "the ifupdown method of a net-device event",
	"MOUNTPOINT":          "the mount point of a mount event",
	"DEVICE":              "the device of a mount event",
	"INIT_HALT":           "HALT or POWEROFF at shutdown",
}

// checkVariables reports uses of event variables systemd does not set,
// and says whether the process reads RUNLEVEL or PREVLEVEL.
func (u *jobUnit) checkVariables(block string, s *upstart.Stanza, f lsb.Facts) (levels bool) {
	defined := map[string]bool{}
	for _, e := range u.job.All("env") {
		k, _, _ := strings.Cut(e.Args[0], "=")
		defined[k] = true
	}
	assigned := map[string]bool{}
	for _, a := range f.Assigns {
		assigned[a.Name] = true
	}
	used := map[string]int{}
	for _, p := range f.Uses {
		if _, seen := used[p.Name]; !seen {
			used[p.Name] = p.Line
		}
	}
	for _, name := range append(slices.Sorted(maps.Keys(eventVariables)), "RUNLEVEL", "PREVLEVEL") {
		line, reads := used[name]
		// An assignment anywhere in the text is the process's own.
		if defined[name] || assigned[name] || !reads {
			continue
		}
		if name == "RUNLEVEL" || name == "PREVLEVEL" {
			levels = true
			continue
		}
		at := &upstart.Stanza{File: s.File, Line: line}
		u.notes = append(u.notes, note{at.Where(), fmt.Sprintf("the %s reads $%s (%s), which Upstart set from its events and systemd does not: it is empty under systemd. Decide what the process should do without it", blockWord(block), name, eventVariables[name]), true})
	}
	return levels
}

func blockWord(block string) string {
	if block == "main" {
		return "main process"
	}
	return block + " block"
}
