package inspect

import (
	"path"
	"sort"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// The services of an image: what its units, /etc/init.d entries and
// Upstart jobs name, read by Inspect, and read again by Reinspect once a
// plan has made units from Upstart jobs.

// Reinspect is the inventory of t, an image that differs from inv's only
// in systemd units, their links and the scripts they run: what a plan
// makes from Upstart jobs. What reads units is read again (the unit
// store, cloud-init's presence, the services with their units and
// enablement); the distro, tools, init system, package lists, jobs,
// manifest and problems are inv's: none of them is read from those paths.
func (inv *Inventory) Reinspect(t *tree.Tree) *Inventory {
	n := *inv
	n.Tree = t
	n.Units = systemd.NewStore(t, inv.opts.DropIns...)
	n.CloudInit = n.Units.Load("cloud-final.service") != nil
	n.Units.Preparse()
	n.Services, n.byName = nil, map[string]*Service{}
	n.readServices(inv.owned)
	sort.Slice(n.Services, func(i, j int) bool { return n.Services[i].Name < n.Services[j].Name })
	return &n
}

// readJobs lists the Upstart jobs of /etc/init, each with its override.
func (inv *Inventory) readJobs(owned map[string]bool) {
	t := inv.Tree
	inv.jobByID = map[string]*JobFiles{}
	initDir := RealPath(t, "/etc/init")
	for _, e := range t.ReadDir(initDir) {
		n := path.Base(e.Path)
		if e.Kind != tree.File || !strings.HasSuffix(n, ".conf") || strings.HasPrefix(n, ".") {
			continue
		}
		j := &JobFiles{Name: strings.TrimSuffix(n, ".conf"), Conf: e.Path}
		if o, ok := t.Lstat(strings.TrimSuffix(e.Path, ".conf") + ".override"); ok && o.Kind == tree.File {
			j.Override = o.Path
		}
		j.Packaged = isPackaged(e.Path, owned, inv.DpkgLists)
		inv.Jobs = append(inv.Jobs, j)
		inv.jobByID[j.Name] = j
	}
}

// readServices gathers every service name a unit, an /etc/init.d entry or
// a job gives, with what the image says of each.
func (inv *Inventory) readServices(owned map[string]bool) {
	t := inv.Tree
	names := map[string]bool{}
	for _, n := range inv.Units.Names() {
		if systemd.Suffix(n) == "service" && !systemd.IsTemplate(n) && systemd.TemplateOf(n) == "" {
			names[systemd.Prefix(n)] = true
		}
	}
	for _, e := range t.ReadDir(inv.InitD) {
		if n := path.Base(e.Path); !strings.HasPrefix(n, ".") && !notAScript(e) {
			names[n] = true
		}
	}
	for _, j := range inv.Jobs {
		names[j.Name] = true
	}
	for n := range names {
		s := &Service{Name: n, ScriptPath: path.Join(inv.InitD, n), Job: inv.jobByID[n]}
		if e, ok := t.Lstat(s.ScriptPath); ok {
			s.Script = e
			s.ScriptPackaged = inv.DpkgLists && owned[s.ScriptPath]
		}
		unitName := n + ".service"
		if systemd.ValidName(unitName) {
			s.Alias = inv.Units.AliasOf(unitName)
			s.UnitState = inv.Units.Enablement(unitName)
			if s.Alias == "" {
				s.Unit = inv.Units.Load(unitName)
			}
			if s.Unit != nil && s.Unit.Fragment != "" {
				s.Packaged = isPackaged(s.Unit.Fragment, owned, inv.DpkgLists)
			}
		}
		inv.Services = append(inv.Services, s)
		inv.byName[n] = s
	}
}

// notAScript is an /etc/init.d file nothing runs: systemd-sysv-generator
// skips an entry that is not a regular file with the owner's execute bit
// (enumerate_sysv, src/sysv-generator/sysv-generator.c, systemd
// 03e6b71c062769a7ed6c272d1fef1ff277104901), and service(8) and
// update-rc.d want an executable script: Debian's /etc/init.d/README. A
// link is judged by what it leads to, which the snapshot may not hold, so
// it stays a service.
func notAScript(e *tree.Entry) bool {
	return e.Kind == tree.File && e.Mode&0o100 == 0
}

// StoreOf is the unit store of t read as Inspect reads units (without
// initcompat's own drop-ins): for a tree with a plan's changes laid on.
func (inv *Inventory) StoreOf(t *tree.Tree) *systemd.Store {
	return systemd.NewStore(t, inv.opts.DropIns...)
}
