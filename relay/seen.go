package relay

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"robotbridge/orchestrator"
)

// seen is the relay's memory of recent events, metadata only: event ids
// (to drop redeliveries), per-folder twins (the Orchestrator sends one
// event per folder for one change) and each job's last forwarded state
// (to drop events that would move it backwards). Entries live in time
// buckets; a bucket older than the window is forgotten whole. Only the
// hub goroutine uses it.
type seen struct {
	window  time.Duration
	limit   int // most event ids remembered; beyond it the oldest bucket goes
	ids     map[string]int64
	twins   map[twinKey]*twinRec
	jobs    map[jobRef]jobRec
	buckets map[int64]*bucket
	dirty   map[int64]bool // buckets to write
	gone    []int64        // expired buckets whose files are to be removed
}

// bucketWidth is the span of one bucket (and one file).
const bucketWidth = 10 * time.Minute

type bucket struct {
	ids   []string
	twins []twinKey
	jobs  []jobRef
	// lines is the bucket's file content; it only grows, so a writer may
	// hold a prefix of it while the hub appends.
	lines []byte
}

// twinKey is one job change; its twins differ only in folder and EventId.
type twinKey struct {
	tenant, job        int64
	typ, state         string
	startNano, endNano int64
}

type twinRec struct {
	folders []int64
	bucket  int64
}

type jobRef struct{ tenant, job int64 }

type jobRec struct {
	rank   int
	at     time.Time
	bucket int64
}

func newSeen(window time.Duration, limit int) *seen {
	return &seen{window: window, limit: limit, ids: map[string]int64{},
		twins: map[twinKey]*twinRec{}, jobs: map[jobRef]jobRec{},
		buckets: map[int64]*bucket{}, dirty: map[int64]bool{}}
}

func bucketOf(t time.Time) int64 { return t.Truncate(bucketWidth).Unix() }

func (s *seen) bucket(b int64) *bucket {
	x := s.buckets[b]
	if x == nil {
		x = &bucket{}
		s.buckets[b] = x
	}
	return x
}

// hasID reports whether the event id was seen.
func (s *seen) hasID(id string) bool {
	_, ok := s.ids[id]
	return ok
}

// addID remembers an event id.
func (s *seen) addID(id string, now time.Time) {
	b := bucketOf(now)
	s.ids[id] = b
	x := s.bucket(b)
	x.ids = append(x.ids, id)
	x.lines = fmt.Appendf(x.lines, "e %s\n", id)
	s.dirty[b] = true
}

func keyOf(e *JobEvent) twinKey {
	k := twinKey{tenant: e.TenantID, job: e.JobID, typ: e.Type, state: e.State}
	if e.StartTime != nil {
		k.startNano = e.StartTime.UnixNano()
	}
	if e.EndTime != nil {
		k.endNano = e.EndTime.UnixNano()
	}
	return k
}

// twin returns the folders a twin of e was forwarded for (ok false when
// e is no twin of anything seen).
func (s *seen) twin(e *JobEvent) (folders []int64, ok bool) {
	r := s.twins[keyOf(e)]
	if r == nil {
		return nil, false
	}
	return r.folders, true
}

// stale reports whether e would move its job backwards: to a lower rank,
// to an older event of the same rank, or anywhere after a final state.
func (s *seen) stale(e *JobEvent) bool {
	prev, ok := s.jobs[jobRef{e.TenantID, e.JobID}]
	if !ok {
		return false
	}
	rank := orchestrator.JobState(e.State).Rank()
	final := orchestrator.JobSuccessful.Rank()
	return rank < prev.rank || prev.rank == final || (rank == prev.rank && e.At.Before(prev.at))
}

// forwarded records that e goes out for its folder: as a twin of an
// earlier change or as the job's new state.
func (s *seen) forwarded(e *JobEvent, now time.Time) {
	b := bucketOf(now)
	x := s.bucket(b)
	k := keyOf(e)
	if r := s.twins[k]; r != nil {
		if !slices.Contains(r.folders, e.FolderID) {
			r.folders = append(r.folders, e.FolderID)
		}
	} else {
		s.twins[k] = &twinRec{folders: []int64{e.FolderID}, bucket: b}
		x.twins = append(x.twins, k)
	}
	ref := jobRef{e.TenantID, e.JobID}
	if prev, ok := s.jobs[ref]; !ok || !e.At.Before(prev.at) || prev.rank < rankOf(e) {
		s.jobs[ref] = jobRec{rank: rankOf(e), at: e.At, bucket: b}
		if !ok || prev.bucket != b {
			x.jobs = append(x.jobs, ref)
		}
	}
	x.lines = appendTwinLine(x.lines, k, e.At, e.FolderID)
	s.dirty[b] = true
}

func rankOf(e *JobEvent) int { return orchestrator.JobState(e.State).Rank() }

// appendTwinLine writes "t AT TENANT JOB TYPE STATE START END FOLDER".
func appendTwinLine(b []byte, k twinKey, at time.Time, folder int64) []byte {
	b = append(b, "t "...)
	for _, n := range []int64{at.UnixNano(), k.tenant, k.job} {
		b = strconv.AppendInt(b, n, 10)
		b = append(b, ' ')
	}
	b = append(b, k.typ...)
	b = append(b, ' ')
	b = append(b, k.state...)
	for _, n := range []int64{k.startNano, k.endNano, folder} {
		b = append(b, ' ')
		b = strconv.AppendInt(b, n, 10)
	}
	return append(b, '\n')
}

// expire forgets buckets older than the window, and the oldest ones while
// more ids than the limit are remembered. It returns how many buckets
// went early because of the limit.
func (s *seen) expire(now time.Time) (early int) {
	oldest := bucketOf(now.Add(-s.window))
	for _, b := range s.sortedBuckets() {
		switch {
		case b < oldest:
		case len(s.ids) > s.limit && b < bucketOf(now):
			early++
		default:
			return early
		}
		s.drop(b)
	}
	return early
}

func (s *seen) sortedBuckets() []int64 {
	list := make([]int64, 0, len(s.buckets))
	for b := range s.buckets {
		list = append(list, b)
	}
	slices.Sort(list)
	return list
}

func (s *seen) drop(b int64) {
	x := s.buckets[b]
	for _, id := range x.ids {
		if s.ids[id] == b {
			delete(s.ids, id)
		}
	}
	for _, k := range x.twins {
		if r := s.twins[k]; r != nil && r.bucket == b {
			delete(s.twins, k)
		}
	}
	for _, ref := range x.jobs {
		if r, ok := s.jobs[ref]; ok && r.bucket == b {
			delete(s.jobs, ref)
		}
	}
	delete(s.buckets, b)
	delete(s.dirty, b)
	s.gone = append(s.gone, b)
}
