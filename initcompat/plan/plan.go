// Package plan is the plan as data: what initcompat will write into an
// image and why (Change, Finding, the questions verify asks of a change),
// what the user asked for (Policy), what it wrote before (Manifest), and
// their renderings: Text for PACKER_LOG, Brief for the build log, JSON for
// report_file. The planner makes a Plan, the apply protocol runs it as it
// is (package protocol has no type of its own for a change), and verify
// asks what its changes expect. Nothing here reads an image or runs
// anything.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/cfn"
)

// Op is what a Change does to one path.
type Op string

// The operations of a Change.
const (
	OpMkdir   Op = "mkdir"
	OpWrite   Op = "write"
	OpSymlink Op = "symlink"
	OpRemove  Op = "remove"
)

// Prior is the state a path must still be in when the change is applied;
// the snapshot saw it so.
type Prior struct {
	Kind   PathKind `json:"kind"`
	SHA256 string   `json:"sha256,omitempty"`
	Target string   `json:"target,omitempty"`
}

// PathKind is what a path is, or was, in the image: a plan's Prior and a
// manifest entry say it.
type PathKind string

// The kinds of paths.
const (
	KindAbsent  PathKind = "absent"
	KindFile    PathKind = "file"
	KindSymlink PathKind = "symlink"
	KindDir     PathKind = "dir"
	// KindOther is a node that is none of a file, a link and a directory
	// (a FIFO, a device, a socket): the apply's checks find one where a
	// plan expected otherwise.
	KindOther PathKind = "other"
	// KindRemoved is a manifest entry's: a link of the image's own that a
	// disable took away (its Target says what it pointed to).
	KindRemoved PathKind = "removed"
	// KindRegenerated is a manifest entry's: a file another tool generates
	// (insserv's /etc/init.d/.depend.*) that initcompat wrote again with
	// its own additions; Prior is the sha256 of the content before, and
	// remove takes the additions out again.
	KindRegenerated PathKind = "regenerated"
)

// Absent is the Prior of a path that did not exist.
var Absent = Prior{Kind: KindAbsent}

// Change is one path initcompat writes, links or removes.
type Change struct {
	Op      Op          `json:"op"`
	Path    string      `json:"path"`
	Mode    fs.FileMode `json:"mode,omitempty"`
	Target  string      `json:"target,omitempty"`
	Content []byte      `json:"-"`
	SHA256  string      `json:"sha256,omitempty"`
	Prior   Prior       `json:"prior"`
	Service string      `json:"service,omitempty"`
	Shim    Shim        `json:"shim"`
	Reason  string      `json:"reason"`
	// Expect is what the image's init system should say once the change
	// is applied, as the shim that planned it knows: verify asks.
	Expect []Expect `json:"-"`
	// Regenerates: the file is another tool's generated state that the
	// change writes again (the manifest records it as KindRegenerated).
	Regenerates bool `json:"regenerates,omitempty"`
}

// Expect is one question verify puts to the image's init system about a
// change: a check of the verify runtime (package verify) and its
// arguments. The shim that plans a change says what it means, so verify
// never works it out again from the change's path.
type Expect struct {
	Check Check
	// Unit is the systemd unit the answer concerns: verify asks
	// systemd-analyze about every such unit. "" for Upstart's.
	Unit string
	Args []string
}

// Check names a question verify knows how to ask.
type Check string

// The questions: each is a function of the verify runtime, which takes
// the Expect's arguments.
const (
	// CheckLoaded: systemctl show says the unit (Args[0]) is loaded, or
	// masked when Args[1] says so.
	CheckLoaded Check = "loaded"
	// CheckDropIn: the unit's DropInPaths hold the drop-in (Args: unit, path).
	CheckDropIn Check = "dropin"
	// CheckDepends: systemctl show -p KEY lists the value (Args: unit, key, value).
	CheckDepends Check = "depends"
	// CheckNotEnabled: systemctl is-enabled does not say enabled (Args: unit).
	CheckNotEnabled Check = "not_enabled"
	// CheckLSBStatus: /etc/init.d/NAME status agrees with systemctl
	// is-active (Args: name).
	CheckLSBStatus Check = "lsb_status"
	// CheckRCLinks: the rc links agree with systemctl is-enabled (Args: name).
	CheckRCLinks Check = "rc_links"
	// CheckUpstartOverride: Upstart takes the job's override (Args: job).
	CheckUpstartOverride Check = "upstart_override"
	// CheckUpstartKnown: initctl knows the job (Args: job).
	CheckUpstartKnown Check = "upstart_known"
	// CheckStartReturns: systemctl start of the unit systemd-sysv-generator
	// made for an init script returns within its bound, and the unit is
	// stopped again unless it ran before (Args: name). A probe: the
	// builder's own start says whether the daemon detaches.
	CheckStartReturns Check = "start_returns"
	// CheckPreset: the preset policy says what the pins say (Args:
	// UNIT=enabled or UNIT=disabled each), as systemctl list-unit-files
	// shows it.
	CheckPreset Check = "preset"
)

// Level says what a Finding does to the build.
type Level string

// The levels of a Finding.
const (
	Info    Level = "info"
	Warning Level = "warning"
	Error   Level = "error" // fails the build before anything is written
)

// Finding is something a person should know or act on.
type Finding struct {
	Level   Level  `json:"level"`
	Service string `json:"service,omitempty"`
	Shim    Shim   `json:"shim"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// Summary describes the image in one line of the UI.
type Summary struct {
	Init string `json:"init"`
	// Systemd says what the image's systemd is as far as init scripts
	// go ("262, no SysV generator"), "" when systemd does not boot it or
	// nothing is known: the image line shows it after the init system.
	Systemd   string `json:"systemd,omitempty"`
	Distro    string `json:"distro"`
	CloudInit bool   `json:"cloud_init"`
	// Boot says how the next boot treats the enablement the build leaves
	// (the machine ID's state: a first boot applies presets); "" when
	// systemd does not boot the image.
	Boot    string   `json:"boot,omitempty"`
	InScope []string `json:"services_in_scope"`
	// CfnInit lists the services cfn-init will manage, with where the
	// template names them.
	CfnInit []cfn.Service `json:"cfn_init,omitempty"`
}

// initSystem is the init system with what is known of its systemd:
// "systemd (262, no SysV generator)".
func (s Summary) initSystem() string {
	if s.Systemd == "" {
		return s.Init
	}
	return s.Init + " (" + s.Systemd + ")"
}

// Plan is everything initcompat would do to an image, and why.
type Plan struct {
	Version string `json:"initcompat_version"`
	// ManifestPath is where the plan's last change records what was written.
	ManifestPath string    `json:"manifest_path"`
	Summary      Summary   `json:"summary"`
	Changes      []Change  `json:"changes"`
	Findings     []Finding `json:"findings"`
	// Places are where the shims write (the registry's union): the apply
	// holds its journal to them, and recovery another's.
	Places Places `json:"-"`
	// Probes are questions for a booted builder that no change carries:
	// what reading the image could not decide (does an init script's start
	// action return?). verify asks them when it runs, as warnings.
	Probes []Expect `json:"-"`
	// Gzip is the image's gzip: the apply script's payload is compressed
	// when it is there (a third of the size on the wire).
	Gzip string `json:"-"`
}

// Empty reports a plan with nothing to write.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Errors returns the findings that fail the build.
func (p *Plan) Errors() []Finding {
	var out []Finding
	for _, f := range p.Findings {
		if f.Level == Error {
			out = append(out, f)
		}
	}
	return out
}

// Sum is the hex SHA-256 of b, as plans, manifests and journals record content.
func Sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// opOrder puts directories before what goes in them.
func opOrder(op Op) int {
	if op == OpMkdir {
		return 0
	}
	return 1
}

// Sort puts directories first, then paths in order, the manifest last, so
// the same inputs give the same bytes whatever map order the planning went
// through.
func (p *Plan) Sort(manifest string) {
	// Indexes are sorted and the changes moved once each: a stable sort
	// of 80,000 Changes in place moved each many times.
	order := make([]int, len(p.Changes))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &p.Changes[i], &p.Changes[j]
		if (a.Path == manifest) != (b.Path == manifest) {
			return boolCmp(a.Path == manifest, b.Path == manifest)
		}
		if oa, ob := opOrder(a.Op), opOrder(b.Op); oa != ob {
			return oa - ob
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return i - j // stable
	})
	permute(p.Changes, order)
	sort.SliceStable(p.Findings, func(i, j int) bool {
		a, b := p.Findings[i], p.Findings[j]
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.Shim != b.Shim {
			return a.Shim < b.Shim
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Message < b.Message
	})
}

// writeFindings writes one line per finding.
func (p *Plan) writeFindings(b *strings.Builder) {
	for _, f := range p.Findings {
		at := ""
		if f.Path != "" {
			at = " " + f.Path + ":"
		}
		fmt.Fprintf(b, "  %-7s [%s%s]%s %s\n", f.Level, f.Shim, svc(f.Service), at, f.Message)
	}
}

// Text renders the plan: one line per change and per finding, then a
// count.
func (p *Plan) Text() string {
	var b strings.Builder
	s := p.Summary
	fmt.Fprintf(&b, "image: init=%s distro=%s cloud-init=%s; in scope: %s\n",
		s.initSystem(), orNone(s.Distro), yesNo(s.CloudInit), orNone(strings.Join(s.InScope, " ")))
	if s.Boot != "" {
		b.WriteString("  boot: " + s.Boot + "\n")
	}
	for _, c := range s.CfnInit {
		fmt.Fprintf(&b, "  cfn-init: %s\n", c.Where())
	}
	for _, c := range p.Changes {
		what := c.Path
		switch c.Op {
		case OpSymlink:
			what += " -> " + c.Target
		case OpWrite:
			what += fmt.Sprintf(" (%04o, %d bytes)", c.Mode, len(c.Content))
		}
		verb := string(c.Op)
		if c.Prior.Kind != KindAbsent && c.Op != OpRemove {
			verb = "update"
		}
		fmt.Fprintf(&b, "  %-7s %s  [%s%s] %s\n", verb, what, c.Shim, svc(c.Service), c.Reason)
	}
	p.writeFindings(&b)
	fmt.Fprintf(&b, "%d change(s), %d finding(s)\n", len(p.Changes), len(p.Findings))
	return b.String()
}

// JSON renders the plan for report_file.
func (p *Plan) JSON() ([]byte, error) {
	type out Plan
	q := out(*p)
	if q.Changes == nil {
		q.Changes = []Change{}
	}
	if q.Findings == nil {
		q.Findings = []Finding{}
	}
	b, err := json.MarshalIndent(q, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("rendering plan: %w", err)
	}
	return append(b, '\n'), nil
}

func svc(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// boolCmp orders false before true.
func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// permute rearranges xs so that xs[k] is the old xs[order[k]], moving each
// element once by following the permutation's cycles; order is used up.
func permute[T any](xs []T, order []int) {
	for start := range order {
		if order[start] < 0 {
			continue
		}
		tmp := xs[start]
		k := start
		for order[k] != start {
			next := order[k]
			xs[k] = xs[next]
			order[k] = -1
			k = next
		}
		xs[k] = tmp
		order[k] = -1
	}
}
