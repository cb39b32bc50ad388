package orchestratortest

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The webhook management API (spec §7.1): tenant level, no folder
// header, permissions Webhooks.View/Create/Edit/Delete or the
// OR.Webhooks(.Read/.Write) scope. Route names: webhooks, webhook,
// webhookPing, webhookEventTypes.

var webhookRoutes = []route{
	rt("GET", "webhooks", `/odata/Webhooks`, plain((*Server).listWebhooks)),
	rt("POST", "webhooks", `/odata/Webhooks`, plain((*Server).createWebhook)),
	rt("GET", "webhook", `/odata/Webhooks\((\d+)\)`, (*Server).getWebhook),
	rt("PUT", "webhook", `/odata/Webhooks\((\d+)\)`, (*Server).updateWebhook),
	rt("PATCH", "webhook", `/odata/Webhooks\((\d+)\)`, (*Server).updateWebhook),
	rt("DELETE", "webhook", `/odata/Webhooks\((\d+)\)`, (*Server).deleteWebhook),
	rt("POST", "webhookPing", `/odata/Webhooks\((\d+)\)/`+odataNS+`Ping`,
		(*Server).pingWebhook),
	rt("GET", "webhookEventTypes", `/odata/Webhooks/`+odataNS+`GetEventTypes(\(\))?`,
		plain((*Server).webhookEventTypes)),
}

// eventTypes are the event types the fake knows; 19.10 lacks the
// long-running workflow ones.
var eventTypes = []string{"job.created", "job.started", "job.completed", "job.faulted",
	"job.stopped", "job.suspended", "job.resumed", "process.created", "process.updated",
	"process.deleted", "robot.status", "queueItem.added", "custom", "ping"}

// webhook is a registered webhook.
type webhook struct {
	id               int64
	key, name, url   string
	secret           string
	enabled, all     bool
	allowInsecureSsl bool // stored only: the fake always checks certificates
	events           []string
	// brokenUntil is when the circuit breaker closes again (fake clock);
	// zero while it is closed.
	brokenUntil time.Time
}

type webhookInput struct {
	Name, Description, Url, Secret string
	Enabled, SubscribeToAllEvents  *bool
	AllowInsecureSsl               *bool
	Events                         []struct{ EventType string }
}

// WebhookRow is a registered webhook as a test sees it.
type WebhookRow struct {
	ID                 int64
	Name, URL, Secret  string
	Enabled, AllEvents bool
	Events             []string
}

// Webhooks lists the registered webhooks.
func (s *Server) Webhooks() []WebhookRow {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []WebhookRow
	for _, h := range s.hooksLocked().list {
		out = append(out, WebhookRow{ID: h.id, Name: h.name, URL: h.url, Secret: h.secret,
			Enabled: h.enabled, AllEvents: h.all, Events: append([]string(nil), h.events...)})
	}
	return out
}

func (s *Server) webhookRow(h *webhook) map[string]any {
	events := make([]map[string]any, len(h.events))
	for i, e := range h.events {
		events[i] = map[string]any{"EventType": e}
	}
	row := map[string]any{"Id": h.id, "Url": h.url, "Enabled": h.enabled,
		"Secret": h.secret, "SubscribeToAllEvents": h.all,
		"AllowInsecureSsl": h.allowInsecureSsl, "Events": events}
	if !s.opts.Legacy1910 {
		row["Name"], row["Key"], row["Description"] = h.name, h.key, nil
	}
	return row
}

// webhookSessionLocked checks the token and a webhook permission.
func (s *Server) webhookSessionLocked(w http.ResponseWriter, r *http.Request,
	perm, scope string) bool {
	ss := s.bearerLocked(w, r)
	if ss == nil {
		return false
	}
	if !ss.may(perm, scope) {
		notAuthorized(w)
		return false
	}
	return true
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.webhookSessionLocked(w, r, "Webhooks.View", "OR.Webhooks.Read") {
		return
	}
	var rows []map[string]any
	for _, h := range s.hooksLocked().list {
		rows = append(rows, s.webhookRow(h))
	}
	rows, total, ok := applyQuery(w, r, rows)
	if ok {
		s.collection(w, r, "Webhooks", rows, total)
	}
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	in, ok := decodeWebhook(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.webhookSessionLocked(w, r, "Webhooks.Create", "OR.Webhooks.Write") {
		return
	}
	if !validWebhook(w, in, true) {
		return
	}
	s.nextID++
	h := &webhook{id: s.nextID, key: newKey()}
	applyWebhook(h, in)
	hooks := s.hooksLocked()
	hooks.list = append(hooks.list, h)
	writeJSON(w, http.StatusCreated, s.webhookRow(h))
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, args []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.webhookSessionLocked(w, r, "Webhooks.View", "OR.Webhooks.Read") {
		return
	}
	if h := s.webhookLocked(w, args[0]); h != nil {
		writeJSON(w, http.StatusOK, s.webhookRow(h))
	}
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request, args []string) {
	in, ok := decodeWebhook(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.webhookSessionLocked(w, r, "Webhooks.Edit", "OR.Webhooks.Write") {
		return
	}
	h := s.webhookLocked(w, args[0])
	if h == nil || !validWebhook(w, in, r.Method == "PUT") {
		return
	}
	applyWebhook(h, in)
	h.brokenUntil = time.Time{} // an update closes the circuit
	writeJSON(w, http.StatusOK, s.webhookRow(h))
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, args []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.webhookSessionLocked(w, r, "Webhooks.Delete", "OR.Webhooks.Write") {
		return
	}
	h := s.webhookLocked(w, args[0])
	if h == nil {
		return
	}
	hooks := s.hooksLocked()
	for i, x := range hooks.list {
		if x == h {
			hooks.list = append(hooks.list[:i], hooks.list[i+1:]...)
			break
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) pingWebhook(w http.ResponseWriter, r *http.Request, args []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.webhookSessionLocked(w, r, "Webhooks.Edit", "OR.Webhooks.Write") {
		return
	}
	h := s.webhookLocked(w, args[0])
	if h == nil {
		return
	}
	body := s.pingEventLocked()
	s.hooksLocked().queueLocked(s, delivery{hook: h, body: body,
		rec: WebhookDelivery{URL: h.url, Type: "ping"}})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write(body)
}

func (s *Server) webhookEventTypes(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.webhookSessionLocked(w, r, "Webhooks.View", "OR.Webhooks.Read") {
		return
	}
	var rows []map[string]any
	for _, t := range eventTypes {
		if s.opts.Legacy1910 && (t == "job.suspended" || t == "job.resumed") {
			continue
		}
		rows = append(rows, map[string]any{"Name": t, "Group": strings.Split(t, ".")[0]})
	}
	s.collection(w, r, "WebhookEventTypes", rows, len(rows))
}

func (s *Server) webhookLocked(w http.ResponseWriter, arg string) *webhook {
	id, _ := strconv.ParseInt(arg, 10, 64)
	for _, h := range s.hooksLocked().list {
		if h.id == id {
			return h
		}
	}
	writeStandard(w, http.StatusNotFound, "Webhook does not exist.", 1002)
	return nil
}

func decodeWebhook(w http.ResponseWriter, r *http.Request) (webhookInput, bool) {
	var in webhookInput
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeShape(w, 400, ShapeProblem, "The webhook body is not valid JSON.", 0, "")
		return in, false
	}
	return in, true
}

// validWebhook checks the required fields (all of them for a create or
// a PUT) and the URL.
func validWebhook(w http.ResponseWriter, in webhookInput, full bool) bool {
	if full && (in.Url == "" || in.Enabled == nil || in.SubscribeToAllEvents == nil) {
		writeShape(w, 400, ShapeProblem, "The Url, Enabled and SubscribeToAllEvents "+
			"fields are required.", 0, "")
		return false
	}
	if in.Url != "" {
		u, err := url.Parse(in.Url)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			writeStandard(w, 400, "The Url is not a valid absolute URL.", 0)
			return false
		}
	}
	for _, e := range in.Events {
		if !contains(eventTypes, e.EventType) {
			writeStandard(w, 400, "Unknown event type '"+e.EventType+"'.", 0)
			return false
		}
	}
	return true
}

func applyWebhook(h *webhook, in webhookInput) {
	if in.Url != "" {
		h.url = in.Url
	}
	if in.Name != "" {
		h.name = in.Name
	}
	if in.Secret != "" {
		h.secret = in.Secret
	}
	if in.Enabled != nil {
		h.enabled = *in.Enabled
	}
	if in.SubscribeToAllEvents != nil {
		h.all = *in.SubscribeToAllEvents
	}
	if in.AllowInsecureSsl != nil {
		h.allowInsecureSsl = *in.AllowInsecureSsl
	}
	if in.Events != nil {
		h.events = h.events[:0]
		for _, e := range in.Events {
			h.events = append(h.events, e.EventType)
		}
	}
}

// IssueCert writes a server certificate and key (PEM) from the fake's
// test CA into dir, valid for localhost, 127.0.0.1 and ::1: for a webhook
// target, such as a relay, that the fake's deliveries trust.
func (s *Server) IssueCert(dir string) (certFile, keyFile string, err error) {
	c, err := s.ca.leaf(CertTrusted)
	if err != nil {
		return "", "", err
	}
	key, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "relay-cert.pem"), filepath.Join(dir, "relay-key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, os.WriteFile(keyFile, keyPEM, 0o600)
}
