//go:build !linux || race

package bot

import (
	"io"
	"net"
)

// socketIO is c: the system calls the runtime does not track are used on
// Linux only, and not under the race detector (see plainhttp_raw.go).
func socketIO(c net.Conn) io.ReadWriter { return c }
