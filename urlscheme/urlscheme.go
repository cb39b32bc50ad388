// Package urlscheme registers robotbridge as the operating system's
// handler of uipath-web:// links, which the RobotJS SDK opens to ask for
// consent. The OS then runs `robotbridge consent URL`.
package urlscheme

// Scheme is the URL scheme the RobotJS SDK opens.
const Scheme = "uipath-web"

// desktopFileName is the Linux desktop entry robotbridge installs.
const desktopFileName = "robotbridge-consent.desktop"
