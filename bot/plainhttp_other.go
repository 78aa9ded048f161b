//go:build !unix

package bot

import "net"

// aliveAfterIdle cannot look without waiting here, so a connection idle
// for a while is dialled anew.
func aliveAfterIdle(net.Conn) bool { return false }

// awaitAfter runs write: reading the answer waits for it.
func awaitAfter(_ *plainConn, write func() error) error { return write() }
