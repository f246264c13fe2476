# The integration's card on the HashiCorp integrations site, read from this
# directory with the component docs next to it (make generate writes them).
integration {
  name        = "initcompat"
  description = "Makes services baked into an image controllable at boot by cfn-init, update-rc.d, service, chkconfig, systemctl and EC2 user data, whatever init system the image has."
  identifier  = "packer/initcompat/initcompat"
  docs {
    process_docs    = true
    readme_location = "./README.md"
    external_url    = "https://github.com/initcompat/packer-plugin-initcompat"
  }
  license {
    type = "MPL-2.0"
    url  = "https://github.com/initcompat/packer-plugin-initcompat/blob/main/LICENSE"
  }
  component {
    type = "provisioner"
    name = "initcompat"
    slug = "initcompat"
  }
}
