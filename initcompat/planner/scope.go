package planner

import (
	"fmt"
	"path"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/cfn"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/inspect"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/plan"
	"github.com/initcompat/packer-plugin-initcompat/initcompat/systemd"
)

// inScope is a service the shims consider, and why.
type inScope struct {
	svc      *inspect.Service
	explicit bool // named by the user: every skip is worth a Finding
}

// scopeOf lists the services the shims consider, and the errors for the
// named services the image lacks.
func scopeOf(inv *inspect.Inventory, pol plan.Policy) (out []inScope, errs []plan.Finding) {
	named := map[string]bool{}
	fromCfn := map[string][]cfn.Service{}
	for _, c := range pol.CfnInit {
		n := strings.TrimSuffix(c.Name, ".service")
		fromCfn[n] = append(fromCfn[n], c)
	}
	for _, n := range pol.Named() {
		s := inv.Service(n)
		if strings.HasSuffix(n, "@") && inv.Units.Load(n+".service") != nil {
			continue // a template: reportTemplates says why it gets no shim
		}
		if s == nil || !s.Exists() {
			msg := missing(inv, n)
			for _, c := range fromCfn[n] {
				msg = "cfn-init will manage it (" + c.Where() + "): " + msg
			}
			errs = append(errs, plan.Finding{Level: plan.Error, Service: n, Shim: plan.ShimScope, Message: msg})
			continue
		}
		named[n] = true
	}
	all := pol.All()
	for _, s := range inv.Services {
		custom := s.Custom()
		if named[s.Name] || custom || all {
			out = append(out, inScope{svc: s, explicit: named[s.Name] || custom})
		}
	}
	return out, errs
}

// missing words the error for a named service the image lacks.
func missing(inv *inspect.Inventory, name string) string {
	// A unit the image holds and systemd would not load either (a line
	// past its LONG_LINE_MAX, a dangling link) is said as it is.
	for _, p := range inv.Units.Problems {
		if path.Base(p.Path) == name+".service" {
			return fmt.Sprintf("%s.service is in the image but cannot be read (%v), and systemd would refuse it too; fix the unit", name, p.Err)
		}
	}
	var have []string
	for _, s := range inv.Services {
		if s.Exists() && s.Alias == "" {
			have = append(have, s.Name)
		}
	}
	return fmt.Sprintf("service %q is not in the image (no unit %s.service, no /etc/init.d/%s, no Upstart job)", name, name, name) +
		suggest(name, have, "Services in the image")
}

// suggest ends a "not in the image" message: the names close to name, then
// (the first 40 of) the names there are.
func suggest(name string, have []string, label string) string {
	var close []string
	for _, h := range have {
		if near(name, h) {
			close = append(close, h)
		}
	}
	// A line of the build log, not a listing: a few names and a count
	// (a 300-unit image gave a line of 457 characters).
	const show = 8
	msg := "."
	if len(close) > show {
		close = close[:show]
	}
	if len(close) > 0 {
		msg = "; did you mean " + strings.Join(close, ", ") + "?"
	}
	more := ""
	if len(have) > show {
		have, more = have[:show], fmt.Sprintf(" ... and %d more", len(have)-show)
	}
	return msg + " " + label + ": " + orNone(strings.Join(have, " ")) + more
}

// near is a small edit distance or one name containing the other.
func near(a, b string) bool {
	if strings.Contains(b, a) || strings.Contains(a, b) {
		return true
	}
	return editDistance(a, b) <= 2
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// checkUnitName fails the build for a name systemd would not accept, before
// it reaches a path.
func (col *collector) checkUnitName(shim plan.Shim, source, name string) bool {
	if systemd.ValidName(name) {
		return true
	}
	col.find(plan.Error, "", shim, "", fmt.Sprintf("%s: %q is not a unit name (letters, digits and \":-_.\\@\", a type suffix)", source, name))
	return false
}

// missingUnit words the error for a named unit the image lacks.
func missingUnit(inv *inspect.Inventory, source, name string) string {
	if systemd.Suffix(name) == "service" {
		return source + ": " + missing(inv, systemd.Prefix(name))
	}
	var have []string
	for _, n := range inv.Units.Names() {
		if systemd.Suffix(n) == systemd.Suffix(name) {
			have = append(have, n)
		}
	}
	return fmt.Sprintf("%s: unit %q is not in the image", source, name) + suggest(name, have, "Units of that type")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
