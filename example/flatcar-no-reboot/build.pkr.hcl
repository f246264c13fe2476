# Flatcar: update-engine and locksmithd live in read-only /usr, enabled from
# there; systemctl disable says nothing. Masks in /etc stop them.
packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0"
    }
    initcompat = {
      source  = "github.com/initcompat/initcompat"
      version = ">= 0.1.0"
    }
  }
}

variable "region" {
  type    = string
  default = "ap-northeast-1"
}

source "amazon-ebs" "flatcar" {
  region        = var.region
  instance_type = "t3.micro"
  ssh_username  = "core"
  ami_name      = "flatcar-pinned-{{timestamp}}"
  source_ami_filter {
    filters = {
      name                = "Flatcar-stable-*-hvm"
      virtualization-type = "hvm"
    }
    owners      = ["075585003325"]
    most_recent = true
  }
}

build {
  sources = ["source.amazon-ebs.flatcar"]

  provisioner "initcompat" {
    mask = ["update-engine", "locksmithd"]
  }
}
