# A build whose one provisioner is initcompat with nothing to do: the image
# (a copy of example/image, provisioned once before the timing) has every
# shim already.
variable "root_dir" {
  type = string
}

source "null" "image" {
  communicator = "none"
}

build {
  sources = ["source.null.image"]
  provisioner "initcompat" {
    root_dir = var.root_dir
    services = ["hello"]
  }
}
