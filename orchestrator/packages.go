package orchestrator

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// MaxPackageBytes caps a downloaded package (the Orchestrator's default
// upload limit is 300 MB).
const MaxPackageBytes = 300 << 20

// DownloadPackage writes the .nupkg of one package version from the
// feed to w and returns its size. It downloads exactly the version asked
// for (normally the release's pinned ProcessVersion), never "the newest".
// feedID "" means the tenant feed.
func (c *Client) DownloadPackage(ctx context.Context, processKey, version, feedID string,
	w io.Writer) (int64, error) {
	op := joinOp("download package", processKey, version)
	q := query{}
	if feedID != "" {
		q = q.add("feedId", feedID)
	}
	var n int64
	err := c.do(ctx, call{op: op, method: "GET", query: q,
		path: "/odata/Processes/UiPath.Server.Configuration.OData.DownloadPackage" +
			pathKey("key", processKey+":"+version),
		raw: func(resp *http.Response) error {
			var err error
			n, err = copyPackage(op, resp, w)
			return err
		}})
	return n, err
}

// copyPackage checks that the answer is a zip (a .nupkg), not a page.
func copyPackage(op string, resp *http.Response, w io.Writer) (int64, error) {
	head := make([]byte, 4)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		return 0, fmt.Errorf("%s: %w: the answer is too short for a package", op, ErrMalformed)
	}
	if string(head) != "PK\x03\x04" {
		return 0, fmt.Errorf("%s: %w: the answer (%s) is not a .nupkg file", op,
			ErrNotOrchestrator, contentType(resp))
	}
	n, err := w.Write(head)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	m, err := io.Copy(w, io.LimitReader(resp.Body, MaxPackageBytes-int64(n)+1))
	total := int64(n) + m
	if err != nil {
		return total, fmt.Errorf("%s: %w", op, err)
	}
	if total > MaxPackageBytes {
		return total, fmt.Errorf("%s: the package is larger than %d MiB", op,
			MaxPackageBytes>>20)
	}
	return total, nil
}
