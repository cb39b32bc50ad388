package bridge

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// errorBody is the error text the RobotJS SDK reads from
// {"response":{"Error":"..."}}; it must be a string.
type errorBody struct {
	Error string `json:"Error"`
}

type envelope struct {
	Response any `json:"response"`
}

// writeJSON sends v as the whole body. Every answer of the bridge goes
// through here, errors included, because the SDK hangs forever on a body
// that is not JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		slog.Error("bridge: encode answer", "err", err)
		status = http.StatusInternalServerError
		body = []byte(`{"response":{"Error":"the bridge could not encode its answer"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeResponse wraps v in the SDK's {"response": ...} envelope.
func writeResponse(w http.ResponseWriter, v any) {
	writeJSON(w, http.StatusOK, envelope{Response: v})
}

// writeError sends an error in the shape the SDK surfaces to the page as
// "<status> - <text>".
func writeError(w http.ResponseWriter, status int, text string) {
	writeJSON(w, status, envelope{Response: errorBody{Error: text}})
}
