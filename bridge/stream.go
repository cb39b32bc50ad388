package bridge

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"robotbridge/consent"
	"robotbridge/feed"
)

// The event stream (docs/events.md): a websocket on the API port that
// pushes a site's job events as they happen, instead of JobStatus polls.

// streamProtocol is the websocket subprotocol a client must offer. The
// site's token, when it has one, travels as a second subprotocol value
// "token.<token>": browsers cannot set headers on websockets, and a URL
// would carry the token into logs and history.
const (
	streamProtocol = "robotbridge.events.v1"
	tokenProtocol  = "token."
	streamFeature  = "robotbridge.EventStream"
)

const (
	pongWait     = 60 * time.Second
	pingInterval = 25 * time.Second
	maxClientMsg = 64 << 10
)

// eventStream authorises the upgrade before it happens: the Origin header,
// the token, and no token in the URL; then serves the socket.
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("token") || q.Has("uipathToken") {
		slog.Debug("bridge: event stream refused: token in the URL")
		writeError(w, http.StatusBadRequest, "tokens never travel in URLs (they end up in "+
			"logs); offer it as the websocket subprotocol \"token.<token>\"")
		return
	}
	origin := r.Header.Get("Origin")
	protocols := websocket.Subprotocols(r)
	if !contains(protocols, streamProtocol) {
		writeError(w, http.StatusBadRequest, "offer the websocket subprotocol "+streamProtocol)
		return
	}
	decision := s.auth.Check(consent.Request{Origin: origin, Token: tokenFrom(protocols)})
	s.noteContact(origin, decision.Verdict)
	if status, refused := verdictStatus[decision.Verdict]; refused {
		slog.Debug("bridge: event stream refused", "origin", origin, "status", status)
		writeError(w, status, decision.Reason)
		return
	}

	upgrader := websocket.Upgrader{
		Subprotocols: []string{streamProtocol},
		// The origin was authorised above; this only re-checks it is the
		// same header (gorilla's default would refuse cross-origin pages).
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == origin },
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader already answered
	}
	c := &streamClient{s: s, conn: conn, origin: origin, replies: make(chan any, 16),
		jobs: map[string]bool{}, wake: make(chan struct{}, 1)}
	s.streams.Add(1)
	defer s.streams.Add(-1)
	go c.readLoop()
	c.writeLoop()
}

// StreamClients is how many event stream clients are connected.
func (s *Server) StreamClients() int { return int(s.streams.Load()) }

func tokenFrom(protocols []string) string {
	for _, p := range protocols {
		if strings.HasPrefix(p, tokenProtocol) {
			return strings.TrimPrefix(p, tokenProtocol)
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// streamClient is one connected page.
type streamClient struct {
	s       *Server
	conn    *websocket.Conn
	origin  string
	replies chan any      // answers to the client's requests
	wake    chan struct{} // a subscription changed

	mu sync.Mutex
	// guarded by mu:
	subscribed bool
	all        bool
	jobs       map[string]bool
	after      uint64
	gen        int      // bumped by every subscribe, so the writer sees changes
	replay     []string // jobs subscribed to after their first events went by
	closed     bool
}

// clientRequest is a message from the page.
type clientRequest struct {
	Type    string          `json:"type"` // subscribe, unsubscribe, message
	JobID   string          `json:"jobId"`
	All     bool            `json:"all"`
	After   *uint64         `json:"after"`
	Channel string          `json:"channel"`
	Payload json.RawMessage `json:"payload"`
	Ref     string          `json:"ref"`
}

type streamReply struct {
	V       int    `json:"v"`
	Type    string `json:"type"` // ack, error, resync
	Ref     string `json:"ref,omitempty"`
	Message string `json:"message,omitempty"`
}

func (c *streamClient) readLoop() {
	defer c.close()
	c.conn.SetReadLimit(maxClientMsg)
	_ = c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		var req clientRequest
		if err := c.conn.ReadJSON(&req); err != nil {
			return
		}
		c.handle(req)
	}
}

func (c *streamClient) handle(req clientRequest) {
	switch req.Type {
	case "subscribe":
		c.subscribe(req)
	case "unsubscribe":
		c.mu.Lock()
		delete(c.jobs, req.JobID)
		c.mu.Unlock()
	case "message":
		c.reply(c.deliver(req), req.Ref)
		return
	default:
		c.reply(errors.New("unknown request type "+req.Type+"; use subscribe, "+
			"unsubscribe or message"), req.Ref)
		return
	}
	c.reply(nil, req.Ref)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// subscribe adds a job (from its first event still kept) or all of the
// site's jobs (from now), or resumes after a given event.
func (c *streamClient) subscribe(req clientRequest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	first := !c.subscribed
	c.subscribed = true
	c.gen++
	if req.All {
		c.all = true
	} else if req.JobID != "" && !c.jobs[req.JobID] {
		c.jobs[req.JobID] = true
		if req.After == nil && !first {
			// Its earlier events are behind this socket's position.
			c.replay = append(c.replay, req.JobID)
		}
	}
	switch {
	case req.After != nil:
		c.after = *req.After
	case first && req.All:
		c.after = c.s.cfg.Feed.Last()
	}
}

func (c *streamClient) deliver(req clientRequest) error {
	job, err := c.s.robot.Job(req.JobID)
	if err != nil || job.Origin != c.origin {
		return errors.New("job not found: " + req.JobID)
	}
	return c.s.robot.SendMessage(job.ID, req.Channel, req.Payload)
}

func (c *streamClient) reply(err error, ref string) {
	r := streamReply{V: feed.SchemaVersion, Type: "ack", Ref: ref}
	if err != nil {
		r = streamReply{V: feed.SchemaVersion, Type: "error", Ref: ref, Message: err.Error()}
	}
	select {
	case c.replies <- r:
	default: // a client flooding requests without reading loses replies
	}
}

// writeLoop sends the site's events in order, replies, and pings, until
// the client goes away or stops reading.
func (c *streamClient) writeLoop() {
	defer c.close()
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		changed, ok := c.sendPending()
		if !ok {
			return
		}
		select {
		case <-changed:
		case <-c.wake:
		case r := <-c.replies:
			if !c.write(r) {
				return
			}
		case <-ping.C:
			_ = c.conn.SetWriteDeadline(time.Now().Add(c.s.cfg.StreamWriteTimeout))
			if c.conn.WriteMessage(websocket.PingMessage, nil) != nil {
				return
			}
		}
	}
}

// sendPending writes every new event this client may see.
func (c *streamClient) sendPending() (<-chan struct{}, bool) {
	if !c.sendReplays() {
		return nil, false
	}
	for {
		c.mu.Lock()
		after, gen, subscribed, closed := c.after, c.gen, c.subscribed, c.closed
		c.mu.Unlock()
		if closed {
			return nil, false
		}
		batch := c.s.cfg.Feed.Read(after, 256)
		if !subscribed {
			return batch.Changed, true
		}
		if batch.Resync && !c.write(streamReply{V: feed.SchemaVersion, Type: "resync",
			Message: "events were dropped or never existed here (the engine may have " +
				"restarted); fetch the job's state again (JobStatus) and resubscribe"}) {
			return nil, false
		}
		for _, e := range batch.Events {
			if c.wants(e) && !c.writeRaw(e.JSON) {
				return nil, false
			}
		}
		c.mu.Lock()
		if c.gen == gen { // no subscribe meanwhile: it may have moved the position
			c.after = batch.Next
		}
		c.mu.Unlock()
		if len(batch.Events) < 256 {
			return batch.Changed, true
		}
	}
}

// sendReplays writes the kept events of jobs subscribed to after their
// first events went by, up to this socket's position.
func (c *streamClient) sendReplays() bool {
	c.mu.Lock()
	jobs, upTo := c.replay, c.after
	c.replay = nil
	c.mu.Unlock()

	for _, job := range jobs {
		for from := uint64(0); from < upTo; {
			batch := c.s.cfg.Feed.Read(from, 256)
			if len(batch.Events) == 0 {
				break
			}
			for _, e := range batch.Events {
				if e.Seq <= upTo && e.JobID == job && e.Origin == c.origin &&
					!c.writeRaw(e.JSON) {
					return false
				}
			}
			from = batch.Next
		}
	}
	return true
}

// wants filters the feed: only the site's own jobs, and process-list
// changes; never consent requests or other sites' events.
func (c *streamClient) wants(e feed.Event) bool {
	if e.Type == feed.ProcessesChanged {
		return true
	}
	if e.JobID == "" || e.Origin != c.origin {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.all || c.jobs[e.JobID]
}

func (c *streamClient) write(v any) bool {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.s.cfg.StreamWriteTimeout))
	if err := c.conn.WriteJSON(v); err != nil {
		slog.Debug("bridge: event stream client dropped", "origin", c.origin, "err", err)
		return false
	}
	return true
}

func (c *streamClient) writeRaw(data []byte) bool {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.s.cfg.StreamWriteTimeout))
	if err := c.conn.WriteMessage(websocket.TextMessage, data); err != nil {
		slog.Debug("bridge: event stream client dropped", "origin", c.origin, "err", err)
		return false
	}
	return true
}

func (c *streamClient) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	_ = c.conn.Close()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}
