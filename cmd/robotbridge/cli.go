package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"robotbridge/config"
	"robotbridge/control"
	"robotbridge/engine"
	"robotbridge/urlscheme"
)

// clientFlags parses the flags every control command shares and returns
// a client for the engine's control socket.
func clientFlags(name string, args []string) (*control.Client, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	dir := fs.String("config-dir", "",
		"config directory of the engine (default: the user config dir)")
	rest, err := parseAll(fs, args) // flags may come before or after the words
	if err != nil {
		return nil, nil, err
	}
	if *dir == "" {
		d, err := config.DefaultDir()
		if err != nil {
			return nil, nil, err
		}
		*dir = d
	}
	return control.NewClient(control.SocketPath(*dir)), rest, nil
}

const sitesUsage = `usage: robotbridge sites [--config-dir DIR] COMMAND
  list            approved and pre-approved sites
  pending         sites waiting for consent, with the code their page shows
  approve CODE [ORIGIN]  approve the site that shows CODE (ORIGIN when two sites
                         wait with the same code)
  deny CODE [ORIGIN]     deny it (the page is told; not asked again for 10 min)
  revoke ORIGIN   withdraw an approval (the site must ask again)`

func sites(args []string) error {
	c, rest, err := clientFlags("sites", args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return errors.New(sitesUsage)
	}

	switch cmd, rest := rest[0], rest[1:]; {
	case cmd == "list" && len(rest) == 0:
		return listSites(c)
	case cmd == "pending" && len(rest) == 0:
		return listPending(c)
	case (cmd == "approve" || cmd == "deny") && (len(rest) == 1 || len(rest) == 2):
		origin := ""
		if len(rest) == 2 {
			origin = rest[1]
		}
		return decide(c, cmd, rest[0], origin)
	case cmd == "revoke" && len(rest) == 1:
		req := engine.OriginRequest{Origin: rest[0]}
		if err := c.Do("POST", "/v1/sites/revoke", req, nil); err != nil {
			return err
		}
		fmt.Printf("Revoked %s: its next request asks for consent again.\n", rest[0])
		return nil
	}
	return errors.New(sitesUsage)
}

func listSites(c *control.Client) error {
	var list []engine.SiteEntry
	if err := c.Do("GET", "/v1/sites", nil, &list); err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Println("No site is approved.")
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORIGIN\tAPPROVED\tEXPIRES")
	for _, s := range list {
		if s.PreApproved {
			fmt.Fprintf(tw, "%s\tby administrator\t-\n", s.Origin)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Origin, s.ApprovedAt.Local().Format(time.DateTime),
			s.ExpiresAt.Local().Format(time.DateOnly))
	}
	return tw.Flush()
}

func listPending(c *control.Client) error {
	var list []engine.PendingEntry
	if err := c.Do("GET", "/v1/sites/pending", nil, &list); err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Println("No site is waiting for consent.")
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tORIGIN\tWAITS")
	for _, p := range list {
		line := fmt.Sprintf("%s\t%s\t%ds", p.Code, p.Origin, int(time.Until(p.Expires).Seconds()))
		if p.Error != "" {
			line += "\t" + p.Error
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func decide(c *control.Client, action, code, origin string) error {
	var p engine.PendingEntry
	req := engine.CodeRequest{Code: code, Origin: origin}
	if err := c.Do("POST", "/v1/sites/"+action, req, &p); err != nil {
		return fmt.Errorf("could not %s code %s: %w", action, code, err)
	}
	if action == "approve" {
		fmt.Printf("Approved %s (code %s): this site may now use the robot.\n", p.Origin, p.Code)
	} else {
		fmt.Printf("Denied %s (code %s).\n", p.Origin, p.Code)
	}
	return nil
}

// consentLink handles a uipath-web:// link from the OS: it shows the site
// the bridge saw with the code and, in a terminal, asks to approve it.
func consentLink(args []string) error {
	c, rest, err := clientFlags("consent", args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("usage: robotbridge consent [--config-dir DIR] uipath-web://...")
	}

	var a engine.LinkAnswer
	if err := c.Do("POST", "/v1/consent-link", engine.LinkRequest{URL: rest[0]}, &a); err != nil {
		return err
	}
	fmt.Printf("The site %s asks to use the robot on this computer.\n", a.Pending.Origin)
	fmt.Printf("Its page shows the code %s.\n", a.Pending.Code)
	if a.Mismatch {
		fmt.Printf("WARNING: the link claims to come from %s, but the request came from %s.\n"+
			"Deny unless you trust %s.\n", a.LinkOrigin, a.Pending.Origin, a.Pending.Origin)
	}
	if !isTerminal(os.Stdin) {
		fmt.Printf("Approve with: robotbridge sites approve %s\n", a.Pending.Code)
		return nil
	}

	fmt.Print("Approve? [y/N] ")
	answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	action := "deny"
	if strings.EqualFold(strings.TrimSpace(answer), "y") {
		action = "approve"
	}
	return decide(c, action, a.Pending.Code, a.Pending.Origin)
}

// isTerminal asks the terminal driver, not the file mode: /dev/null is a
// character device too, and reading "no answer" from it must not deny.
func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

func status(args []string) error {
	c, _, err := clientFlags("status", args)
	if err != nil {
		return err
	}
	var st engine.Status
	if err := c.Do("GET", "/v1/status", nil, &st); err != nil {
		return err
	}
	fmt.Printf("engine: running; discovery on localhost:%d, API on localhost:%d\n",
		st.DiscoveryPort, st.APIPort)
	if st.LastContact == nil {
		fmt.Println("last browser contact: never (a page that cannot reach the robot " +
			"is being blocked by its browser, or uses another port)")
	} else {
		served := "served"
		if !st.LastContact.Served {
			served = "not served (no consent)"
		}
		fmt.Printf("last browser contact: %s at %s, %s\n", st.LastContact.Origin,
			st.LastContact.At.Local().Format(time.DateTime), served)
	}
	fmt.Printf("consent requests waiting: %d\n", st.Pending)
	fmt.Printf("jobs in memory: %s\n", countList(st.Jobs))
	return nil
}

// countList prints {"running": 2, "faulted": 1} as "1 faulted, 2 running".
func countList(counts map[string]int) string {
	if len(counts) == 0 {
		return "none"
	}
	var parts []string
	for state, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, state))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// protocol registers (or unregisters) this binary as the handler of
// uipath-web:// consent links.
func protocol(args []string) error {
	if len(args) != 1 || (args[0] != "install" && args[0] != "uninstall") {
		return errors.New("usage: robotbridge protocol install|uninstall")
	}
	dirs, err := urlscheme.DefaultDirs()
	if err != nil {
		return err
	}
	if args[0] == "uninstall" {
		if err := urlscheme.Uninstall(dirs, config.WriteFileAtomic); err != nil {
			return err
		}
		fmt.Println("robotbridge no longer handles uipath-web:// links.")
		return nil
	}

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if err := urlscheme.Install(dirs, exe, config.WriteFileAtomic); err != nil {
		return err
	}
	fmt.Println("robotbridge now handles uipath-web:// consent links.")
	return nil
}
