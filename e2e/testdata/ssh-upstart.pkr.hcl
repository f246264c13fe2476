# The build as users run it against a booted Upstart machine: SSH in as a
# user with passwordless sudo and provision it.
variable "port" { type = string }
variable "key" { type = string }
variable "services" { type = list(string) }
variable "disable" {
  type    = list(string)
  default = []
}

source "null" "booted" {
  ssh_host             = "127.0.0.1"
  ssh_port             = var.port
  ssh_username         = "builder"
  ssh_private_key_file = var.key
  ssh_timeout          = "60s"
}

build {
  sources = ["source.null.booted"]
  provisioner "initcompat" {
    services = var.services
    disable  = var.disable
  }
}
