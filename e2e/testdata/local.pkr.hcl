# The local path: an image that is not booted, provisioned through root_dir
# by the null builder with the "none" communicator.
variable "root_dir" { type = string }
variable "mode" {
  type    = string
  default = "apply"
}
variable "report_file" {
  type    = string
  default = ""
}
variable "start_after_user_data" {
  type    = list(string)
  default = []
}
variable "mask" {
  type    = list(string)
  default = []
}
variable "services" {
  type    = list(string)
  default = []
}
variable "disable" {
  type    = list(string)
  default = []
}
variable "foreground_init_scripts" {
  type    = list(string)
  default = []
}
variable "native_units_for_init_scripts" {
  type    = bool
  default = false
}
variable "cfn_templates" {
  type    = list(string)
  default = []
}

source "null" "image" {
  communicator = "none"
}

build {
  sources = ["source.null.image"]
  provisioner "initcompat" {
    root_dir              = var.root_dir
    mode                  = var.mode
    report_file           = var.report_file
    start_after_user_data = var.start_after_user_data
    mask                  = var.mask
    services              = var.services
    disable               = var.disable

    foreground_init_scripts = var.foreground_init_scripts

    native_units_for_init_scripts = var.native_units_for_init_scripts

    dynamic "cfn_init" {
      for_each = var.cfn_templates
      content {
        template_file = cfn_init.value
      }
    }
  }
}
