// Package inspect reads what an image is from its snapshot (tree.Tree):
// the init system PID 1 will be, the distribution, the service tools, the
// units, init scripts, rc links and Upstart jobs, which OS package owns
// what, and initcompat's manifest. It decides nothing: the planner reads
// the Inventory and plans. Watches lists the paths it reads.
package inspect

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// InitSystem is what runs as PID 1 when the image boots.
type InitSystem string

// The init systems initcompat tells apart.
const (
	Systemd InitSystem = "systemd"
	Upstart InitSystem = "upstart"
	SysV    InitSystem = "sysv"
	Unknown InitSystem = "unknown"
)

// Distro comes from os-release.
type Distro struct {
	ID        string
	IDLike    []string
	VersionID string
	Pretty    string
}

// Tools records which service tools the image has, by the path they are
// found at ("" when absent).
type Tools struct {
	UpdateRCD   string
	InvokeRCD   string
	Service     string
	Chkconfig   string
	Insserv     string
	Systemctl   string // the first of /usr/bin/systemctl, /bin/systemctl
	Initctl     string
	UpstartJob  string
	SysvInstall string // systemd-sysv-install: systemctl enable keeps rc links in sync
	Gzip        string // compresses the apply's payload
}

// Service is one service of the image, by its /etc/init.d name.
type Service struct {
	Name       string
	Unit       *systemd.Unit // nil when there is no native unit
	UnitState  systemd.Enablement
	Alias      string      // the unit this name is an alias of
	Script     *tree.Entry // /etc/init.d/NAME, resolved parent; nil when absent
	ScriptPath string      // real path of /etc/init.d/NAME whether or not it exists
	Packaged   bool        // shipped by an OS package
	// ScriptPackaged: dpkg's lists name /etc/init.d/NAME.
	ScriptPackaged bool
	Job            *JobFiles // the Upstart job of that name, nil when none
}

// Custom reports a service installed by hand: a unit or a job that no OS
// package owns.
func (s *Service) Custom() bool {
	return (s.Unit != nil && s.Unit.Fragment != "" && !s.Packaged) || (s.Job != nil && !s.Job.Packaged)
}

// Exists reports whether anything of that name is in the image.
func (s *Service) Exists() bool {
	return s.Unit != nil || s.Script != nil || s.Alias != "" || s.Job != nil
}

// Inventory is what Inspect learns about an image.
type Inventory struct {
	Tree   *tree.Tree
	Units  *systemd.Store
	Init   InitSystem
	Distro Distro
	Tools  Tools
	// InitD is the real path of /etc/init.d; RC maps a runlevel to the real
	// path of /etc/rcN.d (on RHEL both live under /etc/rc.d).
	InitD     string
	RC        map[string]string
	CloudInit bool
	Services  []*Service
	byName    map[string]*Service
	// DpkgLists is set when the image has dpkg's file lists, so package
	// ownership is known rather than guessed.
	DpkgLists bool
	Manifest  *plan.Manifest
	Problems  []plan.Finding
	// MachineID and DBusMachineID are the states of /etc/machine-id and
	// /var/lib/dbus/machine-id: whether the next boot is a first one.
	MachineID, DBusMachineID MachineID
	// Systemd is the image's systemd as far as init scripts go: its
	// version, and whether its SysV generators are there (systemd 260
	// removed them).
	Systemd systemd.Install
	// Jobs are the Upstart jobs in /etc/init, by name.
	Jobs    []*JobFiles
	jobByID map[string]*JobFiles
	owned   map[string]bool
	opts    Options
}

// Debian says whether the image is Debian or one of its derivatives
// (os-release ID or ID_LIKE).
func (d Distro) Debian() bool {
	return d.ID == "debian" || slices.Contains(d.IDLike, "debian")
}

// Owned says whether dpkg's lists name p (its real path), a path where
// initcompat writes or a unit.
func (inv *Inventory) Owned(p string) bool { return inv.owned[p] }

// Packaged decides whether a unit or job file came with the OS (see
// isPackaged).
func (inv *Inventory) Packaged(fragment string) bool {
	return isPackaged(fragment, inv.owned, inv.DpkgLists)
}

// JobFiles are the files of an Upstart job in the image: its .conf and
// .override (their content, parsed, is an upstart.Job).
type JobFiles struct {
	Name     string
	Conf     string // real path of NAME.conf
	Override string // real path of NAME.override, "" when absent
	Packaged bool
}

// Job returns the Upstart job of that name, or nil.
func (inv *Inventory) Job(name string) *JobFiles { return inv.jobByID[name] }

// Service returns the service of that name, or nil.
func (inv *Inventory) Service(name string) *Service { return inv.byName[name] }

// Options are what inspection takes from the configuration and the
// planner's registry.
type Options struct {
	// Manifest is where initcompat's manifest is in the image.
	Manifest string
	// DropIns are the drop-in file names initcompat owns (NAME.d/FILE),
	// which the unit store leaves out: a unit is read as the image had it.
	DropIns []string
	// Places are where initcompat writes: dpkg's lists are read for the
	// paths there, so that nothing a package owns is taken for
	// initcompat's.
	Places plan.Places
}

// Inspect reads what the snapshot shows. It never fails: what cannot be
// read becomes a Finding in Problems.
func Inspect(t *tree.Tree, opts Options) *Inventory {
	inv := &Inventory{Tree: t, opts: opts, Units: systemd.NewStore(t, opts.DropIns...), byName: map[string]*Service{}, RC: map[string]string{}}
	inv.Distro = readOSRelease(t)
	inv.Tools = findTools(t)
	inv.Init = detectInit(t, inv.Tools)
	inv.InitD = RealPath(t, "/etc/init.d")
	for _, rl := range []string{"0", "1", "2", "3", "4", "5", "6"} {
		inv.RC[rl] = RealPath(t, "/etc/rc"+rl+".d")
	}
	inv.CloudInit = inv.Units.Load("cloud-final.service") != nil
	inv.MachineID, inv.DBusMachineID = machineIDOf(t, MachineIDPath), machineIDOf(t, DBusMachineIDPath)
	if inv.Init == Systemd {
		inv.Systemd = systemd.ReadInstall(t)
	}
	owned := inv.dpkgOwned(opts.Places)
	inv.owned = owned
	// The manifest (80,000 lines at 10,000 services) is decoded while the
	// units are read; nothing below needs it.
	type read struct {
		m       *plan.Manifest
		problem *plan.Finding
	}
	manifest := make(chan read, 1)
	data, err := t.ReadFile(opts.Manifest) // the tree is read here only: its lazy index is not for two goroutines
	go func() {
		if err != nil {
			manifest <- read{}
			return
		}
		m, problem := parseManifestAt(opts.Manifest, data)
		manifest <- read{m, problem}
	}()
	inv.Units.Preparse()
	inv.readJobs(owned)
	inv.readServices(owned)
	sort.Slice(inv.Services, func(i, j int) bool { return inv.Services[i].Name < inv.Services[j].Name })
	r := <-manifest
	inv.Manifest = r.m
	if r.problem != nil {
		inv.Problems = append(inv.Problems, *r.problem)
	}
	for _, p := range inv.Units.Problems {
		inv.Problems = append(inv.Problems, plan.Finding{Level: plan.Warning, Shim: plan.ShimInspect, Path: p.Path,
			Message: strings.TrimPrefix(p.Err.Error(), p.Path+": ") + "; the unit is left out of every shim"})
	}
	if over := t.OverBudget(); len(over) > 0 {
		// One finding, not one a file: a hostile image may hold millions.
		inv.Problems = append(inv.Problems, plan.Finding{Level: plan.Warning, Shim: plan.ShimInspect, Path: over[0],
			Message: fmt.Sprintf("%d watched file(s) from here on were not read: the snapshot had read its %d MiB budget; what they hold is not planned for",
				len(over), tree.DefaultBudget>>20)})
	}
	return inv
}

// RealPath is p with the image's links on the way resolved, p itself when
// they cannot be.
func RealPath(t *tree.Tree, p string) string {
	r, err := t.Resolve(p)
	if err != nil {
		return p
	}
	return r
}

func readOSRelease(t *tree.Tree) Distro {
	var d Distro
	data, err := t.ReadFile("/etc/os-release")
	if err != nil {
		if data, err = t.ReadFile("/usr/lib/os-release"); err != nil {
			return d
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			d.ID = v
		case "ID_LIKE":
			d.IDLike = strings.Fields(v)
		case "VERSION_ID":
			d.VersionID = v
		case "PRETTY_NAME":
			d.Pretty = v
		}
	}
	return d
}

func findTools(t *tree.Tree) Tools {
	first := func(paths ...string) string {
		for _, p := range paths {
			if e, ok := t.Stat(p); ok && e.Kind == tree.File {
				return p
			}
		}
		return ""
	}
	return Tools{
		UpdateRCD:   first("/usr/sbin/update-rc.d"),
		InvokeRCD:   first("/usr/sbin/invoke-rc.d"),
		Service:     first("/sbin/service", "/usr/sbin/service"),
		Chkconfig:   first("/sbin/chkconfig", "/usr/sbin/chkconfig"),
		Insserv:     first("/sbin/insserv", "/usr/sbin/insserv", "/usr/lib/insserv/insserv"),
		Systemctl:   first("/usr/bin/systemctl", "/bin/systemctl"),
		Initctl:     first("/sbin/initctl"),
		UpstartJob:  first("/lib/init/upstart-job"),
		SysvInstall: first("/usr/lib/systemd/systemd-sysv-install", "/lib/systemd/systemd-sysv-install"),
		Gzip:        first("/usr/bin/gzip", "/bin/gzip"),
	}
}

// imageRootMarks are what an image root holds, one of which at least: an
// os-release(5) file, or an init to detect. A directory with none (an empty
// one, a mount point not yet mounted, /etc itself) is not an image, and a
// build there would plan nothing and pass.
var imageRootMarks = []string{"/etc/os-release", "/usr/lib/os-release", "/sbin/init", "/etc/inittab", "/lib/systemd/systemd", "/usr/lib/systemd/systemd"}

// CheckImageRoot fails for a tree that holds none of imageRootMarks,
// naming them. It reads only the tree (links resolved inside it).
func CheckImageRoot(t *tree.Tree) error {
	for _, p := range imageRootMarks {
		if t.Exists(p) {
			return nil
		}
	}
	if detectInit(t, findTools(t)) != Unknown {
		return nil
	}
	return fmt.Errorf("this directory holds no image: an image root contains etc/os-release or usr/lib/os-release, and an init (sbin/init, lib/systemd/systemd or etc/inittab); it has none of %s", strings.Join(imageRootMarks, ", "))
}

func detectInit(t *tree.Tree, tools Tools) InitSystem {
	if e, ok := t.Lstat("/run/systemd/system"); ok && e.Kind == tree.Dir {
		return Systemd
	}
	if r, err := t.Resolve("/sbin/init"); err == nil {
		switch path.Base(r) {
		case "systemd":
			return Systemd
		case "upstart":
			return Upstart
		}
		if _, ok := t.Lstat(r); ok && tools.Initctl != "" && t.Exists("/etc/init") {
			// Upstart installs its own binary as /sbin/init.
			return Upstart
		}
	}
	if t.Exists("/etc/inittab") {
		return SysV
	}
	if t.Exists("/lib/systemd/systemd") || t.Exists("/usr/lib/systemd/systemd") {
		return Systemd
	}
	return Unknown
}

// dpkgOwned returns the real paths of unit files that dpkg's lists name.
func (inv *Inventory) dpkgOwned(places plan.Places) map[string]bool {
	owned := map[string]bool{}
	t := inv.Tree
	dir := RealPath(t, "/var/lib/dpkg/info")
	for _, e := range t.ReadDir(dir) {
		if !strings.HasSuffix(e.Path, ".list") || e.Kind != tree.File {
			continue
		}
		inv.DpkgLists = true
		if e.TooLarge {
			inv.Problems = append(inv.Problems, plan.Finding{Level: plan.Warning, Shim: plan.ShimInspect, Path: e.Path,
				Message: "dpkg file list larger than the snapshot cap; services it owns may be taken for custom ones"})
			continue
		}
		for _, line := range strings.Split(string(e.Data), "\n") {
			// Units and jobs (scope), and whatever lies where initcompat
			// writes (remove never touches a package's file).
			if !strings.HasPrefix(line, "/") || (!strings.Contains(line, "/systemd/system/") && !places.Contain(line)) {
				continue
			}
			if r, err := t.ResolveParent(line); err == nil {
				owned[r] = true
			}
		}
	}
	return owned
}

// isPackaged decides whether a unit file came with the OS. With dpkg lists
// the answer is exact; without them, a fragment under /etc or /usr/local is
// the admin's, anything else the vendor's.
func isPackaged(fragment string, owned map[string]bool, haveLists bool) bool {
	if haveLists {
		return owned[fragment]
	}
	return !strings.HasPrefix(fragment, "/etc/") && !strings.HasPrefix(fragment, "/usr/local/")
}

func parseManifestAt(p string, data []byte) (*plan.Manifest, *plan.Finding) {
	m, err := plan.ParseManifest(data)
	if err != nil {
		return nil, &plan.Finding{Level: plan.Error, Shim: plan.ShimManifest, Path: p,
			Message: err.Error() + "; move it away or set manifest_path to another file"}
	}
	return m, nil
}
