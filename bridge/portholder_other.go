//go:build !linux

package bridge

// portHolder cannot name the holder of a port on this system yet; the
// error still names the port. Known shortcoming on Windows and macOS.
func portHolder(port int) string { return "" }
