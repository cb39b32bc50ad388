package relay

import (
	"errors"
	"io"
	"net/http"
)

// webhook receives one Orchestrator call. Every check comes before the
// body is parsed, and the answer comes before any further work: the
// Orchestrator switches a slow or failing webhook off for an hour.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	addr, err := s.sources.client(r)
	if err != nil || !s.sources.allowed(addr) {
		s.stats.refusedSource.Add(1)
		s.log.Debug("relay: webhook call from a source not allowed", "address",
			addr.String(), "error", err)
		http.Error(w, "this source address may not call the relay", http.StatusForbidden)
		return
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return // answered
	}
	if err := verify(s.cfg.Secrets, r.Header.Get(SignatureHeader), body); err != nil {
		s.stats.refusedSignature.Add(1)
		s.log.Debug("relay: webhook call refused", "address", addr.String(), "error", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	k, err := parseHook(body, s.cfg.Now())
	if err != nil {
		s.stats.refusedBody.Add(1)
		s.log.Debug("relay: webhook body refused", "address", addr.String(), "error", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.stats.received.Add(1)
	w.WriteHeader(http.StatusAccepted)
	if !k.isJob() {
		s.stats.ignored.Add(1) // ping and other event types: nothing to forward
		return
	}
	s.hub.offer(k)
}

// readBody reads the raw body up to the cap; on failure it answers.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > s.cfg.MaxBody {
		s.stats.refusedSize.Add(1)
		http.Error(w, "the body is larger than the relay accepts", http.StatusRequestEntityTooLarge)
		return nil, errTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		s.stats.refusedSize.Add(1)
		http.Error(w, "the body is larger than the relay accepts", http.StatusRequestEntityTooLarge)
	case err != nil:
		s.stats.refusedBody.Add(1)
		http.Error(w, "the body could not be read", http.StatusBadRequest)
	}
	return body, err
}

var errTooLarge = errors.New("body too large")
