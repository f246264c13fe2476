package systemd

import "slices"

// UnitDir reports whether dir is a directory of the unit search path
// (SearchPath), where a unit file systemctl enable links to lives.
func UnitDir(dir string) bool { return slices.Contains(SearchPath, dir) }
