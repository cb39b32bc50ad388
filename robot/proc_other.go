//go:build !unix

package robot

import "os/exec"

// On systems without process groups (Windows) the stop message on stdin is
// the polite request, and the kill reaches the process itself only.
// Known shortcoming: children it started are not stopped there.
func setProcessGroup(cmd *exec.Cmd) {}

func signalProcessGroup(cmd *exec.Cmd) {}

func killProcessGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
