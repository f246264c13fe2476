package initcompat

import (
	"flag"

	"github.com/initcompat/packer-plugin-initcompat/initcompat/tree"
)

var update = flag.Bool("update", false, "rewrite the expected plans, files and scripts in testdata")

const testVersion = "0.0.0-test"

// For the golden cases, which plan through the provisioner's configuration
// and so live in package initcompat_test (the provisioner imports this
// package).
var (
	Update      = update
	TestVersion = testVersion
)

// AttemptedOrderings is every drop-in the ordering shim would write for
// pol, cycle breaks included, whether or not it then refuses: what the
// ordering oracle hands systemd to judge a refusal by.
func AttemptedOrderings(t *tree.Tree, pol Policy) map[string][]byte {
	col := newCollector(newView(Inspect(t, pol), pol, map[string]*ManifestEntry{}))
	set := validOrderings(col, pol.rules())
	breakCycles(col, set)
	out := map[string][]byte{}
	for _, n := range set.order {
		out[n] = renderDropIn(pol.Version, set.byUnit[n])
	}
	return out
}
