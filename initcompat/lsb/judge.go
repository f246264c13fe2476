package lsb

import (
	"fmt"
	"path"
	"strings"
)

// Judgement is what reading says of an init script's start action under
// systemd-sysv-generator's Type=forking unit, with the evidence.
type Judgement struct {
	// Verdict is VerdictForeground when the start action waits for a
	// daemon that stays in the foreground (the unit would hang in
	// "activating" for 5 minutes: the Type=simple drop-in fits),
	// VerdictDetaches when every start call returns while its daemon runs
	// on (the generated unit fits, nothing to do), VerdictUnknown when
	// reading cannot tell (nothing is known; a booted builder can try).
	Verdict Verdict
	// Line and Program are those of the call that decided: the one that
	// waits, else the first that could not be judged.
	Line    int
	Program string
	// Evidence says why, a line a fact, with the sources the facts rest on.
	Evidence []string
	// Missing lists the programs the calls run that the snapshot does not
	// hold: reading them (one extra command for all scripts) could decide.
	Missing []string
}

// defaultPath is the PATH systemd gives a service (systemd.exec(5),
// "Environment variables in spawned processes"), where a bare command
// name is looked up when the script does not set PATH itself.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Judge decides, from a start action read by ReadStart and the programs
// the snapshot holds, whether the start action waits for a daemon that
// stays in the foreground. Only the evidence decides: a call whose
// program is not in the snapshot, or whose program reading cannot judge,
// makes the verdict unknown unless another call already waits.
func Judge(st Start, look Lookup) Judgement {
	var j Judgement
	if st.Unread != "" && len(st.Calls) == 0 {
		j.Evidence = append(j.Evidence, "the script could not be read whole: "+st.Unread)
		return j
	}
	if len(st.Calls) == 0 {
		j.Evidence = append(j.Evidence, "the start action runs no start call initcompat recognises (start-stop-daemon --start, daemon, a command put in the background or run through su, runuser, sudo, nohup, setsid or exec)")
		return j
	}
	unknown := false
	firstUnknown := func(c Call) {
		if !unknown {
			j.Line, j.Program = c.Line, c.Program
		}
		unknown = true
	}
	for _, c := range st.Calls {
		at := fmt.Sprintf("line %d", c.Line)
		switch c.Detach {
		case Detaches:
			j.Evidence = append(j.Evidence, at+": "+c.Seen)
			continue
		case Undecided:
			j.Evidence = append(j.Evidence, at+": "+c.Seen)
			firstUnknown(c)
			continue
		}
		prog := c.Program
		if prog == "" && c.Name != "" {
			prog = findInPath(c.Name, st.Vars["PATH"], look)
		}
		if prog == "" {
			j.Evidence = append(j.Evidence, at+": "+c.Seen+"; the text does not name the program it runs")
			firstUnknown(c)
			continue
		}
		p, found := Program{Path: prog}, false
		if look != nil {
			p, found = look(prog)
			p.Path = prog
		}
		if !found && interpreterFamily(path.Base(prog)) == "" {
			// (an interpreter's own file would not tell: the script it
			// runs, or its documented options, does)
			j.Missing = appendOnce(j.Missing, prog)
		}
		inv := Invocation{Args: c.Args}
		if c.SSD != nil {
			inv.Dir = c.SSD.Chdir
		}
		cl := Classify(p, inv, look)
		j.Evidence = append(j.Evidence, at+": "+c.Seen)
		j.Evidence = append(j.Evidence, cl.Evidence...)
		daemonCall := c.SSD != nil || c.Name == "daemon" || strings.HasPrefix(c.Seen, "daemon ")
		switch {
		case cl.Verdict == VerdictForeground && (daemonCall || cl.Basis != "elf"):
			j.Verdict, j.Line, j.Program = VerdictForeground, c.Line, prog
			return j
		case cl.Verdict == VerdictForeground:
			j.Evidence = append(j.Evidence, prog+" cannot detach, but whether it runs on or ends its imports do not say, and it is not started as a daemon")
			firstUnknown(c)
		case cl.Verdict == VerdictUnknown:
			firstUnknown(c)
		}
	}
	if st.Unread != "" {
		j.Evidence = append(j.Evidence, "the reading stopped early: "+st.Unread)
		unknown = true
	}
	if !unknown {
		j.Verdict = VerdictDetaches
		j.Line, j.Program = st.Calls[0].Line, st.Calls[0].Program
	}
	return j
}

// findInPath looks a bare command name up in the script's PATH (or
// systemd's), in the snapshot.
func findInPath(name, pathVar string, look Lookup) string {
	if look == nil || strings.Contains(name, "/") {
		return ""
	}
	if pathVar == "" {
		pathVar = defaultPath
	}
	for _, dir := range strings.Split(pathVar, ":") {
		if !strings.HasPrefix(dir, "/") {
			continue
		}
		p := path.Join(dir, name)
		if _, ok := look(p); ok {
			return p
		}
	}
	return ""
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
