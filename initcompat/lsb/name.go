package lsb

import "regexp"

// validName is what update-rc.d, insserv and run-parts accept as an
// /etc/init.d name; it also keeps names out of shell syntax.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]*$`)

// ValidName reports a name an init script may have in /etc/init.d.
func ValidName(name string) bool { return validName.MatchString(name) }
