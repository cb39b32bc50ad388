package control

import (
	"log/slog"
	"net"
	"os"
	"syscall"
)

// sameUserOnly drops connections whose peer is another OS user, checked
// with SO_PEERCRED; the socket's file mode already keeps others out, this
// also covers a folder with looser permissions.
func sameUserOnly(ln net.Listener) net.Listener {
	return &peerCheckListener{Listener: ln, uid: uint32(os.Getuid())}
}

type peerCheckListener struct {
	net.Listener
	uid uint32
}

func (l *peerCheckListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if uid, ok := peerUID(conn); ok && uid == l.uid {
			return conn, nil
		}
		slog.Warn("control: refused a connection from another user")
		conn.Close()
	}
}

func peerUID(conn net.Conn) (uint32, bool) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return 0, false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var cred *syscall.Ucred
	var credErr error
	err = raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	if err != nil || credErr != nil {
		return 0, false
	}
	return cred.Uid, true
}
