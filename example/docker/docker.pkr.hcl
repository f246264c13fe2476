# A Debian image built with the Docker builder, its hand-installed services
# given /etc/init.d redirects and rc links, so that update-rc.d, service and
# cfn-init's sysvinit key control them where the image is booted later (a
# VM or a systemd container). The container itself has no init running:
# initcompat writes through `docker exec` and skips verify.
packer {
  required_plugins {
    docker = {
      source  = "github.com/hashicorp/docker"
      version = "= 1.1.2"
    }
    initcompat = {
      source  = "github.com/initcompat/initcompat"
      version = ">= 0.1.0"
    }
  }
}

variable "base" {
  type    = string
  default = "debian:bookworm"
}

source "docker" "debian" {
  image  = var.base
  commit = true
}

build {
  sources = ["source.docker.debian"]
  provisioner "shell" {
    inline = [
      "printf '[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n' >/etc/systemd/system/hello.service",
      "mkdir -p /etc/systemd/system/multi-user.target.wants",
      "ln -sf /etc/systemd/system/hello.service /etc/systemd/system/multi-user.target.wants/hello.service",
    ]
  }
  provisioner "initcompat" {
    services = ["hello"]
  }
  post-processor "docker-tag" {
    repository = "example/initcompat-debian"
    tags       = ["latest"]
  }
}
