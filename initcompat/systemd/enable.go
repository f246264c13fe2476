package systemd

import (
	"path"
	"sort"
	"strings"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

// State is what `systemctl is-enabled` would print, restricted to what an
// image at rest can show.
type State string

// The states initcompat distinguishes.
const (
	Enabled  State = "enabled"
	Disabled State = "disabled"
	Static   State = "static"
	Masked   State = "masked"
	Alias    State = "alias"
	// Indirect is a unit not enabled itself, but listed in Also= of another.
	Indirect State = "indirect"
)

// Want is one enablement link: Target.wants/Unit (or .requires).
type Want struct {
	Target string // "multi-user.target"
	Kind   string // "wants", "requires" or "upholds"
	Link   string // real path of the link
	Vendor bool   // under /usr or /lib: systemctl disable cannot remove it
}

// Enablement is how a unit is hooked into the boot.
type Enablement struct {
	State State
	Wants []Want
}

// VendorOnly reports a unit started at boot only through links under /usr or
// /lib: it runs while `systemctl is-enabled` says disabled.
func (e Enablement) VendorOnly() bool {
	if len(e.Wants) == 0 {
		return false
	}
	for _, w := range e.Wants {
		if !w.Vendor {
			return false
		}
	}
	return true
}

// wantIndex maps a unit name to the links that pull it in.
func (s *Store) wantIndex() map[string][]Want {
	if s.wants != nil {
		return s.wants
	}
	s.wants = map[string][]Want{}
	for _, d := range s.dirs {
		for _, e := range s.t.ReadDir(d.Real) {
			if e.Kind != tree.Dir {
				continue
			}
			base := path.Base(e.Path)
			var kind string
			for _, k := range []string{"wants", "requires", "upholds"} {
				if strings.HasSuffix(base, "."+k) {
					kind = k
				}
			}
			if kind == "" {
				continue
			}
			target := strings.TrimSuffix(base, "."+kind)
			for _, l := range s.t.ReadDir(e.Path) {
				n := path.Base(l.Path)
				if !ValidName(n) {
					continue
				}
				s.wants[n] = append(s.wants[n], Want{Target: target, Kind: kind, Link: l.Path, Vendor: VendorDir(d.Path)})
			}
		}
	}
	return s.wants
}

// aliasIndex maps a unit name to the alias links of it in the
// configuration directories (/etc, /run): links of another unit name that
// lead to it, as systemctl enable makes them for Alias=.
func (s *Store) aliasIndex() map[string][]string {
	if s.aliases != nil {
		return s.aliases
	}
	s.aliases = map[string][]string{}
	for _, d := range s.dirs {
		if VendorDir(d.Path) {
			continue
		}
		for _, e := range s.t.ReadDir(d.Real) {
			if e.Kind != tree.Symlink || isNull(e.Target) {
				continue
			}
			n, t := path.Base(e.Path), path.Base(e.Target)
			if n != t && ValidName(n) && ValidName(t) && Suffix(n) == Suffix(t) {
				s.aliases[t] = append(s.aliases[t], e.Path)
			}
		}
	}
	return s.aliases
}

// WantedBy lists the links that pull name in at boot, sorted by target.
func (s *Store) WantedBy(name string) []Want {
	ws := append([]Want(nil), s.wantIndex()[name]...)
	sort.Slice(ws, func(i, j int) bool {
		if ws[i].Target != ws[j].Target {
			return ws[i].Target < ws[j].Target
		}
		return ws[i].Link < ws[j].Link
	})
	return ws
}

// Enablement reports the state of name.
func (s *Store) Enablement(name string) Enablement {
	en := Enablement{Wants: s.WantedBy(name)}
	e, _, ok := s.Entry(name)
	switch {
	case ok && e.Kind == tree.Symlink && isNull(e.Target):
		en.State = Masked
		return en
	case ok && s.AliasOf(name) != "":
		en.State = Alias
		return en
	}
	for _, w := range en.Wants {
		if !w.Vendor {
			en.State = Enabled
			return en
		}
	}
	if len(s.aliasIndex()[name]) > 0 {
		// systemctl is-enabled says enabled for any link in the
		// configuration directories that leads to the unit (install.c,
		// find_symlinks_in_scope): a display manager's whole [Install]
		// is Alias=display-manager.service.
		en.State = Enabled
		return en
	}
	u := s.Load(name)
	if u == nil {
		en.State = Disabled
		return en
	}
	if !u.HasInstall() || !hasInstallRules(u) {
		en.State = Static
		return en
	}
	if len(u.Values("Install", "WantedBy")) == 0 && len(u.Values("Install", "RequiredBy")) == 0 &&
		len(u.Values("Install", "Alias")) == 0 && len(u.Values("Install", "Also")) > 0 {
		en.State = Indirect
		return en
	}
	en.State = Disabled
	return en
}

// hasInstallRules says whether the unit's [Install] holds what systemctl
// counts as installation rules (install.c, unit_file_install_info_has_rules
// in systemd 252: Alias=, WantedBy=, RequiredBy=, Also=): one with UpheldBy=
// alone is static to systemctl is-enabled there.
func hasInstallRules(u *Unit) bool {
	for _, k := range []string{"Alias", "WantedBy", "RequiredBy", "Also"} {
		if len(u.Values("Install", k)) > 0 {
			return true
		}
	}
	return false
}
