package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"robotbridge/config"
)

// hub owns the flow after a webhook was answered: de-duplication, twins,
// order, numbering and the fan-out to subscribers. One goroutine (run)
// does all of it, so that events get their numbers in one order; it never
// waits for a subscriber.
type hub struct {
	cfg   Config
	log   *slog.Logger
	epoch string // this run of the relay; a subscriber of another cannot resume
	in    chan *hook
	stats *counters

	// Run's goroutine only:
	seen *seen
	seq  uint64

	mu   sync.RWMutex // guards subs
	subs map[string]*subscriber

	writes chan []fileWrite // to the state writer; capacity 1
	held   func()           // test hook: called before each event is processed
}

// item is a numbered event, encoded once for every subscriber.
type item struct {
	ev   JobEvent
	json []byte
	// covered are the folders a twin of this change already went out for;
	// subscribers of those folders got it then.
	covered []int64
}

// inbox is how many answered calls may wait for the hub; past it calls
// are still answered but their events dropped (and counted): polling
// covers them, whereas refusing would make the Orchestrator switch the
// webhook off for an hour.
const inbox = 8192

func newHub(cfg Config, stats *counters) *hub {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand does not fail on supported platforms
	return &hub{cfg: cfg, log: cfg.Logger, epoch: hex.EncodeToString(b),
		in: make(chan *hook, inbox), stats: stats,
		seen: newSeen(cfg.DedupeWindow, cfg.MaxRemembered),
		subs: map[string]*subscriber{}, writes: make(chan []fileWrite, 1)}
}

// load restores the de-duplication memory from the state directory.
func (h *hub) load() error {
	if h.cfg.StateDir == "" {
		return nil
	}
	skipped, err := loadSeen(h.cfg.StateDir, h.seen, h.cfg.Now())
	if skipped > 0 {
		h.log.Warn("relay: unreadable lines in the de-duplication files skipped",
			"lines", skipped, "dir", h.cfg.StateDir)
	}
	return err
}

// offer queues an answered call; it never blocks.
func (h *hub) offer(k *hook) {
	select {
	case h.in <- k:
	default:
		h.stats.dropped.Add(1)
	}
}

// run processes calls until ctx ends, then writes the state once more.
func (h *hub) run(ctx context.Context) {
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		h.writeState()
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case k := <-h.in:
			h.process(k)
		case <-tick.C:
			h.housekeeping()
		case <-ctx.Done():
			h.drain()
			h.flush(true)
			close(h.writes)
			writer.Wait()
			return
		}
	}
}

// drain processes what was answered before the end.
func (h *hub) drain() {
	for {
		select {
		case k := <-h.in:
			h.process(k)
		default:
			return
		}
	}
}

func (h *hub) process(k *hook) {
	if h.held != nil {
		h.held()
	}
	now := h.cfg.Now()
	if h.seen.hasID(k.EventID) {
		h.stats.duplicates.Add(1)
		return
	}
	h.seen.addID(k.EventID, now)
	for i := range k.Jobs {
		e := &k.Jobs[i]
		covered, twin := h.seen.twin(e)
		switch {
		case twin && containsID(covered, e.FolderID):
			h.stats.twins.Add(1)
			continue
		case !twin && h.seen.stale(e):
			h.stats.stale.Add(1)
			continue
		}
		if twin {
			h.stats.twins.Add(1)
			covered = append([]int64(nil), covered...)
		}
		h.seen.forwarded(e, now)
		h.deliver(*e, covered)
	}
}

// deliver numbers an event and offers it to every subscriber.
func (h *hub) deliver(e JobEvent, covered []int64) {
	h.seq++
	e.Seq = h.seq
	data, _ := json.Marshal(e) // plain data: cannot fail
	it := &item{ev: e, json: data, covered: covered}
	h.stats.forwarded.Add(1)
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, s := range h.subs {
		s.offer(it)
	}
}

func containsID(list []int64, id int64) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// housekeeping runs every second: state to disk, expiry, summaries.
func (h *hub) housekeeping() {
	now := h.cfg.Now()
	if early := h.seen.expire(now); early > 0 {
		h.log.Warn("relay: more events than the de-duplication memory holds; the "+
			"oldest were forgotten before the end of the window", "limit",
			h.cfg.MaxRemembered, "buckets", early)
	}
	h.flush(false)
	h.forgetIdle(now)
	h.stats.logSummary(h.log, now)
}

// flush hands the changed buckets to the writer; when it is busy they
// stay dirty for the next tick, unless wait is set.
func (h *hub) flush(wait bool) {
	if h.cfg.StateDir == "" || (len(h.seen.dirty) == 0 && len(h.seen.gone) == 0) {
		return
	}
	if !wait && len(h.writes) > 0 {
		return // the writer has not taken the last batch yet
	}
	// Only this goroutine sends, so with the slot empty this cannot block.
	h.writes <- h.seen.pending(h.cfg.StateDir)
}

// writeState writes what flush hands over, until the channel closes.
func (h *hub) writeState() {
	for batch := range h.writes {
		for _, w := range batch {
			var err error
			if w.remove {
				err = removeIfExists(w.path)
			} else {
				err = config.WriteFileAtomic(w.path, w.data)
			}
			if err != nil {
				h.log.Warn("relay: de-duplication state not saved; a restart may forward "+
					"a redelivered event again", "error", err)
			}
		}
	}
}

// forgetIdle drops subscribers that stayed away longer than the resume
// window, with their buffers.
func (h *hub) forgetIdle(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, s := range h.subs {
		if s.idleSince(now) > h.cfg.ResumeWindow {
			delete(h.subs, name)
		}
	}
}

// subscriber returns the state kept for a token, made on first use.
func (h *hub) subscriber(t Token) *subscriber {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.subs[t.Name]
	if s == nil {
		s = newSubscriber(t, h.cfg.Buffer, h.cfg.Now)
		h.subs[t.Name] = s
	}
	return s
}
