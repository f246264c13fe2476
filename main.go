// Command packer-plugin-initcompat is the Packer plugin binary. Packer runs
// it; the single provisioner it registers is `provisioner "initcompat"`.
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/packer-plugin-sdk/plugin"

	"github.com/initcompat/packer-plugin-initcompat/provisioner"
	"github.com/initcompat/packer-plugin-initcompat/version"
)

func main() {
	pps := plugin.NewSet()
	pps.RegisterProvisioner(plugin.DEFAULT_NAME, new(provisioner.Provisioner))
	pps.SetVersion(version.PluginVersion)
	if err := pps.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err.Error())
		os.Exit(1)
	}
}
