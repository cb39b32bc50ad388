package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

// Stream opens a long-lived GET such as /v1/events and returns the
// response body, which the caller reads line by line and must close.
// Unlike Do it has no overall timeout: the stream lasts until ctx ends,
// the engine stops or the caller closes the body.
func (c *Client) Stream(ctx context.Context, path string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://robotbridge"+path, nil)
	if err != nil {
		return nil, err
	}
	// Same transport (the unix socket), no Timeout: a stream has no end.
	streaming := &http.Client{Transport: c.http.Transport}
	resp, err := streaming.Do(req)
	if err != nil {
		var opErr *net.OpError
		if ctx.Err() == nil && (errors.As(err, &opErr) || errors.Is(err, os.ErrNotExist)) {
			return nil, ErrNoEngine
		}
		return nil, err
	}
	if resp.StatusCode >= 300 {
		resp.Body.Close()
		return nil, fmt.Errorf("control API: GET %s: %s", path, resp.Status)
	}
	return resp.Body, nil
}
