//go:build !linux

package bot

import (
	"io"
	"net"
)

// socketIO is c: only Linux has the untracked system calls it uses
// there (see plainhttp_linux.go).
func socketIO(c net.Conn) io.ReadWriter { return c }
