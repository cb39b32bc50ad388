package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// session is one subscriber connection. The handler goroutine writes
// (hello, events, pings); one reader goroutine reads acks and
// subscription changes. Only these two close the connection: closing a
// TLS connection may write (close_notify) and block on a peer that does
// not read, so others only ask them to, with stop.
type session struct {
	h        *hub
	conn     *websocket.Conn
	tok      Token
	sub      *subscriber
	log      *slog.Logger
	done     chan struct{} // closed by stop: end the session
	stopOnce sync.Once
	out      bytes.Buffer // the writer's message buffer
}

// stop asks the session to end; it never blocks, from any goroutine.
func (c *session) stop() {
	c.stopOnce.Do(func() { close(c.done) })
}

// close ends the connection; for the session's own goroutines.
func (c *session) close() {
	c.stop()
	_ = c.conn.Close()
}

// cutOff drops a subscriber that does not keep up; it never blocks.
func (c *session) cutOff() {
	select {
	case <-c.done:
	default:
		c.h.stats.cutOff.Add(1)
		c.log.Info("relay: subscriber cut off: it does not read its events",
			"subscriber", c.tok.Name)
		c.stop()
	}
}

// serve runs the connection until it ends.
func (c *session) serve() {
	defer c.close()
	first, err := c.handshake()
	if err != nil {
		c.refuse(err)
		return
	}
	f, err := c.filterOf(first)
	if err != nil {
		c.refuse(err)
		return
	}
	c.sub = c.h.subscriber(c.tok)
	old, resumed := c.sub.attach(c, f, first.Epoch == c.h.epoch, first.After)
	if old != nil {
		old.stop() // the same subscriber came back on a new connection
	}
	defer c.sub.detach(c)
	sent := uint64(0)
	if resumed {
		sent = first.After
	}
	c.log.Debug("relay: subscriber connected", "subscriber", c.tok.Name, "resumed", resumed)
	if err := c.writeJSON(serverMessage{Type: "hello", Epoch: c.h.epoch,
		Resumed: resumed}); err != nil {
		return
	}
	reading := make(chan struct{})
	go func() {
		defer close(reading)
		c.readLoop()
	}()
	c.writeLoop(sent)
	c.close()
	<-reading
}

// handshake reads the first message, which must be a subscribe.
func (c *session) handshake() (clientMessage, error) {
	cfg := &c.h.cfg
	c.conn.SetReadLimit(maxClientMessage)
	_ = c.conn.SetReadDeadline(cfg.Now().Add(cfg.PongWait))
	var m clientMessage
	if err := c.conn.ReadJSON(&m); err != nil {
		return m, fmt.Errorf("no subscribe message: %w", err)
	}
	if m.Type != "subscribe" {
		return m, fmt.Errorf("the first message must be a subscribe, not %q", m.Type)
	}
	return m, nil
}

// filterOf checks a subscribe message against the token.
func (c *session) filterOf(m clientMessage) (*filter, error) {
	if m.Tenant != 0 && !c.tok.mayTenant(m.Tenant) {
		return nil, fmt.Errorf("this token may not subscribe to tenant %d", m.Tenant)
	}
	f := &filter{tenant: m.Tenant}
	if len(m.Folders) > 0 {
		f.folders = make(map[int64]bool, len(m.Folders))
		for _, id := range m.Folders {
			f.folders[id] = true
		}
	}
	return f, nil
}

// closeWith ends the connection with a close frame that says why; unlike
// refuse it may run beside the writer (control frames may).
func (c *session) closeWith(err error) {
	c.log.Debug("relay: subscriber refused", "subscriber", c.tok.Name, "error", err)
	reason := err.Error()
	if len(reason) > 120 { // a close frame's reason has room for 123 bytes
		reason = reason[:120]
	}
	deadline := c.h.cfg.Now().Add(c.h.cfg.WriteWait)
	_ = c.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.ClosePolicyViolation, reason), deadline)
}

// refuse answers before the writer runs: an error message, then the
// caller closes.
func (c *session) refuse(err error) {
	c.log.Debug("relay: subscriber refused", "subscriber", c.tok.Name, "error", err)
	_ = c.writeJSON(serverMessage{Type: "error", Message: err.Error()})
}

// readLoop takes acks and subscription changes until the connection
// ends. Any message, and any pong, proves the subscriber alive.
func (c *session) readLoop() {
	defer c.close()
	cfg := &c.h.cfg
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(cfg.Now().Add(cfg.PongWait))
	})
	for {
		var m clientMessage
		if err := c.conn.ReadJSON(&m); err != nil {
			return
		}
		_ = c.conn.SetReadDeadline(cfg.Now().Add(cfg.PongWait))
		switch m.Type {
		case "ack":
			c.sub.ack(m.Seq)
		case "subscribe":
			f, err := c.filterOf(m)
			if err != nil {
				c.closeWith(err)
				return
			}
			c.sub.setFilter(f)
		default:
			c.closeWith(fmt.Errorf("unknown message type %q", m.Type))
			return
		}
	}
}

// writeGap spaces the events messages to one subscriber: an event after
// a quiet spell goes out at once, the events of a burst wait for the next
// slot and share a message. Under load this divides the writes (and the
// subscriber's acknowledgements) by the events per gap.
const writeGap = 10 * time.Millisecond

// writeLoop sends events after sent as they come, and pings.
func (c *session) writeLoop(sent uint64) {
	ping := time.NewTicker(c.h.cfg.PingInterval)
	defer ping.Stop()
	var last time.Time // of the last events message
	for {
		var err error
		if sent, last, err = c.sendAfterGap(sent, last); err != nil {
			return
		}
		select {
		case <-c.done:
			return
		case <-c.sub.wake:
		case <-ping.C:
			deadline := c.h.cfg.Now().Add(c.h.cfg.WriteWait)
			if c.conn.WriteControl(websocket.PingMessage, nil, deadline) != nil {
				return
			}
		}
	}
}

// sendAfterGap waits until writeGap has passed since last, then sends
// what is pending.
func (c *session) sendAfterGap(sent uint64, last time.Time) (uint64, time.Time, error) {
	if wait := writeGap - time.Since(last); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-c.done:
			t.Stop()
			return sent, last, errClosed
		case <-t.C:
		}
	}
	next, err := c.sendPending(sent)
	if next != sent {
		last = time.Now()
	}
	return next, last, err
}

var errClosed = errors.New("connection closed")

// sendPending writes every event after sent, in batches.
func (c *session) sendPending(sent uint64) (uint64, error) {
	for {
		select {
		case <-c.done:
			return sent, errClosed
		default:
		}
		items, gap := c.sub.pending(sent, maxBatch)
		if gap {
			if err := c.writeJSON(serverMessage{Type: "resync"}); err != nil {
				return sent, err
			}
			sent = max(sent, c.sub.lastLost())
			continue
		}
		if len(items) == 0 {
			return sent, nil
		}
		if err := c.writeEvents(items); err != nil {
			return sent, err
		}
		sent = items[len(items)-1].ev.Seq
	}
}

// writeEvents sends one events message built from the items' encodings.
func (c *session) writeEvents(items []*item) error {
	c.out.Reset()
	c.out.WriteString(`{"type":"events","events":[`)
	for i, it := range items {
		if i > 0 {
			c.out.WriteByte(',')
		}
		c.out.Write(it.json)
	}
	c.out.WriteString("]}")
	return c.write(c.out.Bytes())
}

func (c *session) writeJSON(m serverMessage) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.write(data)
}

func (c *session) write(data []byte) error {
	_ = c.conn.SetWriteDeadline(c.h.cfg.Now().Add(c.h.cfg.WriteWait))
	err := c.conn.WriteMessage(websocket.TextMessage, data)
	var netErr interface{ Timeout() bool }
	if errors.As(err, &netErr) && netErr.Timeout() {
		c.cutOff()
	}
	return err
}
