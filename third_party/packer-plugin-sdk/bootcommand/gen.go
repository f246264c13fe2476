// Copyright IBM Corp. 2013, 2025
// SPDX-License-Identifier: MPL-2.0

//go:generate pigeon -o boot_command.go boot_command.pigeon

package bootcommand
