package initcompat

import "flag"

var update = flag.Bool("update", false, "rewrite the expected plans, files and scripts in testdata")

const testVersion = "0.0.0-test"

// For the golden cases, which plan through the provisioner's configuration
// and so live in package initcompat_test (the provisioner imports this
// package).
var (
	Update      = update
	TestVersion = testVersion
)
