# An SSH build that takes every hand-installed service in scope: many
# changes, for the interrupted-apply tests.
variable "port" { type = string }
variable "key" { type = string }

source "null" "booted" {
  ssh_host             = "127.0.0.1"
  ssh_port             = var.port
  ssh_username         = "builder"
  ssh_private_key_file = var.key
  ssh_timeout          = "30s"
}

build {
  sources = ["source.null.booted"]
  provisioner "initcompat" {}
}
