package feed

import "testing"

func TestRead_InOrderOnceEach(t *testing.T) {
	l := New(8)
	for i := 0; i < 5; i++ {
		l.Publish(Event{Type: JobStatus, Text: string(rune('a' + i))})
	}
	b := l.Read(0, 3)
	if len(b.Events) != 3 || b.Events[0].Seq != 1 || b.Events[2].Text != "c" || b.Next != 3 {
		t.Fatalf("%+v", b)
	}
	b = l.Read(b.Next, 10)
	if len(b.Events) != 2 || b.Events[0].Text != "d" || b.Next != 5 || b.Resync {
		t.Fatalf("%+v", b)
	}
	if b = l.Read(5, 10); len(b.Events) != 0 || b.Next != 5 {
		t.Fatalf("nothing new must give nothing: %+v", b)
	}
}

func TestRead_ReaderTooFarBehindIsToldToResync(t *testing.T) {
	l := New(4)
	for i := 0; i < 10; i++ {
		l.Publish(Event{Type: JobStatus})
	}
	b := l.Read(2, 100)
	if !b.Resync || b.Events[0].Seq != 7 || len(b.Events) != 4 {
		t.Fatalf("%+v", b)
	}
	if b := l.Read(0, 100); b.Resync || b.Events[0].Seq != 7 {
		t.Fatalf("a new reader starts at the oldest kept event: %+v", b)
	}
}

func TestChanged_WakesOnPublish(t *testing.T) {
	l := New(4)
	b := l.Read(0, 10)
	select {
	case <-b.Changed:
		t.Fatal("closed before anything was published")
	default:
	}
	l.Publish(Event{Type: JobState})
	select {
	case <-b.Changed:
	default:
		t.Fatal("not woken by Publish")
	}
}

// Found by the stream e2e test: resuming after a position the log never
// reached (an engine restart) must say resync, not wait forever.
func TestRead_PositionBeyondTheEndIsAResync(t *testing.T) {
	l := New(8)
	l.Publish(Event{Type: JobState})
	b := l.Read(1000, 10)
	if !b.Resync || len(b.Events) != 0 || b.Next != 1 {
		t.Fatalf("%+v", b)
	}
}
