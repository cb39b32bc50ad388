package orchestrator

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf16"
)

// Folder is an Orchestrator folder (organization unit).
type Folder struct {
	ID                 int64  `json:"Id"`
	Key                string `json:"Key"`
	DisplayName        string `json:"DisplayName"`
	FullyQualifiedName string `json:"FullyQualifiedName"`
	Description        string `json:"Description"`
	ParentID           *int64 `json:"ParentId"`
}

// FolderScope names the folder of a folder-scoped call. With an ID the
// call carries X-UIPATH-OrganizationUnitId; with only a path it carries
// X-UIPATH-FolderPath, or X-UIPATH-FolderPath-Encoded (base64 of the
// UTF-16LE bytes) when the path is not ASCII, since header values must be.
type FolderScope struct {
	ID   int64
	Path string
}

func (f FolderScope) String() string {
	if f.Path != "" {
		return fmt.Sprintf("%q", f.Path)
	}
	return fmt.Sprintf("id %d", f.ID)
}

func (f FolderScope) setHeaders(h http.Header) {
	switch {
	case f.ID > 0:
		h.Set("X-UIPATH-OrganizationUnitId", itoa(f.ID))
	case isASCII(f.Path):
		h.Set("X-UIPATH-FolderPath", f.Path)
	default:
		h.Set("X-UIPATH-FolderPath-Encoded", EncodeFolderPath(f.Path))
	}
}

// EncodeFolderPath is the value of X-UIPATH-FolderPath-Encoded: base64 of
// the path's UTF-16LE bytes.
func EncodeFolderPath(path string) string {
	units := utf16.Encode([]rune(path))
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		b = append(b, byte(u), byte(u>>8))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// CleanFolderPath trims spaces and slashes around a path and around each
// of its parts: " /Finance / AP/ " becomes "Finance/AP".
func CleanFolderPath(path string) string {
	parts := strings.Split(strings.Trim(strings.TrimSpace(path), "/"), "/")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return strings.Join(parts, "/")
}

type odataList[T any] struct {
	Count *int `json:"@odata.count"`
	Value []T  `json:"value"`
}

// pageSize is the $top of list calls: the documented maximum.
const pageSize = 1000

// listAll fetches every page of an OData collection.
func listAll[T any](ctx context.Context, c *Client, cl call) ([]T, error) {
	var all []T
	base := cl.query
	for skip := 0; ; skip += pageSize {
		var page odataList[T]
		cl.query = base.add("$top", itoa(pageSize)).add("$skip", itoa(int64(skip)))
		cl.out = &page
		if err := c.do(ctx, cl); err != nil {
			return nil, err
		}
		all = append(all, page.Value...)
		if len(page.Value) < pageSize {
			return all, nil
		}
	}
}

const folderFields = "Id,Key,DisplayName,FullyQualifiedName,Description,ParentId"

// Folders lists the folders the identity may list (/odata/Folders; needs
// Units.View or SubFolders.View, or the OR.Folders scope).
func (c *Client) Folders(ctx context.Context) ([]Folder, error) {
	return listAll[Folder](ctx, c, call{op: "list folders", method: "GET",
		path: "/odata/Folders", query: query{}.add("$select", folderFields)})
}

// ResolveFolder finds the folder with that full path ("Parent/Child"),
// matching the whole path, not the last name, since two folders may share
// it. Without permission to list folders it looks through the folders
// assigned to the caller, and failing that it returns a scope that names
// the folder by path, which newer Orchestrators accept.
func (c *Client) ResolveFolder(ctx context.Context, path string) (FolderScope, error) {
	path = CleanFolderPath(path)
	if path == "" {
		return FolderScope{}, fmt.Errorf("no folder given: %w", ErrFolderRequired)
	}
	op := joinOp("find folder", fmt.Sprintf("%q", path))
	list, err := listAll[Folder](ctx, c, call{op: op, method: "GET", path: "/odata/Folders",
		query: query{}.add("$filter", eq("FullyQualifiedName", path)).
			add("$select", folderFields)})
	if errors.Is(err, ErrForbidden) {
		list, err = c.foldersForUser(ctx)
		if errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotFound) {
			c.log.Debug("orchestrator: folders not listable, naming folder by path",
				"connection", c.profile.Name)
			return FolderScope{Path: path}, nil
		}
	}
	if err != nil {
		return FolderScope{}, err
	}
	for _, f := range list {
		if strings.EqualFold(f.FullyQualifiedName, path) {
			return FolderScope{ID: f.ID, Path: f.FullyQualifiedName}, nil
		}
	}
	return FolderScope{}, fmt.Errorf("%s: %w: no folder has the path %q for %s; check "+
		"the spelling (nested folders are written Parent/Child)", op, errFolderMissing,
		path, c.identityName())
}

// errFolderMissing is a folder absent from the caller's list.
var errFolderMissing = fmt.Errorf("folder not found (%w)", ErrFolderAccess)

// pagedFolders is the answer of /api/Folders/GetAllForCurrentUser.
type pagedFolders struct {
	PageItems []Folder `json:"PageItems"`
	Count     int      `json:"Count"`
}

// foldersForUser lists the folders assigned to the caller: the newer
// /api/Folders/GetAllForCurrentUser (pages of at most 100), else the
// 19.10 FoldersNavigation call.
func (c *Client) foldersForUser(ctx context.Context) ([]Folder, error) {
	const take = 100
	var all []Folder
	for skip := 0; ; skip += take {
		var page pagedFolders
		err := c.do(ctx, call{op: "list my folders", method: "GET",
			path:  "/api/Folders/GetAllForCurrentUser",
			query: query{}.add("skip", itoa(int64(skip))).add("take", itoa(take)), out: &page})
		if errors.Is(err, ErrNotFound) && skip == 0 {
			return c.foldersNavigation(ctx)
		}
		if err != nil {
			return nil, err
		}
		all = append(all, page.PageItems...)
		if len(page.PageItems) < take || len(all) >= page.Count {
			return all, nil
		}
	}
}

func (c *Client) foldersNavigation(ctx context.Context) ([]Folder, error) {
	var list []Folder
	err := c.do(ctx, call{op: "list my folders", method: "GET",
		path: "/api/FoldersNavigation/GetAllFoldersForCurrentUser", out: &list})
	return list, err
}

// identityName is who the client acts as, for messages.
func (c *Client) identityName() string {
	switch c.profile.Auth {
	case AuthToken:
		return "the token's user"
	case AuthClientCredentials:
		return "app " + c.profile.User
	}
	return "user " + c.profile.User
}
