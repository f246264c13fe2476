//go:build !unix

package tree

// nonBlock: there is no fifo to wait on here.
const nonBlock = 0
