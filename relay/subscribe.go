package relay

import (
	"net/http"
	"strings"

	"github.com/gorilla/websocket"
)

// subscribe upgrades an engine's connection after checking, in this
// order: no token in the URL, no browser Origin, the token, the
// subprotocol.
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("token") || q.Has("access_token") {
		http.Error(w, "tokens never travel in URLs (they end up in logs); send "+
			"Authorization: Bearer TOKEN", http.StatusBadRequest)
		return
	}
	if r.Header.Get("Origin") != "" {
		http.Error(w, "web pages may not subscribe", http.StatusForbidden)
		return
	}
	tok, ok := lookup(s.cfg.Tokens, bearer(r))
	if !ok {
		s.stats.refusedToken.Add(1)
		s.log.Debug("relay: subscriber refused: wrong or no token", "address", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="robotbridge relay"`)
		http.Error(w, "the subscriber token is missing or not known to this relay",
			http.StatusUnauthorized)
		return
	}
	if !containsString(websocket.Subprotocols(r), Protocol) {
		http.Error(w, "offer the websocket subprotocol "+Protocol, http.StatusBadRequest)
		return
	}
	up := websocket.Upgrader{Subprotocols: []string{Protocol},
		HandshakeTimeout: s.cfg.WriteWait,
		// The Origin was refused above; engines send none.
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "" }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	c := &session{h: s.hub, conn: conn, tok: tok, log: s.log, done: make(chan struct{})}
	if !s.track(c) {
		c.close() // the relay is stopping
		return
	}
	defer s.untrack(c)
	c.serve()
}

// bearer is the token of an "Authorization: Bearer TOKEN" header.
func bearer(r *http.Request) string {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(v)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
