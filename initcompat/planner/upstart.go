package planner

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/lsb"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstart"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/upstartunit"
)

// jobMemo holds the Upstart jobs as parsed, by files (job and override),
// whichever stage asks first: a job that does not parse is reported once.
// The Upstart-units stage returns it and BuildPlan hands it to the later
// stages that read jobs; none of them is planned on several cores.
type jobMemo map[string]*upstart.Job

// load parses a job with its override, as Upstart's own parser
// (init/parse_job.c, ported in package upstart) does, and holds it as
// Upstart does (upstart.Merge: the override applied on top, stanza by
// stanza; its Class is what Upstart's job class holds). A .conf Upstart
// refuses is no job to initcompat: a warning at Upstart's line with its
// words, and the job is left out of every shim (Upstart would load a job
// of the override alone, which is not the job its author wrote). An
// override Upstart refuses leaves the job with the override's stanzas
// before the refused line applied, as Upstart does; a warning says which
// line it stopped at.
func (jobs jobMemo) load(col *collector, j *inspect.JobFiles) *upstart.Job {
	key := j.Conf + "\x00" + j.Override
	if parsed, ok := jobs[key]; ok {
		return parsed
	}
	jobs[key] = nil
	read := func(p string) ([]*upstart.Stanza, bool) {
		data, err := col.tree.ReadFile(p)
		if err != nil {
			col.find(plan.Warning, j.Name, plan.ShimInspect, p, err.Error()+"; the job is left out of every shim")
			return nil, false
		}
		st, err := upstart.Parse(p, data)
		var big *upstart.TooLargeError
		switch {
		case errors.As(err, &big):
			col.find(plan.Warning, j.Name, plan.ShimInspect, p, big.Error()+"; the job is left out of every shim")
			return nil, false
		case err != nil:
			for _, pe := range upstart.ParseErrors(err) {
				what := "Upstart refuses this .conf and loads no job of it: fix the file; the job is left out of every shim"
				if p != j.Conf {
					what = "Upstart stops reading this override here and keeps the stanzas before it; so does initcompat: fix the file"
				}
				col.find(plan.Warning, j.Name, plan.ShimInspect, pe.File+":"+strconv.Itoa(pe.Line), pe.Msg+nearWord(pe)+"; "+what)
			}
			return st, p != j.Conf
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
	jobs[key] = parsed
	return parsed
}

// nearWord is where Upstart stopped, for a person: " (at \"WORD\")".
func nearWord(pe *upstart.ParseError) string {
	if pe.Near == "" {
		return ""
	}
	return " (at " + strconv.Quote(pe.Near) + ")"
}

// The Upstart shims' names.
const (
	shimUpstartLink plan.Shim = "upstart-job-link"
	shimStopOn      plan.Shim = "upstart-stop-on"
)

// shimUpstartLinks gives each job in scope on an Upstart image the
// /etc/init.d entry that update-rc.d and cfn-init need, as Ubuntu did for
// its own jobs.
var shimUpstartLinks = &shim{
	name:      shimUpstartLink,
	footprint: footprint{dirs: []string{"/etc/init.d"}},
	step: func(in *input, col *collector) decided {
		for _, sc := range in.scope {
			planUpstartLink(in, col, sc)
		}
		return decided{}
	},
}

// shimStopOns asks, for each respawning job in scope without a "stop on",
// for one in its override.
var shimStopOns = &shim{
	name:      shimStopOn,
	footprint: footprint{dirs: []string{"/etc/init"}},
	step: func(in *input, col *collector) decided {
		over := overrides{}
		for _, sc := range in.scope {
			planStopOn(in, col, sc, over)
		}
		return decided{overrides: over}
	},
}

// shimOverrides writes the override lines the steps before it asked for,
// one file a job. It is no shim of its own: each line is labelled with the
// shim that asked, and the file with all of them.
var shimOverrides = &shim{
	name:      "upstart-override",
	footprint: footprint{dirs: []string{"/etc/init"}},
	step: func(in *input, col *collector) decided {
		planOverrides(in.inv, col, in.overrides)
		return decided{}
	},
}

// planUpstartLink plans one job's /etc/init.d entry.
func planUpstartLink(in *input, col *collector, sc inScope) {
	s, inv, jobs := sc.svc, in.inv, in.jobs
	if inv.Init != inspect.Upstart || s.Job == nil {
		return
	}
	j := jobs.load(col, s.Job)
	if j == nil {
		return
	}
	linked := !upstartunit.BootStep(j) || slices.Contains(in.pol.Named(), s.Name)
	if s.Script != nil {
		if sc.explicit {
			col.find(plan.Info, s.Name, shimUpstartLink, s.ScriptPath, "already has an /etc/init.d entry; left as it is")
		}
		if linked && lsb.ValidName(s.Name) {
			col.keep(s.Name, shimUpstartLink, s.ScriptPath) // initcompat's of an earlier run, maybe
		}
		return
	}
	if !linked {
		if sc.explicit {
			col.find(plan.Info, s.Name, shimUpstartLink, s.Job.Conf, "a task, a step of the boot that runs and ends (init(5) task): not a service for SysV tools; name it in services to link it anyway")
		}
		return
	}
	if !lsb.ValidName(s.Name) {
		col.find(plan.Info, s.Name, shimUpstartLink, "", fmt.Sprintf("%q is not a name update-rc.d accepts; no /etc/init.d entry", s.Name))
		return
	}
	if inv.Tools.UpstartJob != "" {
		col.symlink(s.Name, shimUpstartLink, s.ScriptPath, "/lib/init/upstart-job",
			"Upstart job with no /etc/init.d entry: update-rc.d and cfn-init need one; upstart-job hands every action to initctl",
			plan.Expect{Check: plan.CheckUpstartKnown, Args: []string{s.Name}})
		return
	}
	script := lsb.RenderInitctl(s.Name, col.marker(), upstartunit.Description(j))
	col.writeFile(s.Name, shimUpstartLink, s.ScriptPath, 0o755, script,
		"Upstart job with no /etc/init.d entry, and no /lib/init/upstart-job to link to: an LSB wrapper around initctl")
}

// planStopOn makes a respawning job without a "stop on" stop itself at
// shutdown: otherwise the runlevel-6 kill sweep ends it, Upstart respawns it
// at once, and the final SIGKILL catches it mid-start (MongoDB's stale lock).
// A task is respawned too when the sweep's signal ends it (seen with Upstart
// 1.13.2: "rtask main process (PID) killed by TERM signal", "respawning");
// a job with no main process has nothing to respawn.
func planStopOn(in *input, col *collector, sc inScope, over overrides) {
	s, inv, jobs := sc.svc, in.inv, in.jobs
	if inv.Init != inspect.Upstart || s.Job == nil {
		return
	}
	j := jobs.load(col, s.Job)
	if j != nil && ownOverride(col, s.Job) {
		// Judged on the job as its author wrote it: the line this shim
		// asks for may be in initcompat's override already, and is asked
		// for again, to stay there.
		j = jobs.load(col, &inspect.JobFiles{Name: s.Job.Name, Conf: s.Job.Conf})
	}
	if j == nil || !upstartunit.Respawns(j) || j.Has("stop on") {
		return
	}
	over.add(s.Job, shimStopOn, "stop on runlevel [016]",
		"respawn without stop on: the shutdown sweep would kill it, Upstart respawn it, and the final SIGKILL catch it mid-start")
}

// ownOverride says whether the job's override is initcompat's, as the
// manifest recorded it.
func ownOverride(col *collector, j *inspect.JobFiles) bool {
	if j.Override == "" {
		return false
	}
	e, ok := col.tree.Lstat(j.Override)
	return ok && e.Kind == tree.File && col.ownsFile(j.Override, e.Data)
}

// overrideLine is one line a shim wants in a job's override file.
type overrideLine struct {
	shim         plan.Shim
	line, reason string
}

// overrides holds, by job, the lines shims want in /etc/init/NAME.override;
// planOverrides writes each job's lines together, after every shim asked.
type overrides map[string][]overrideLine

// add asks for a line in the job's override.
func (over overrides) add(j *inspect.JobFiles, shim plan.Shim, line, reason string) {
	over[j.Name] = append(over[j.Name], overrideLine{shim, line, reason})
}

// planOverrides writes each job's override once. An override the user
// wrote is never rewritten: the finding gives the lines to add.
func planOverrides(inv *inspect.Inventory, col *collector, over overrides) {
	for _, name := range slices.Sorted(maps.Keys(over)) {
		lines := over[name]
		j := inv.Job(name)
		p := strings.TrimSuffix(j.Conf, ".conf") + ".override"
		var missing []overrideLine
		e, exists := col.tree.Lstat(p)
		theirs := exists && (e.Kind != tree.File || !col.ownsFile(p, e.Data))
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
				col.conflict(name, l.shim, p, fmt.Sprintf("an override not written by initcompat exists; add the line %q to it (%s)", l.line, l.reason))
			}
			continue
		}
		var b strings.Builder
		b.WriteString(col.marker() + "\n")
		var shims, reasons []string
		var expect []plan.Expect
		for _, l := range missing {
			if l.shim == shimStopOn {
				// Upstart must read the override's stop on (initctl
				// show-config -e).
				expect = []plan.Expect{{Check: plan.CheckUpstartOverride, Args: []string{name}}}
			}
			fmt.Fprintf(&b, "# %s: %s\n%s\n", l.shim, l.reason, l.line)
			if !slices.Contains(shims, string(l.shim)) {
				shims = append(shims, string(l.shim))
			}
			reasons = append(reasons, l.line)
		}
		col.writeFile(name, plan.Shim(strings.Join(shims, "+")), p, 0o644, []byte(b.String()),
			"Upstart override (its stanzas replace the job's): "+strings.Join(reasons, "; "), expect...)
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
