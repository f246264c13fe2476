// Copyright IBM Corp. 2013, 2025
// SPDX-License-Identifier: MPL-2.0

/*
Package filelock makes it easy to create and check file locks for concurrent
processes.
*/
package filelock
