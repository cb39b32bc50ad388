package userservice

// systemdUserUnit is the unit file for the systemd user manager, in
// kardianos/service's template syntax. The library's own unit is written
// for the system manager: its WantedBy=multi-user.target does not exist
// in a user manager, so "enable" would never start the engine at login.
// default.target is the user manager's login target.
const systemdUserUnit = `[Unit]
Description={{Description}}
ConditionFileIsExecutable={{Path | cmdEscape}}

[Service]
ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}
Restart=on-failure
RestartSec=10

[Install]
WantedBy=default.target
`
