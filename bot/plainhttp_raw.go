//go:build linux && !race

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
// CPU. The socket is non-blocking (checked here), so none of these calls
// waits; a wait for the socket goes through the runtime's poller as
// usual, deadlines and all.
//
// Under the race detector c is used as it is: the detector learns from
// net's own reads and writes that data written on one side of a
// connection happens before it is read on the other, and would report
// races that are not there without them.
func socketIO(c net.Conn) io.ReadWriter {
	raw, ok := rawConn(c)
	if !ok || !nonBlocking(raw) {
		return c
	}
	s := &rawSocket{c: c, raw: raw}
	s.readOnce, s.writeOnce = s.read, s.write // bound once: a call allocates nothing
	return s
}

// nonBlocking reports whether raw's descriptor is in non-blocking mode.
// A blocking one, read by a call the runtime does not know of, would hold
// a processor (and a stop of the world for the collector) until data came.
func nonBlocking(raw syscall.RawConn) bool {
	ok := false
	err := raw.Control(func(fd uintptr) {
		flags, _, errno := syscall.RawSyscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		ok = errno == 0 && flags&syscall.O_NONBLOCK != 0
	})
	return err == nil && ok
}

// rawSocket is a connection read and written by socketIO's system calls.
// The state of the call under way is kept here, one for reading and one
// for writing (they may run at once), so that the functions handed to
// syscall.RawConn are made once.
type rawSocket struct {
	c   net.Conn
	raw syscall.RawConn

	readOnce, writeOnce func(fd uintptr) bool
	rp, wp              []byte
	rn, wn              int
	rerr, werr          syscall.Errno
}

func (s *rawSocket) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.rp, s.rn, s.rerr = p, 0, 0
	err := s.raw.Read(s.readOnce)
	n, errno := s.rn, s.rerr
	s.rp = nil
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, s.opError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// read is one try at reading s.rp; false asks to wait until it can.
func (s *rawSocket) read(fd uintptr) bool {
	s.rn, s.rerr = rawIO(syscall.SYS_READ, fd, s.rp)
	return s.rerr != syscall.EAGAIN
}

func (s *rawSocket) Write(p []byte) (int, error) {
	s.wp, s.wn, s.werr = p, 0, 0
	err := s.raw.Write(s.writeOnce)
	n, errno := s.wn, s.werr
	s.wp = nil
	switch {
	case err != nil:
		return n, err
	case errno != 0:
		return n, s.opError("write", errno)
	case n < len(p):
		return n, io.ErrShortWrite // the kernel took nothing and said nothing
	}
	return n, nil
}

// write writes what is left of s.wp; false asks to wait until it can
// go on.
func (s *rawSocket) write(fd uintptr) bool {
	for s.wn < len(s.wp) {
		n, errno := rawIO(syscall.SYS_WRITE, fd, s.wp[s.wn:])
		if errno != 0 {
			s.werr = errno
			return errno != syscall.EAGAIN
		}
		if n <= 0 || n > len(s.wp)-s.wn {
			return true // no progress (or nonsense): Write says so
		}
		s.wn += n
	}
	s.werr = 0
	return true
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
func (s *rawSocket) opError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: s.c.LocalAddr().Network(), Source: s.c.LocalAddr(), Addr: s.c.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}
