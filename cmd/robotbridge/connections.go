package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"robotbridge/config"
	"robotbridge/orchestrator"
)

const connectionsUsage = `usage: robotbridge connections [--config-dir DIR] COMMAND
  list                        the connections, with where their secret is
  add NAME --url URL --auth password|client-credentials|token [flags]
                              add (or with --replace, change) a connection; its
                              password, client secret or token is read from a
                              prompt or standard input, never from the command line
  remove NAME                 remove a connection and its secrets
  test NAME                   check the connection (see robotbridge doctor)

add flags:
  --user USER                 user name (password) or client id (client-credentials)
  --tenant NAME               tenancy name (password sign-in, multi-tenant sites)
  --folder PATH               default folder, e.g. Finance/Invoices
  --ca-file FILE              PEM bundle to trust in addition to the system roots
  --pin-sha256 FINGERPRINT    trust exactly this certificate (see the TLS error)
  --identity-url URL          identity server, when not the derived one
  --scopes "A B"              OAuth scopes (default: read and execute)
  --allow-http-loopback       allow http:// to this computer (development)
  --replace                   replace a connection of the same name`

// connections manages Orchestrator connection profiles.
func connections(args []string) error {
	if err := refuseSecretFlags(args); err != nil {
		return err
	}
	fs, dir := commonFlags("connections")
	if err := fs.Parse(args); err != nil { // flags before the command
		return err
	}
	rest := fs.Args()
	if err := setupLogging("warn"); err != nil {
		return err
	}
	st, err := openStore(*dir)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return errors.New(connectionsUsage)
	}
	switch cmd, rest := rest[0], rest[1:]; {
	case cmd == "list" && len(rest) == 0:
		return listConnections(st)
	case cmd == "add":
		return addConnection(st, rest)
	case cmd == "remove" && len(rest) == 1:
		if err := st.Remove(rest[0]); err != nil {
			return err
		}
		fmt.Printf("Removed connection %s and its secrets.\n", rest[0])
		return nil
	case cmd == "test" && len(rest) == 1:
		return runDoctor(st, rest[0], doctorOptions{})
	}
	return errors.New(connectionsUsage)
}

// refuseSecretFlags explains why there is no --password: command lines
// are visible to other users and kept in shell history.
func refuseSecretFlags(args []string) error {
	for _, a := range args {
		name := strings.TrimLeft(strings.SplitN(a, "=", 2)[0], "-")
		switch strings.ToLower(name) {
		case "password", "secret", "client-secret", "token", "pat":
			if strings.HasPrefix(a, "-") {
				return fmt.Errorf("--%s: secrets are never taken from the command line "+
					"(other users can see it); type it at the prompt or pipe it on "+
					"standard input", name)
			}
		}
	}
	return nil
}

func commonFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	dir := fs.String("config-dir", "", "config directory (default: the user config dir)")
	return fs, dir
}

// parseAll parses flags wherever they stand among the arguments and
// returns the other arguments in order.
func parseAll(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func openStore(dir string) (*orchestrator.Store, error) {
	if dir == "" {
		d, err := config.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return orchestrator.OpenStore(dir), nil
}

func listConnections(st *orchestrator.Store) error {
	list, err := st.List()
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Println("No connection. Add one with: " +
			"robotbridge connections add NAME --url URL --auth KIND")
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tAUTH\tURL\tUSER\tFOLDER\tSECRET")
	for _, p := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Auth, p.URL, p.User, p.Folder,
			secretState(st, p))
	}
	return tw.Flush()
}

func secretState(st *orchestrator.Store, p orchestrator.Profile) string {
	_, err := st.Secret(p)
	switch {
	case err == nil:
		return "in the OS keyring"
	case errors.Is(err, orchestrator.ErrKeyringUnavailable):
		return "keyring unavailable"
	default:
		return "missing (add again with --replace)"
	}
}

func addConnection(st *orchestrator.Store, args []string) error {
	fs := flag.NewFlagSet("connections add", flag.ContinueOnError)
	var p orchestrator.Profile
	var auth string
	fs.StringVar(&p.URL, "url", "", "Orchestrator URL")
	fs.StringVar(&auth, "auth", "", "password, client-credentials or token")
	fs.StringVar(&p.User, "user", "", "user name or client id")
	fs.StringVar(&p.Tenant, "tenant", "", "tenancy name")
	fs.StringVar(&p.Folder, "folder", "", "default folder path")
	fs.StringVar(&p.CAFile, "ca-file", "", "PEM bundle to trust")
	fs.StringVar(&p.PinnedSHA256, "pin-sha256", "", "pinned certificate fingerprint")
	fs.StringVar(&p.IdentityURL, "identity-url", "", "identity server URL")
	fs.StringVar(&p.Scopes, "scopes", "", "OAuth scopes")
	fs.BoolVar(&p.AllowHTTPLoopback, "allow-http-loopback", false, "allow http:// to loopback")
	replace := fs.Bool("replace", false, "replace a connection of the same name")
	rest, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || p.URL == "" || auth == "" {
		return errors.New(connectionsUsage)
	}
	p.Name, p.Auth = rest[0], orchestrator.AuthKind(auth)
	if err := p.Validate(); err != nil {
		return err
	}
	secret, err := readSecret(os.Stdin, os.Stderr, p)
	if err != nil {
		return err
	}
	if err := st.Add(p, secret, *replace); err != nil {
		return err
	}
	fmt.Printf("Saved connection %s (its %s is in the OS keyring). Check it with: "+
		"robotbridge doctor %s\n", p.Name, p.Auth.SecretKind(), p.Name)
	return nil
}

// readSecret asks for the secret without echo on a terminal, or reads
// the first line of standard input when it is a pipe or a file.
func readSecret(in *os.File, prompt io.Writer, p orchestrator.Profile) (string, error) {
	what := string(p.Auth.SecretKind())
	if p.User != "" && p.Auth != orchestrator.AuthToken {
		what += " for " + p.User
	}
	return readSecretNamed(in, prompt, what)
}

// readSecretNamed is readSecret for a secret called what.
func readSecretNamed(in *os.File, prompt io.Writer, what string) (string, error) {
	if !isTerminal(in) {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the %s from standard input: %w", what, err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprintf(prompt, "%s%s: ", strings.ToUpper(what[:1]), what[1:])
	b, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(prompt)
	if err != nil {
		return "", fmt.Errorf("read the %s: %w", what, err)
	}
	return string(b), nil
}

type doctorOptions struct {
	folder, process, version string
	local                    orchestrator.LocalRobot
}

const doctorUsage = `usage: robotbridge doctor [--config-dir DIR] [--folder PATH] [--process NAME]
                          [--version V] [CONNECTION]
Checks a connection, one line per check, and the local robot. Without
CONNECTION it checks every connection. The exit code is 1 when a check fails.`

// doctor runs the connection checklist.
func doctor(args []string) error {
	fs, dir := commonFlags("doctor")
	var o doctorOptions
	fs.StringVar(&o.folder, "folder", "", "folder the app uses (default: the connection's)")
	fs.StringVar(&o.process, "process", "", "process the app runs (release name or package id)")
	fs.StringVar(&o.version, "version", "", "exact version the app expects")
	rest, err := parseAll(fs, args)
	if err != nil || len(rest) > 1 {
		return errors.New(doctorUsage)
	}
	if err := setupLogging("warn"); err != nil {
		return err
	}
	st, err := openStore(*dir)
	if err != nil {
		return err
	}
	cfgDir := *dir
	if cfgDir == "" {
		cfgDir, _ = config.DefaultDir()
	}
	o.local = orchestrator.EngineRobot(cfgDir)
	if len(rest) == 1 {
		return runDoctor(st, rest[0], o)
	}
	return doctorAll(st, o)
}

func doctorAll(st *orchestrator.Store, o doctorOptions) error {
	list, err := st.List()
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Println("No connection configured (robotbridge connections add); local checks only:")
		return printChecks(orchestrator.DiagnoseLocal(context.Background(), o.local, o.process,
			o.version))
	}
	var failed error
	for i, p := range list {
		if i > 0 {
			fmt.Println()
		}
		if err := runDoctor(st, p.Name, o); err != nil {
			failed = err
		}
	}
	return failed
}

func runDoctor(st *orchestrator.Store, name string, o doctorOptions) error {
	p, err := st.Get(name)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("Connection %s (%s)\n", p.Name, p.URL)
	checks := orchestrator.Diagnose(ctx, orchestrator.DiagnoseInput{Profile: p,
		Secret: func() (string, error) { return st.Secret(p) }, Folder: o.folder,
		Process: o.process, Version: o.version, Local: o.local})
	return printChecks(checks)
}

// printChecks prints one line per check and fails when a check failed.
func printChecks(checks []orchestrator.Check) error {
	failed := 0
	for _, c := range checks {
		line := fmt.Sprintf("[%s] %s", strings.ToUpper(string(c.Status)), c.Title)
		if c.Detail != "" {
			line += ": " + oneLine(c.Detail)
		}
		if c.Fix != "" {
			line += " | fix: " + oneLine(c.Fix)
		}
		fmt.Println(line)
		if c.Status == orchestrator.CheckFail {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d check(s) failed", failed)
	}
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
