# The build alone, no provisioner: what Packer itself costs.
variable "root_dir" {
  type = string
}

source "null" "image" {
  communicator = "none"
}

build {
  sources = ["source.null.image"]
}
