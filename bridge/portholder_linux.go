package bridge

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// portHolder names the process listening on a local TCP port, from /proc.
// It returns "" when it cannot tell (for example another user's process).
func portHolder(port int) string {
	inodes, uid := listeningInodes(port)
	if len(inodes) == 0 {
		return ""
	}
	owner := ""
	if uid != os.Getuid() {
		// Field report 7: on a shared computer the port may belong to
		// another user's session.
		owner = fmt.Sprintf(", another user of this computer (uid %d)", uid)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		link, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			pid := strings.Split(fd, "/")[2]
			return fmt.Sprintf("pid %s (%s)%s", pid, programName(pid), owner)
		}
	}
	return strings.TrimPrefix(owner, ", ")
}

// listeningInodes returns the socket inodes listening on the port and the
// uid that owns them.
func listeningInodes(port int) (map[string]bool, int) {
	want := strings.ToUpper(strconv.FormatInt(int64(port), 16))
	for len(want) < 4 {
		want = "0" + want
	}
	inodes, uid := map[string]bool{}, -1
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			// fields: sl local_address rem_address st ... inode(9)
			if len(f) > 9 && strings.HasSuffix(f[1], ":"+want) && f[3] == "0A" {
				inodes[f[9]] = true
				uid, _ = strconv.Atoi(f[7])
			}
		}
	}
	return inodes, uid
}

// programName is the program's file name from its command line (comm is
// cut at 15 characters), falling back to comm.
func programName(pid string) string {
	cmdline, _ := os.ReadFile("/proc/" + pid + "/cmdline")
	if argv0, _, _ := strings.Cut(string(cmdline), "\x00"); argv0 != "" {
		return filepath.Base(argv0)
	}
	comm, _ := os.ReadFile("/proc/" + pid + "/comm")
	return strings.TrimSpace(string(comm))
}
