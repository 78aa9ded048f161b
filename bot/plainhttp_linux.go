package bot

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// socketIO reads and writes c's socket with system calls the Go runtime
// does not track. A tracked call made while the process was idle wakes
// the runtime's monitor thread, which then polls every 20 µs for a while:
// at a thousand paced messages a second that was a sixth of the service's
// CPU. The socket is non-blocking, so none of these calls waits; a wait
// for the socket goes through the runtime's poller as usual, deadlines
// and all.
func socketIO(c net.Conn) io.ReadWriter {
	raw, ok := rawConn(c)
	if !ok {
		return c
	}
	return rawSocket{c: c, raw: raw}
}

// rawSocket is a connection read and written by socketIO's system calls.
type rawSocket struct {
	c   net.Conn
	raw syscall.RawConn
}

func (s rawSocket) Read(p []byte) (n int, err error) {
	if len(p) == 0 {
		return 0, nil
	}
	var errno syscall.Errno
	if err := s.raw.Read(func(fd uintptr) bool {
		n, errno = rawIO(syscall.SYS_READ, fd, p)
		return errno != syscall.EAGAIN
	}); err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, s.opError("read", errno)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (s rawSocket) Write(p []byte) (n int, err error) {
	var errno syscall.Errno
	err = s.raw.Write(func(fd uintptr) bool {
		for n < len(p) {
			var wrote int
			if wrote, errno = rawIO(syscall.SYS_WRITE, fd, p[n:]); errno != 0 {
				return errno != syscall.EAGAIN
			}
			n += wrote
		}
		return true
	})
	if err == nil && errno != 0 {
		err = s.opError("write", errno)
	}
	return n, err
}

// rawIO reads (trap SYS_READ) or writes (SYS_WRITE) p on fd, again when
// a signal interrupts it.
func rawIO(trap, fd uintptr, p []byte) (int, syscall.Errno) {
	for {
		r, _, errno := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if errno == 0 {
			return int(r), 0
		}
		if errno != syscall.EINTR {
			return 0, errno
		}
	}
}

// opError words a failed call as net's own reads and writes do.
func (s rawSocket) opError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: s.c.LocalAddr().Network(), Source: s.c.LocalAddr(), Addr: s.c.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}
