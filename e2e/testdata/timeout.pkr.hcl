# The local path with Packer's own provisioner timeout: a timeout that ends
# before the plugin begins makes Packer send Cancel ahead of Provision.
variable "root_dir" { type = string }
variable "timeout" { type = string }

source "null" "image" {
  communicator = "none"
}

build {
  sources = ["source.null.image"]
  provisioner "initcompat" {
    root_dir = var.root_dir
    timeout  = var.timeout
  }
}
