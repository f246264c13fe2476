# Ubuntu 14.04 (Upstart): the story's hello-upstart job gets the
# /etc/init.d link cfn-init needs, and respawning jobs get a stop on.
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

source "amazon-ebs" "trusty" {
  region        = var.region
  instance_type = "t3.micro"
  ssh_username  = "ubuntu"
  ami_name      = "hello-upstart-{{timestamp}}"
  source_ami_filter {
    filters = {
      name                = "ubuntu/images/hvm-ssd/ubuntu-trusty-14.04-amd64-server-*"
      virtualization-type = "hvm"
    }
    owners      = ["099720109477"]
    most_recent = true
  }
}

build {
  sources = ["source.amazon-ebs.trusty"]

  provisioner "file" {
    source      = "${path.root}/hello-upstart.conf"
    destination = "/tmp/hello-upstart.conf"
  }

  provisioner "shell" {
    inline = [
      "sudo install -D -m 0755 /dev/stdin /opt/daemon_test/hello.sh <<'EOF'\n#!/usr/bin/env bash\nwhile true; do sleep 1; date >> /opt/daemon_test/$1.log; done\nEOF",
      "sudo install -m 0644 /tmp/hello-upstart.conf /etc/init/hello-upstart.conf",
    ]
  }

  provisioner "initcompat" {
    services = ["hello-upstart"]
    cfn_init {
      template_file = "${path.root}/stack.yaml"
    }
  }
}
