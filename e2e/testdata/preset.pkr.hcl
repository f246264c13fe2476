# The first boot (issue 32): initcompat pins the enablement the build
# leaves, then the clean-up image pipelines end with resets the machine ID,
# after initcompat, as docs/provisioners/initcompat.mdx says to order them.
variable "root_dir" { type = string }
variable "disable" {
  type    = list(string)
  default = []
}
variable "pin_all_enablement" {
  type    = bool
  default = false
}
# uninitialized, missing or empty: how the clean-up resets /etc/machine-id
# (machine-id-reset.sh); keep leaves it as it is.
variable "machine_id" {
  type    = string
  default = "keep"
}

source "null" "image" {
  communicator = "none"
}

build {
  sources = ["source.null.image"]
  provisioner "initcompat" {
    root_dir           = var.root_dir
    disable            = var.disable
    pin_all_enablement = var.pin_all_enablement
  }
  provisioner "shell-local" {
    environment_vars = ["ROOT=${var.root_dir}", "MACHINE_ID=${var.machine_id}"]
    inline           = ["sh ${path.root}/machine-id-reset.sh"]
  }
}
