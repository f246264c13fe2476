package initcompat

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
)

// loadJob parses a job with its override; a job that cannot be read is a
// warning naming file and line, and is left out.
func (pl *planner) loadJob(j *JobFiles) *upstart.Job {
	if pl.parsedJobs == nil {
		pl.parsedJobs = map[string]*upstart.Job{}
	}
	if parsed, ok := pl.parsedJobs[j.Name]; ok {
		return parsed
	}
	pl.parsedJobs[j.Name] = nil
	read := func(p string) ([]*upstart.Stanza, bool) {
		data, err := pl.inv.Tree.ReadFile(p)
		if err != nil {
			pl.find(Warning, j.Name, "inspect", p, err.Error()+"; the job is left out of every shim")
			return nil, false
		}
		st, err := upstart.Parse(p, data)
		if err != nil {
			pl.find(Warning, j.Name, "inspect", "", err.Error()+"; Upstart would not load it either, fix the file; the job is left out of every shim")
			return nil, false
		}
		return st, true
	}
	conf, ok := read(j.Conf)
	if !ok {
		return nil
	}
	var over []*upstart.Stanza
	if j.Override != "" {
		if over, ok = read(j.Override); !ok {
			return nil
		}
		if over == nil {
			over = []*upstart.Stanza{}
		}
	}
	parsed := upstart.Merge(j.Name, conf, over)
	pl.parsedJobs[j.Name] = parsed
	return parsed
}

// earlyBoot reports jobs that are steps of the boot rather than services:
// tasks, and jobs started by startup or by the rcS chain, which run before
// the runlevel machinery. A daemon that waits for file systems or the
// network (start on local-filesystems, net-device-up, mounted ...) is a
// service like any other: Ubuntu's own ssh and cron start on filesystem and
// have /etc/init.d links.
func earlyBoot(j *upstart.Job) bool {
	if j.Has("task") {
		return true
	}
	s := j.Get("start on")
	if s == nil {
		return false
	}
	events, _ := parseEvents(s.Raw)
	for _, e := range events {
		job, _ := e.get("JOB", 0)
		level, _ := e.get("RUNLEVEL", 0)
		switch {
		case e.name == "startup":
			return true
		case e.name == "runlevel" && strings.EqualFold(strings.Trim(level, "[]"), "S"):
			return true
		case (e.name == "starting" || e.name == "started" || e.name == "stopped") && (job == "rcS" || job == "rc-sysinit"):
			return true
		}
	}
	return false
}

// planUpstartLink gives a job on an Upstart image the /etc/init.d entry
// that update-rc.d and cfn-init need, as Ubuntu did for its own jobs.
func planUpstartLink(pl *planner, in inScope) {
	s, inv := in.svc, pl.inv
	if inv.Init != Upstart || s.Job == nil {
		return
	}
	j := pl.loadJob(s.Job)
	if j == nil {
		return
	}
	if s.Script != nil {
		if in.explicit {
			pl.find(Info, s.Name, ShimUpstartLink, s.ScriptPath, "already has an /etc/init.d entry; left as it is")
		}
		return
	}
	if earlyBoot(j) && !pl.isNamed(s.Name) {
		if in.explicit {
			pl.find(Info, s.Name, ShimUpstartLink, s.Job.Conf, "a boot step (a task, or started by startup or the rcS chain): not a service for SysV tools; name it in services to link it anyway")
		}
		return
	}
	if !scriptName.MatchString(s.Name) {
		pl.find(Info, s.Name, ShimUpstartLink, "", fmt.Sprintf("%q is not a name update-rc.d accepts; no /etc/init.d entry", s.Name))
		return
	}
	if inv.Tools.UpstartJob != "" {
		pl.symlink(s.Name, ShimUpstartLink, s.ScriptPath, "/lib/init/upstart-job",
			"Upstart job with no /etc/init.d entry: update-rc.d and cfn-init need one; upstart-job hands every action to initctl")
		return
	}
	script := lsb.RenderInitctl(s.Name, Marker(pl.pol.Version), descriptionOf(j))
	pl.writeFile(s.Name, ShimUpstartLink, s.ScriptPath, 0o755, script,
		"Upstart job with no /etc/init.d entry, and no /lib/init/upstart-job to link to: an LSB wrapper around initctl")
}

func descriptionOf(j *upstart.Job) string {
	if d := j.Get("description"); d != nil {
		return strings.Join(d.Args, " ")
	}
	return ""
}

func (pl *planner) isNamed(name string) bool {
	for _, n := range pl.pol.named() {
		if n == name {
			return true
		}
	}
	return false
}

// planStopOn makes a respawning job without a "stop on" stop itself at
// shutdown: otherwise the runlevel-6 kill sweep ends it, Upstart respawns it
// at once, and the final SIGKILL catches it mid-start (MongoDB's stale lock).
func planStopOn(pl *planner, in inScope, over overrides) {
	s, inv := in.svc, pl.inv
	if inv.Init != Upstart || s.Job == nil {
		return
	}
	j := pl.loadJob(s.Job)
	if j == nil || !j.Has("respawn") || j.Has("stop on") || j.Has("task") {
		return
	}
	over.add(s.Job, ShimStopOn, "stop on runlevel [016]",
		"respawn without stop on: the shutdown sweep would kill it, Upstart respawn it, and the final SIGKILL catch it mid-start")
}

// overrideLine is one line a shim wants in a job's override file.
type overrideLine struct {
	shim         Shim
	line, reason string
}

// overrides holds, by job, the lines shims want in /etc/init/NAME.override;
// planOverrides writes each job's lines together, after every shim asked.
type overrides map[string][]overrideLine

// add asks for a line in the job's override.
func (over overrides) add(j *JobFiles, shim Shim, line, reason string) {
	over[j.Name] = append(over[j.Name], overrideLine{shim, line, reason})
}

// planOverrides writes each job's override once. An override the user
// wrote is never rewritten: the finding gives the lines to add.
func planOverrides(pl *planner, over overrides) {
	for _, name := range slices.Sorted(maps.Keys(over)) {
		lines := over[name]
		j := pl.inv.Job(name)
		p := strings.TrimSuffix(j.Conf, ".conf") + ".override"
		var missing []overrideLine
		e, exists := pl.inv.Tree.Lstat(p)
		theirs := exists && (e.Kind != tree.File || !pl.ownsFile(p, e.Data))
		for _, l := range lines {
			if theirs && e.Kind == tree.File && hasLine(e.Data, l.line) {
				continue
			}
			missing = append(missing, l)
		}
		if len(missing) == 0 {
			continue
		}
		if theirs {
			for _, l := range missing {
				pl.conflict(name, l.shim, p, fmt.Sprintf("an override not written by initcompat exists; add the line %q to it (%s)", l.line, l.reason))
			}
			continue
		}
		var b strings.Builder
		b.WriteString(Marker(pl.pol.Version) + "\n")
		var shims, reasons []string
		for _, l := range missing {
			fmt.Fprintf(&b, "# %s: %s\n%s\n", l.shim, l.reason, l.line)
			if !slices.Contains(shims, string(l.shim)) {
				shims = append(shims, string(l.shim))
			}
			reasons = append(reasons, l.line)
		}
		pl.writeFile(name, Shim(strings.Join(shims, "+")), p, 0o644, []byte(b.String()),
			"Upstart override (its stanzas replace the job's): "+strings.Join(reasons, "; "))
	}
}

func hasLine(data []byte, line string) bool {
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Join(strings.Fields(l), " ") == line {
			return true
		}
	}
	return false
}
