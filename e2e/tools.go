//go:build tools

// Package e2e pins the Packer release the end-to-end tests and the demo build.
package e2e

import _ "github.com/hashicorp/packer"
