package orchestrator

import (
	"context"
	"errors"
	"slices"
)

// User is the identity a token acts for.
type User struct {
	ID          int64  `json:"Id"`
	UserName    string `json:"UserName"`
	TenancyName string `json:"TenancyName"`
	// App is set when the token belongs to an external application, which
	// has no user (the API answers 204).
	App bool `json:"-"`
}

// CurrentUser asks who the token belongs to. It is also the cheapest
// call that proves a token is accepted.
func (c *Client) CurrentUser(ctx context.Context) (User, error) {
	var u User
	err := c.do(ctx, call{op: "read the signed-in user", method: "GET",
		path: "/odata/Users/UiPath.Server.Configuration.OData.GetCurrentUser()", out: &u})
	if errors.Is(err, errNoContent) {
		return User{App: true}, nil
	}
	return u, err
}

type permissionsAnswer struct {
	UserID      int64    `json:"UserId"`
	Permissions []string `json:"Permissions"`
}

// Permissions lists the caller's permissions, in a folder when f is set.
func (c *Client) Permissions(ctx context.Context, f *FolderScope) ([]string, error) {
	var ans permissionsAnswer
	err := c.do(ctx, call{op: "read my permissions", method: "GET", folder: f, out: &ans,
		path: "/odata/Users/UiPath.Server.Configuration.OData.GetCurrentPermissions()"})
	return ans.Permissions, err
}

// HasPermission reports whether list grants name.
func HasPermission(list []string, name string) bool { return slices.Contains(list, name) }
