# Ubuntu 16.04 and later (systemd): hello has only a unit; cfn-init's
# services: sysvinit: key needs an LSB script and rc links, which
# initcompat writes. The template that will launch the AMI is read at build
# time, so a service it names that the image lacks fails this build.
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

source "amazon-ebs" "noble" {
  region        = var.region
  instance_type = "t3.micro"
  ssh_username  = "ubuntu"
  ami_name      = "hello-systemd-{{timestamp}}"
  source_ami_filter {
    filters = {
      name                = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"
      virtualization-type = "hvm"
    }
    owners      = ["099720109477"]
    most_recent = true
  }
}

build {
  sources = ["source.amazon-ebs.noble"]

  provisioner "shell" {
    inline = [
      "printf '#!/usr/bin/env bash\\nwhile true; do sleep 1; date >> /opt/daemon_test/$1.log; done\\n' | sudo install -D -m 0755 /dev/stdin /opt/daemon_test/hello.sh",
      "printf '[Unit]\\nDescription=hello systemd\\n\\n[Service]\\nExecStart=/opt/daemon_test/hello.sh systemd\\nRestart=always\\n\\n[Install]\\nWantedBy=multi-user.target\\n' | sudo tee /etc/systemd/system/hello.service",
      "sudo systemctl enable hello",
    ]
  }

  provisioner "initcompat" {
    cfn_init {
      template_file = "${path.root}/stack.yaml"
    }
    report_file = "initcompat-report.json"
  }
}
