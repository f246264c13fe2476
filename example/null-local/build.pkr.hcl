# A local experiment: the null builder runs nothing remotely, and initcompat
# reads and writes an image tree on this machine through root_dir.
#
#   make demo
#
# does this on a copy of example/image, the hello.service story: a daemon
# with only a systemd unit, which cfn-init's sysvinit key cannot control.

packer {
  required_plugins {
    initcompat = {
      source  = "github.com/initcompat/initcompat"
      version = ">= 0.1.0"
    }
  }
}

variable "root_dir" {
  type        = string
  description = "Root directory of the image to provision (a copy: it is written)."
}

variable "report_file" {
  type    = string
  default = "report.json"
}

variable "mode" {
  type    = string
  default = "apply"
}

source "null" "image" {
  communicator = "none"
}

build {
  sources = ["source.null.image"]

  provisioner "initcompat" {
    root_dir    = var.root_dir
    mode        = var.mode
    services    = ["hello"]
    report_file = var.report_file
  }
}
