package bridge

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// ProcPeerUID finds the owner of the client's socket in /proc/net/tcp and
// tcp6: the line whose local address is the client's and whose remote
// address is ours carries the client socket's uid.
func ProcPeerUID(local, remote net.Addr) (int, bool) {
	l, ok1 := local.(*net.TCPAddr)
	r, ok2 := remote.(*net.TCPAddr)
	if !ok1 || !ok2 {
		return 0, false
	}
	table, clientKey, serverKey := "/proc/net/tcp", procAddr(r), procAddr(l)
	if r.IP.To4() == nil {
		table = "/proc/net/tcp6"
	}
	data, err := os.ReadFile(table)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		// fields: sl local rem st tx:rx tr:when retrnsmt uid ...
		if len(f) > 7 && f[1] == clientKey && f[2] == serverKey {
			uid, err := strconv.Atoi(f[7])
			return uid, err == nil
		}
	}
	return 0, false
}

// procAddr writes an address the way /proc/net/tcp does: the IP as
// 32-bit words in host (little-endian) order, then the port in hex.
func procAddr(a *net.TCPAddr) string {
	ip := a.IP.To4()
	if ip == nil {
		ip = a.IP.To16()
	}
	var b strings.Builder
	for i := 0; i+4 <= len(ip); i += 4 {
		fmt.Fprintf(&b, "%08X", binary.LittleEndian.Uint32(ip[i:i+4]))
	}
	fmt.Fprintf(&b, ":%04X", a.Port)
	return b.String()
}

// defaultPeerUID is the OS's answer on Linux.
var defaultPeerUID PeerUIDFunc = ProcPeerUID
