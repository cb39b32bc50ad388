package bridge

import (
	"context"
	"net"
	"net/http"
	"os"
)

// Field report 7: on a shared computer (RDP, Citrix) every user's browser
// reaches the same loopback ports, so the first user's bridge would serve
// everyone. The bridge asks the OS which user owns the client's socket and
// serves only its own user.

// PeerUIDFunc tells which OS user owns the client end of a loopback
// connection; ok is false when the OS cannot tell.
type PeerUIDFunc func(local, remote net.Addr) (uid int, ok bool)

type peerKey struct{}

// peerContext records the connection's peer user once per connection.
func (s *Server) peerContext(ctx context.Context, c net.Conn) context.Context {
	if s.cfg.PeerUID == nil {
		return ctx
	}
	uid, ok := s.cfg.PeerUID(c.LocalAddr(), c.RemoteAddr())
	return context.WithValue(ctx, peerKey{}, peerInfo{uid, ok})
}

type peerInfo struct {
	uid int
	ok  bool
}

// otherUser reports whether the request comes from another OS user. When
// the OS cannot tell, the request is not refused on this ground.
func (s *Server) otherUser(r *http.Request) bool {
	if s.cfg.PeerUID == nil {
		return false
	}
	p, found := r.Context().Value(peerKey{}).(peerInfo)
	if !found { // a server not built by Serve (tests): ask per request
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		remote, err := net.ResolveTCPAddr("tcp", r.RemoteAddr)
		if local == nil || err != nil || !remote.IP.IsLoopback() {
			return false // not a real loopback connection: nobody to ask about
		}
		p.uid, p.ok = s.cfg.PeerUID(local, remote)
	}
	return p.ok && p.uid != os.Getuid()
}
