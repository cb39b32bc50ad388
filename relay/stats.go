package relay

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// counters count what happened to calls and subscribers.
type counters struct {
	received, duplicates, twins, stale, forwarded, ignored, dropped atomic.Int64
	refusedSource, refusedSignature, refusedSize, refusedBody       atomic.Int64
	refusedToken, cutOff                                            atomic.Int64

	lastLog    time.Time // hub goroutine only
	lastRefuse int64     // refused + dropped at the last summary; hub goroutine only
}

// Stats is a snapshot of the relay's counters since it started.
type Stats struct {
	// Received are webhook calls that passed every check.
	Received int64
	// Duplicates are calls whose EventId was seen before; Twins are job
	// changes already forwarded for another folder; Stale would have moved
	// a job backwards. None of them is forwarded (a twin goes only to
	// subscribers that did not get the first one).
	Duplicates, Twins, Stale int64
	// Forwarded are numbered events; Ignored calls were not job events.
	Forwarded, Ignored int64
	// Dropped calls were answered while the relay was overloaded, and
	// their events lost (polling covers them).
	Dropped int64
	// Refused calls, by reason.
	RefusedSource, RefusedSignature, RefusedSize, RefusedBody int64
	// RefusedToken are subscriber connections with a wrong or no token;
	// CutOff are subscribers dropped for not reading.
	RefusedToken, CutOff int64
	// Subscribers are connected now.
	Subscribers int
}

func (c *counters) snapshot() Stats {
	return Stats{Received: c.received.Load(), Duplicates: c.duplicates.Load(),
		Twins: c.twins.Load(), Stale: c.stale.Load(), Forwarded: c.forwarded.Load(),
		Ignored: c.ignored.Load(), Dropped: c.dropped.Load(),
		RefusedSource: c.refusedSource.Load(), RefusedSignature: c.refusedSignature.Load(),
		RefusedSize: c.refusedSize.Load(), RefusedBody: c.refusedBody.Load(),
		RefusedToken: c.refusedToken.Load(), CutOff: c.cutOff.Load()}
}

// summaryEvery spaces the warnings about refused calls, so that a flood
// of bad calls cannot flood the log.
const summaryEvery = time.Minute

// logSummary warns about refusals since the last summary, at most once a
// summaryEvery.
func (c *counters) logSummary(log *slog.Logger, now time.Time) {
	if now.Sub(c.lastLog) < summaryEvery {
		return
	}
	s := c.snapshot()
	refused := s.RefusedSource + s.RefusedSignature + s.RefusedSize + s.RefusedBody +
		s.RefusedToken
	if refused+s.Dropped == c.lastRefuse {
		return
	}
	c.lastLog, c.lastRefuse = now, refused+s.Dropped
	log.Warn("relay: calls refused or dropped since start", "source", s.RefusedSource,
		"signature", s.RefusedSignature, "size", s.RefusedSize, "body", s.RefusedBody,
		"token", s.RefusedToken, "dropped", s.Dropped)
}
