package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"robotbridge/config"
	"robotbridge/orchestrator"
	"robotbridge/relay"
)

const relayUsage = `usage:
  robotbridge relay [flags]            serve the webhook relay (flags: relay -h)
  robotbridge relay token NAME         make a subscriber token; prints the token
                                       (for the engine) and the tokens-file line
  robotbridge relay secret FILE        write a new webhook secret into FILE (mode 600)
  robotbridge relay register CONNECTION --url URL --secret-file FILE
                                       make the connection's Orchestrator send job
                                       events to URL, signed with the secret in FILE
                                       (also kept in the OS keyring)
  robotbridge relay unregister CONNECTION --url URL
                                       remove that webhook and the keyring copy
  robotbridge relay subscribe CONNECTION --url wss://HOST/v1/subscribe
                                       make the engine take the connection's job
                                       states from the relay; the subscriber token is
                                       read from a prompt or standard input and kept
                                       in the OS keyring (restart the engine after)
  robotbridge relay unsubscribe CONNECTION
                                       stop that, and remove the token
See docs/relay.md.`

func relayCmd(args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "token":
			return relayToken(args[1:])
		case "secret":
			return relaySecret(args[1:])
		case "register":
			return relayRegister(args[1:], true)
		case "unregister":
			return relayRegister(args[1:], false)
		case "subscribe":
			return relaySubscribe(args[1:], true)
		case "unsubscribe":
			return relaySubscribe(args[1:], false)
		case "help":
			fmt.Println(relayUsage)
			return nil
		}
	}
	return relayServe(args)
}

// cidrList is a repeatable flag of comma-separated CIDR prefixes.
type cidrList []string

func (c *cidrList) String() string { return strings.Join(*c, ",") }
func (c *cidrList) Set(v string) error {
	*c = append(*c, strings.Split(v, ",")...)
	return nil
}

type relayFlags struct {
	listen, cert, key, secretFile, tokens, stateDir, logLevel string
	plain                                                     bool
	allow, proxies                                            cidrList
}

func relayServe(args []string) error {
	var f relayFlags
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	f.define(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("relay: unexpected %q\n%s", fs.Arg(0), relayUsage)
	}
	if err := setupLogging(f.logLevel); err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	srv, err := relay.New(cfg)
	if err != nil {
		return err
	}
	ln, err := relay.Listen(relay.ListenConfig{Addr: f.listen, CertFile: f.cert,
		KeyFile: f.key, PlainLoopback: f.plain})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return srv.Serve(ctx, ln)
}

func (f *relayFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.listen, "listen", ":8443", "address to listen on")
	fs.StringVar(&f.cert, "cert", "", "TLS certificate (PEM, chain first)")
	fs.StringVar(&f.key, "key", "", "TLS private key (PEM)")
	fs.BoolVar(&f.plain, "insecure-http-loopback", false,
		"serve plain HTTP; only on a loopback --listen address, behind a TLS reverse proxy")
	fs.Var(&f.allow, "allow", "CIDR allowed to send webhooks (repeatable; default: any)")
	fs.Var(&f.proxies, "trusted-proxy", "CIDR of a reverse proxy whose X-Forwarded-For "+
		"is believed (repeatable)")
	fs.StringVar(&f.secretFile, "secret-file", "", "file with the webhook secret(s), one "+
		"per line (default: $"+relay.SecretEnv+")")
	fs.StringVar(&f.tokens, "tokens", "",
		"subscriber tokens file (its lines come from: relay token NAME)")
	fs.StringVar(&f.stateDir, "state-dir", "", "de-duplication state (default: "+
		"<user config dir>/robotbridge/relay)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
}

func (f relayFlags) config() (relay.Config, error) {
	var cfg relay.Config
	var err error
	if cfg.Secrets, err = readSecrets(f.secretFile); err != nil {
		return cfg, err
	}
	if cfg.Allow, err = relay.ParsePrefixes("--allow", f.allow); err != nil {
		return cfg, err
	}
	if cfg.TrustedProxies, err = relay.ParsePrefixes("--trusted-proxy", f.proxies); err != nil {
		return cfg, err
	}
	if cfg.Tokens, err = readTokens(f.tokens); err != nil {
		return cfg, err
	}
	cfg.StateDir = f.stateDir
	if cfg.StateDir == "" {
		dir, err := config.DefaultDir()
		if err != nil {
			return cfg, err
		}
		cfg.StateDir = filepath.Join(dir, "relay")
	}
	return cfg, nil
}

// readSecrets reads the secret file, or the environment variable; never
// a flag value, which other users could see in the process list.
func readSecrets(file string) ([][]byte, error) {
	if file == "" {
		v := os.Getenv(relay.SecretEnv)
		if v == "" {
			return nil, fmt.Errorf("relay: no webhook secret: give --secret-file FILE or "+
				"set %s", relay.SecretEnv)
		}
		list, err := relay.ParseSecrets(strings.NewReader(v))
		if err != nil {
			return nil, fmt.Errorf("relay: %s: %w", relay.SecretEnv, err)
		}
		return list, nil
	}
	warnIfShared(file)
	fh, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("relay: secret file: %w", err)
	}
	defer fh.Close()
	list, err := relay.ParseSecrets(fh)
	if err != nil {
		return nil, fmt.Errorf("relay: secret file %s: %w", file, err)
	}
	return list, nil
}

func warnIfShared(file string) {
	if fi, err := os.Stat(file); err == nil && fi.Mode().Perm()&0o077 != 0 {
		slog.Warn("relay: the secret file can be read by other users; chmod 600 it",
			"file", file)
	}
}

func readTokens(file string) ([]relay.Token, error) {
	if file == "" {
		slog.Warn("relay: no --tokens file: no engine can subscribe")
		return nil, nil
	}
	fh, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("relay: tokens file: %w", err)
	}
	defer fh.Close()
	return relay.ParseTokens(fh)
}

func relayToken(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("relay token: give one subscriber NAME\n%s", relayUsage)
	}
	tok, line, err := relay.NewToken(args[0])
	if err != nil {
		return err
	}
	fmt.Printf("token for the engine (shown once; keep it in its keyring):\n  %s\n", tok)
	fmt.Printf("line for the relay's tokens file:\n  %s\n", line)
	return nil
}

func relaySecret(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("relay secret: give the FILE to write\n%s", relayUsage)
	}
	secret, err := relay.NewSecret()
	if err != nil {
		return err
	}
	fh, err := os.OpenFile(args[0], os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("relay secret: %s exists; remove it first (the relay and the "+
			"Orchestrator must then get the new secret)", args[0])
	}
	if err != nil {
		return fmt.Errorf("relay secret: %w", err)
	}
	if _, err := fmt.Fprintln(fh, secret); err != nil {
		fh.Close()
		return fmt.Errorf("relay secret: %w", err)
	}
	return fh.Close()
}

// relayRegister sets up (or removes) the webhook of a connection.
func relayRegister(args []string, register bool) error {
	fs, dir := commonFlags("relay register")
	url := fs.String("url", "", "the relay's public webhook URL, https://HOST/webhook")
	secretFile := fs.String("secret-file", "", "file with the relay's webhook secret")
	rest, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || *url == "" || (register && *secretFile == "") {
		return fmt.Errorf("relay register: give CONNECTION, --url and (to register) "+
			"--secret-file\n%s", relayUsage)
	}
	store, client, err := connection(*dir, rest[0])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if !register {
		return unregister(ctx, store, client, rest[0], *url)
	}
	secrets, err := readSecrets(*secretFile)
	if err != nil {
		return err
	}
	secret := string(secrets[0]) // the current one; lines below are old ones still accepted
	if err := store.Secrets().Set(rest[0], orchestrator.SecretWebhook, secret); err != nil {
		return fmt.Errorf("relay register: keep the secret in the keyring: %w", err)
	}
	w, err := client.EnsureWebhook(ctx, orchestrator.WebhookSpec{Name: "robotbridge relay",
		URL: *url, Secret: secret})
	if err != nil {
		return err
	}
	fmt.Printf("webhook %d delivers %d job event types to %s\n", w.ID, len(w.Events), w.URL)
	return nil
}

func unregister(ctx context.Context, store *orchestrator.Store, c *orchestrator.Client,
	name, url string) error {
	removed, err := c.RemoveWebhook(ctx, url)
	if err != nil {
		return err
	}
	if err := store.Secrets().Delete(name, orchestrator.SecretWebhook); err != nil {
		return err
	}
	if !removed {
		fmt.Printf("no webhook delivers to %s\n", url)
		return nil
	}
	fmt.Printf("webhook to %s removed\n", url)
	return nil
}

// connection opens a stored connection with its secret from the keyring.
func connection(dir, name string) (*orchestrator.Store, *orchestrator.Client, error) {
	store, err := openStore(dir)
	if err != nil {
		return nil, nil, err
	}
	c, err := store.Client(name, orchestrator.Config{})
	return store, c, err
}

// relaySubscribe names (or removes) the relay the engine subscribes to
// for a connection; the token goes to the keyring, never a file or flag.
func relaySubscribe(args []string, on bool) error {
	if err := refuseSecretFlags(args); err != nil {
		return err
	}
	fs, dir := commonFlags("relay subscribe")
	url := fs.String("url", "", "the relay's subscriber URL, wss://HOST/v1/subscribe")
	rest, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || on == (*url == "") {
		return fmt.Errorf("relay subscribe: give CONNECTION and --url; unsubscribe: "+
			"CONNECTION\n%s", relayUsage)
	}
	store, err := openStore(*dir)
	if err != nil {
		return err
	}
	token := ""
	if on {
		if token, err = readSecretNamed(os.Stdin, os.Stderr, "subscriber token"); err != nil {
			return err
		}
	}
	if err := store.SetRelay(rest[0], *url, token); err != nil {
		return err
	}
	if on {
		fmt.Printf("%s now subscribes to %s (restart the engine to use it)\n", rest[0], *url)
	} else {
		fmt.Printf("%s no longer subscribes to a relay\n", rest[0])
	}
	return nil
}
