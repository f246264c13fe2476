# The build as users run it: SSH into the booted image as a non-root user
# with passwordless sudo, and provision it.
variable "port" { type = string }
variable "key" { type = string }
variable "user" {
  type    = string
  default = "builder"
}
variable "execute_command" {
  type    = string
  default = ""
}
variable "mode" {
  type    = string
  default = "apply"
}
variable "disable" {
  type    = list(string)
  default = []
}
variable "ordering_after" {
  type    = list(string)
  default = []
}
variable "verify" {
  type    = string
  default = ""
}

source "null" "booted" {
  ssh_host             = "127.0.0.1"
  ssh_port             = var.port
  ssh_username         = var.user
  ssh_private_key_file = var.key
  ssh_timeout          = "30s"
}

build {
  sources = ["source.null.booted"]
  provisioner "initcompat" {
    mode            = var.mode
    services        = ["hello"]
    disable         = var.disable
    execute_command = var.execute_command
    verify          = var.verify == "" ? null : var.verify == "true"
    dynamic "ordering" {
      for_each = length(var.ordering_after) > 0 ? [1] : []
      content {
        unit  = "hello.service"
        after = var.ordering_after
      }
    }
  }
}
