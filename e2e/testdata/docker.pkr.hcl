# The Docker builder, as CI image pipelines use it: a container from a local
# base image (never pulled), provisioned through the docker communicator
# (docker exec), committed and tagged. No network: the container gets none.
variable "base" { type = string }
variable "tag" { type = string }

source "docker" "app" {
  image       = var.base
  pull        = false
  commit      = true
  run_command = ["-d", "-i", "-t", "--network", "none", "--entrypoint=/bin/sh", "--", "{{.Image}}"]
}

build {
  sources = ["source.docker.app"]
  provisioner "initcompat" {
    services = ["hello"]
  }
  post-processor "docker-tag" {
    repository = var.tag
    tags       = ["provisioned"]
  }
}
