# The yardstick: the same build with a one-line shell-local provisioner.
variable "root_dir" {
  type = string
}

source "null" "image" {
  communicator = "none"
}

build {
  sources = ["source.null.image"]
  provisioner "shell-local" {
    inline = ["true"]
  }
}
