package orchestratortest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The webhook dispatcher (spec §10.4): every job state change becomes
// an event, signed with each subscribed webhook's secret and POSTed to
// its URL, one delivery at a time in order, fire and forget. A failed
// delivery opens that webhook's circuit for one hour of the fake clock;
// events meanwhile are skipped, never retried.

// WebhookFaults change the deliveries; the zero value delivers faithfully.
type WebhookFaults struct {
	// Drop loses the events of these types (as a delivery that never
	// arrived), without opening the circuit.
	Drop []string
	// Duplicate sends each delivery twice with the same EventId.
	Duplicate bool
	// Twins sends each job event once more per folder id listed, with its
	// own EventId (one event per folder, as for shared resources).
	Twins []int64
	// Reorder holds each job.started back until the job's next event has
	// been sent.
	Reorder bool
	// BadSignature signs with another secret.
	BadSignature bool
	// JobsArray sends a Jobs array instead of a Job object in every job
	// event; StringOutputs sends OutputArguments as a JSON string.
	JobsArray, StringOutputs bool
}

// WebhookDelivery is one event sent, or not sent, to one webhook.
type WebhookDelivery struct {
	URL, EventID, Type, State string
	JobID, FolderID           int64
	// Status is the answer's status (0: no answer; see Err).
	Status   int
	Err      string
	Duration time.Duration
	// Skipped says why it was not sent: "dropped" or "circuit open".
	Skipped string
}

// WebhookTimeout bounds one delivery.
const WebhookTimeout = 5 * time.Second

// circuitOpen is how long a failed webhook is switched off.
const circuitOpen = time.Hour

// hooks is the webhook state of a Server, guarded by Server.mu.
type hooks struct {
	list      []*webhook
	faults    WebhookFaults
	nextEvent int64
	emitted   map[int64]int  // job id: moves turned into events
	started   map[int64]bool // job id: job.started was emitted
	held      map[int64][]delivery
	queue     []delivery
	busy      int        // queued or being sent
	idle      *sync.Cond // on Server.mu: busy reached 0
	sending   bool       // a sender goroutine runs
	closed    bool
	log       []WebhookDelivery
	client    *http.Client
}

type delivery struct {
	hook *webhook
	body []byte
	rec  WebhookDelivery
}

// move is a state a job entered.
type move struct {
	state, info string
	at          time.Time
	output      *string
}

func (s *Server) hooksLocked() *hooks {
	if s.hooks == nil {
		pool := x509.NewCertPool()
		pool.AddCert(s.ca.cert)
		s.hooks = &hooks{emitted: map[int64]int{}, started: map[int64]bool{},
			held: map[int64][]delivery{}, idle: sync.NewCond(&s.mu),
			client: &http.Client{Timeout: WebhookTimeout, Transport: &http.Transport{
				Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	}
	return s.hooks
}

// SetWebhookFaults changes how later events are delivered.
func (s *Server) SetWebhookFaults(f WebhookFaults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooksLocked().faults = f
}

// SetWebhookRoots replaces the CAs trusted for webhook targets (by
// default the fake's own test CA, see IssueCert).
func (s *Server) SetWebhookRoots(pool *x509.CertPool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooksLocked().client.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
}

// WebhookDeliveries returns every delivery so far, oldest first.
func (s *Server) WebhookDeliveries() []WebhookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hooksLocked().log)
}

// FlushWebhooks waits until every queued event was delivered or skipped.
func (s *Server) FlushWebhooks() {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooksLocked()
	for h.busy > 0 {
		h.idle.Wait()
	}
}

// stopWebhooks drops what is queued and waits for the delivery in
// flight; Close calls it.
func (s *Server) stopWebhooks() {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooksLocked()
	h.closed = true
	h.busy -= len(h.queue)
	h.queue = nil
	for h.busy > 0 {
		h.idle.Wait()
	}
}

// emitWebhooksLocked turns the job moves since the last call into
// events. Jobs are advanced to now first, so that a step of the clock
// emits every state passed on the way.
func (s *Server) emitWebhooksLocked() {
	h := s.hooksLocked()
	ids := make([]int64, 0, len(s.jobs))
	for id, j := range s.jobs {
		j.advance(s.now)
		if len(j.moves) > h.emitted[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		j := s.jobs[id]
		for _, m := range j.moves[h.emitted[id]:] {
			if typ := h.eventType(j, m); typ != "" {
				s.emitLocked(j, typ, m)
			}
		}
		h.emitted[id] = len(j.moves)
	}
}

// eventType is the event a move raises ("" : none; Stopping and
// Terminating raise none, nor does Running after a resume).
func (h *hooks) eventType(j *job, m move) string {
	switch m.state {
	case "Pending":
		if h.emitted[j.id] == 0 {
			return "job.created"
		}
	case "Running":
		if !h.started[j.id] {
			h.started[j.id] = true
			return "job.started"
		}
	case "Suspended", "Resumed":
		return "job." + lower(m.state)
	case "Successful":
		return "job.completed"
	case "Faulted", "Stopped":
		return "job." + lower(m.state)
	}
	return ""
}

func lower(s string) string { return string(s[0]|0x20) + s[1:] }

// emitLocked sends one job event (and its twins) to every webhook that
// subscribed to its type.
func (s *Server) emitLocked(j *job, typ string, m move) {
	h := s.hooksLocked()
	folders := append([]int64{j.folderID}, h.faults.Twins...)
	for _, folder := range folders {
		h.nextEvent++
		id := strconv.FormatInt(412345000+h.nextEvent, 10)
		body, _ := json.Marshal(s.jobEventLocked(j, typ, id, folder, m))
		for _, w := range h.list {
			if !w.enabled || !(w.all || contains(w.events, typ)) {
				continue
			}
			d := delivery{hook: w, body: body, rec: WebhookDelivery{URL: w.url,
				EventID: id, Type: typ, State: m.state, JobID: j.id, FolderID: folder}}
			h.reorder(s, j.id, typ, d)
		}
	}
}

// reorder queues d, holding a job.started back when asked to.
func (h *hooks) reorder(s *Server, job int64, typ string, d delivery) {
	if h.faults.Reorder && typ == "job.started" {
		h.held[job] = append(h.held[job], d)
		return
	}
	h.queueLocked(s, d)
	for _, x := range h.held[job] {
		h.queueLocked(s, x)
	}
	delete(h.held, job)
}

// jobEventLocked is the payload of a job event (spec §7.4).
func (s *Server) jobEventLocked(j *job, typ, id string, folder int64, m move) map[string]any {
	h := s.hooksLocked()
	robot := map[string]any{"Id": 77, "Name": "svc-bot-01", "MachineName": "VM-BOT-01"}
	obj := map[string]any{"Id": j.id, "Key": j.key, "State": m.state,
		"Info": nilIfEmpty(m.info), "StartTime": nil, "EndTime": nil,
		"OutputArguments": h.outputs(m.output), "Robot": robot,
		"Release": map[string]any{"Id": j.rel.id, "Key": j.rel.Key,
			"ProcessKey": j.rel.ProcessKey}}
	if j.start != nil && !j.start.After(m.at) {
		obj["StartTime"] = apiTime(j.start)
	}
	if finalStates[m.state] {
		obj["EndTime"] = apiTime(&m.at)
	}
	body := map[string]any{"Type": typ, "EventId": id, "Timestamp": apiTime(&m.at),
		"TenantId": 1, "OrganizationUnitId": folder, "FolderId": folder}
	switch {
	case typ == "job.created":
		body["StartInfo"] = map[string]any{"ReleaseKey": j.rel.Key,
			"Strategy": "ModernJobsCount", "JobsCount": 1, "Source": "Manual"}
		body["Jobs"] = []any{obj}
	case typ == "job.stopped" || h.faults.JobsArray:
		body["Jobs"] = []any{obj} // the spec's job.stopped example has an array
	default:
		body["Job"] = obj
	}
	return body
}

// outputs writes OutputArguments as a webhook does: an object, or the
// API's JSON string with the StringOutputs fault.
func (h *hooks) outputs(out *string) any {
	if out == nil {
		return nil
	}
	if h.faults.StringOutputs {
		return *out
	}
	return json.RawMessage(*out)
}

func (s *Server) pingEventLocked() []byte {
	h := s.hooksLocked()
	h.nextEvent++
	body, _ := json.Marshal(map[string]any{"Type": "ping",
		"EventId":   strconv.FormatInt(412345000+h.nextEvent, 10),
		"Timestamp": apiTime(&s.now), "TenantId": 1})
	return body
}

// queueLocked adds a delivery and starts the sender if it is not running.
func (h *hooks) queueLocked(s *Server, x delivery) {
	if h.closed {
		return
	}
	n := 1
	if h.faults.Duplicate {
		n = 2
	}
	for range n {
		h.queue = append(h.queue, x)
		h.busy++
	}
	if !h.sending {
		h.sending = true
		go s.sendWebhooks()
	}
}

// sendWebhooks delivers the queue in order and ends when it is empty.
func (s *Server) sendWebhooks() {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooks
	for len(h.queue) > 0 {
		d := h.queue[0]
		h.queue = h.queue[1:]
		s.deliverLocked(h, d)
		h.busy--
		if h.busy == 0 {
			h.idle.Broadcast()
		}
	}
	h.sending = false
}

// deliverLocked sends one delivery; it lets go of s.mu while sending.
func (s *Server) deliverLocked(h *hooks, d delivery) {
	switch {
	case contains(h.faults.Drop, d.rec.Type):
		d.rec.Skipped = "dropped"
	case s.now.Before(d.hook.brokenUntil):
		d.rec.Skipped = "circuit open"
	default:
		secret := d.hook.secret
		if h.faults.BadSignature {
			secret = "not-the-webhook-secret"
		}
		s.mu.Unlock()
		d.rec.Status, d.rec.Err, d.rec.Duration = post(h.client, d.rec.URL, secret, d.body)
		s.mu.Lock()
		if d.rec.Status < 200 || d.rec.Status > 299 {
			d.hook.brokenUntil = s.now.Add(circuitOpen)
		}
	}
	h.log = append(h.log, d.rec)
}

// post sends one signed delivery.
func post(c *http.Client, url, secret string, body []byte) (int, string, time.Duration) {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error(), 0
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-UiPath-Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	start := time.Now()
	resp, err := c.Do(req)
	took := time.Since(start)
	if err != nil {
		return 0, err.Error(), took
	}
	resp.Body.Close()
	return resp.StatusCode, "", took
}
