// Package process is the child side of the robot's process protocol, for
// processes written in Go (docs/processes.md describes the protocol for
// any language).
//
// The engine writes JSON lines to the process's stdin: first
// {"type":"input","arguments":{...}}, later {"type":"message",...} for
// client messages and {"type":"stop"} when the job should end. The process
// answers with JSON lines on stdout: status, event, output and error.
package process

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Message is a client message sent to the running job.
type Message struct {
	Channel string          `json:"channel"`
	Payload json.RawMessage `json:"payload"`
}

type inbound struct {
	Type      string          `json:"type"`
	Arguments map[string]any  `json:"arguments"`
	Channel   string          `json:"channel"`
	Payload   json.RawMessage `json:"payload"`
}

// Session is one run of a process, talking to the engine.
type Session struct {
	Input    map[string]any
	Messages <-chan Message  // client messages, in order
	Stop     <-chan struct{} // closed when the engine asks the job to stop

	mu  sync.Mutex
	out *json.Encoder
}

// Open reads the input arguments from r and starts delivering later
// messages in the background; replies go to w.
func Open(r io.Reader, w io.Writer) (*Session, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	if !sc.Scan() {
		return nil, fmt.Errorf("process: no input line on stdin: %v", sc.Err())
	}
	var first inbound
	if err := decodeExact(sc.Bytes(), &first); err != nil || first.Type != "input" {
		return nil, fmt.Errorf("process: first stdin line is not an input message")
	}
	if first.Arguments == nil {
		first.Arguments = map[string]any{}
	}

	messages := make(chan Message, 16)
	stop := make(chan struct{})
	go readInbound(sc, messages, stop)
	return &Session{Input: first.Arguments, Messages: messages, Stop: stop,
		out: json.NewEncoder(w)}, nil
}

// readInbound delivers client messages; a stop message or the end of
// stdin closes stop.
func readInbound(sc *bufio.Scanner, messages chan<- Message, stop chan<- struct{}) {
	defer close(stop)
	for sc.Scan() {
		var in inbound
		if json.Unmarshal(sc.Bytes(), &in) != nil {
			continue
		}
		switch in.Type {
		case "message":
			messages <- Message{Channel: in.Channel, Payload: in.Payload}
		case "stop":
			return
		}
	}
}

func (s *Session) send(v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.out.Encode(v)
}

// Status reports a human-readable progress message.
func (s *Session) Status(text string) {
	s.send(map[string]any{"type": "status", "text": text})
}

// Event reports a workflow event. A payload that is not a string is sent
// as JSON and reaches pages as its JSON text.
func (s *Session) Event(name string, payload any) {
	s.send(map[string]any{"type": "event", "name": name, "payload": payload})
}

// Output sets the job's output arguments.
func (s *Session) Output(args map[string]any) {
	s.send(map[string]any{"type": "output", "arguments": args})
}

// Fail reports why the job faulted; the process should then exit non-zero.
func (s *Session) Fail(message, errorType string) {
	s.send(map[string]any{"type": "error", "message": message, "errorType": errorType})
}

// decodeExact keeps numbers as json.Number, so a value passes through a
// process without losing digits.
func decodeExact(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	return dec.Decode(v)
}

// Number reads a numeric input argument, reporting whether it was given.
func (s *Session) Number(name string) (float64, bool) {
	n, ok := s.Input[name].(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}
