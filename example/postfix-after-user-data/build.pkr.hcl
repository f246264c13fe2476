# Postfix whose queue user data moves onto EFS: Postfix must start after
# the user data (cloud-final.service) and remote file systems. On RHEL 8
# the plain drop-in is enough; on Debian, Ubuntu, AL2023 with cloud-init
# 24.4+ it would close an ordering cycle, which initcompat breaks.
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

source "amazon-ebs" "al2023" {
  region        = var.region
  instance_type = "t3.micro"
  ssh_username  = "ec2-user"
  ami_name      = "postfix-efs-{{timestamp}}"
  source_ami_filter {
    filters = {
      name                = "al2023-ami-2023.*-x86_64"
      virtualization-type = "hvm"
    }
    owners      = ["amazon"]
    most_recent = true
  }
}

build {
  sources = ["source.amazon-ebs.al2023"]

  provisioner "shell" {
    inline = [
      "sudo dnf install -y postfix amazon-efs-utils",
      "sudo systemctl enable postfix",
      "sudo mv /var/spool/postfix /var/spool/postfix_org",
      "sudo mkdir -p /Mail",
      "echo 'fs-xxxxxxxx: /Mail efs defaults,_netdev 0 0' | sudo tee -a /etc/fstab",
    ]
  }

  provisioner "initcompat" {
    start_after_user_data = ["postfix"]
    ordering {
      unit                = "postfix"
      requires_mounts_for = ["/Mail"]
    }
  }
}
