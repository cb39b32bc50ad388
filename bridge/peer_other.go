//go:build !linux

package bridge

// defaultPeerUID is nil where robotbridge cannot yet ask the OS who owns a
// client socket (Windows, macOS): known shortcoming, see docs/security.md.
var defaultPeerUID PeerUIDFunc
