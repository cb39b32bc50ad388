package relay

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// subscriber is what the relay keeps for one token: its subscription and
// the events it has not acknowledged, across reconnections. The hub
// offers events without waiting; the connection's writer takes them.
type subscriber struct {
	token Token
	size  int
	now   func() time.Time
	wake  chan struct{} // capacity 1: something to send

	mu sync.Mutex // guards the fields below
	// filter is the last subscription; nil before the first one.
	filter *filter
	// buf holds unacknowledged events, oldest first, at most size.
	buf []*item
	// lost is the highest Seq dropped from buf unacknowledged.
	lost uint64
	// conn is the current connection (nil: none); left is when the last
	// one ended.
	conn *session
	left time.Time
}

// filter is a subscription: a tenant (0: every tenant the token may see)
// and folders (nil: all).
type filter struct {
	tenant  int64
	folders map[int64]bool
}

func newSubscriber(t Token, size int, now func() time.Time) *subscriber {
	return &subscriber{token: t, size: size, now: now, wake: make(chan struct{}, 1),
		left: now()}
}

// match reports whether the subscription wants the item. A twin goes
// only to subscribers that did not want the change for an earlier folder.
func (f *filter) match(t Token, it *item) bool {
	e := &it.ev
	if !t.mayTenant(e.TenantID) || (f.tenant != 0 && f.tenant != e.TenantID) {
		return false
	}
	if f.folders == nil {
		return len(it.covered) == 0
	}
	if !f.folders[e.FolderID] {
		return false
	}
	for _, c := range it.covered {
		if f.folders[c] {
			return false
		}
	}
	return true
}

// offer adds an item the subscription wants; when the buffer is full the
// oldest goes, and the subscriber will be told to resync.
func (s *subscriber) offer(it *item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.filter == nil || !s.filter.match(s.token, it) {
		return
	}
	if len(s.buf) >= s.size {
		s.lost = s.buf[0].ev.Seq
		s.buf[0] = nil
		s.buf = s.buf[1:]
		if s.conn != nil {
			// Connected but not keeping up (or not reading at all): cut it
			// off; it resyncs when it comes back.
			s.conn.cutOff()
		}
	}
	s.buf = append(s.buf, it)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// ack forgets the events up to seq: delivered, so no longer kept.
func (s *subscriber) ack(seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ackLocked(seq)
}

func (s *subscriber) ackLocked(seq uint64) {
	i := 0
	for i < len(s.buf) && s.buf[i].ev.Seq <= seq {
		s.buf[i] = nil
		i++
	}
	s.buf = s.buf[i:]
	if len(s.buf) == 0 {
		s.buf = nil // let the array go
	}
}

// attach makes c the subscriber's connection with the filter f and
// decides whether it resumes after the Seq after. It returns the
// connection it replaced, if any. A subscriber resumes when it asks for
// this relay run, the relay still knows it and nothing it wanted after
// that point was dropped.
func (s *subscriber) attach(c *session, f *filter, resume bool, after uint64) (
	old *session, resumed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old = s.conn
	resumed = resume && s.filter != nil && after >= s.lost
	if resumed {
		s.ackLocked(after)
	} else {
		s.buf, s.lost = nil, 0
	}
	s.filter, s.conn = f, c
	return old, resumed
}

// setFilter changes the subscription of a connected subscriber.
func (s *subscriber) setFilter(f *filter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filter = f
}

// detach ends c's hold on the subscriber (a newer connection may hold it).
func (s *subscriber) detach(c *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == c {
		s.conn, s.left = nil, s.now()
	}
}

// pending returns up to max events after sent, and whether events after
// sent were dropped before they could be sent.
func (s *subscriber) pending(sent uint64, max int) (out []*item, gap bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gap = s.lost > sent
	i, _ := slices.BinarySearchFunc(s.buf, sent+1, func(it *item, seq uint64) int {
		return cmp.Compare(it.ev.Seq, seq)
	})
	end := min(len(s.buf), i+max)
	return append(out, s.buf[i:end]...), gap
}

// idleSince is how long nobody is connected (0 while someone is).
func (s *subscriber) idleSince(now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		return 0
	}
	return now.Sub(s.left)
}

// lastLost is the highest Seq dropped unacknowledged.
func (s *subscriber) lastLost() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lost
}
