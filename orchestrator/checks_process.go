package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

func (d *diagnosis) readFolder(ctx context.Context) Check {
	if CleanFolderPath(d.in.Folder) == "" {
		return skip("no folder chosen: pass --folder Parent/Child or set the " +
			"connection's default folder")
	}
	scope, err := d.client.ResolveFolder(ctx, d.in.Folder)
	if err != nil {
		return fail(err, "")
	}
	var page odataList[Release]
	err = d.client.do(ctx, call{op: joinOp("list processes in folder", scope.String()),
		method: "GET", path: "/odata/Releases", folder: &scope, out: &page,
		query: query{}.add("$top", "1").add("$select", "Id")})
	if errors.Is(err, ErrForbidden) {
		return fail(err, "the folder is visible but its processes are not: grant the "+
			"Processes.View permission in the folder (external app or token: the "+
			"OR.Execution.Read scope)")
	}
	if err != nil {
		return fail(err, "")
	}
	d.scope = scope
	if scope.ID > 0 {
		return pass(fmt.Sprintf("folder %q (id %d) is readable", scope.Path, scope.ID))
	}
	return pass(fmt.Sprintf("folder %q is readable (named by path)", scope.Path))
}

func (d *diagnosis) process(ctx context.Context) Check {
	if d.in.Process == "" {
		return skip("no process named: pass --process NAME [--version V]")
	}
	r, err := d.client.ReleaseByName(ctx, d.scope, d.in.Process)
	if err != nil {
		return fail(err, "")
	}
	if r.IsProcessDeleted {
		return fail(fmt.Errorf("process %q: its package %s was deleted from the feed",
			r.Name, r.ProcessKey), "publish the package again, or point the process at "+
			"another package in Orchestrator")
	}
	if d.in.Version != "" && d.in.Version != r.ProcessVersion {
		return fail(fmt.Errorf("process %q runs version %s, the app expects %s", r.Name,
			r.ProcessVersion, d.in.Version), "update the app to "+r.ProcessVersion+
			", or set the process in Orchestrator to version "+d.in.Version)
	}
	list := []Release{r}
	_ = d.client.MarkNewerVersions(ctx, list) // extra information only
	d.release = &list[0]
	detail := fmt.Sprintf("%q runs package %s version %s", r.Name, r.ProcessKey,
		r.ProcessVersion)
	if list[0].NewerVersion != "" {
		detail += " (newer package " + list[0].NewerVersion + " available, not used " +
			"until the process is updated)"
	}
	return pass(detail)
}

func (d *diagnosis) execute(ctx context.Context) Check {
	perms, err := d.client.Permissions(ctx, &d.scope)
	if err == nil && perms != nil {
		if HasPermission(perms, "Jobs.Create") {
			return pass("Jobs.Create granted in the folder")
		}
		return fail(fmt.Errorf("%w: Jobs.Create is not granted in folder %s",
			ErrForbidden, d.scope), "grant a role with Jobs.Create (Execute) in the folder")
	}
	if scopes := d.client.GrantedScopes(); scopes != "" {
		if hasScope(scopes, "OR.Jobs") || hasScope(scopes, "OR.Jobs.Write") {
			return pass("the token has the scope to start jobs (the folder's roles " +
				"still apply)")
		}
		return fail(fmt.Errorf("%w: the token lacks the OR.Jobs.Write scope", ErrForbidden),
			"grant the OR.Jobs scope to the external app and request it")
	}
	return skip(fmt.Sprintf("could not read the permissions (%v); starting a job "+
		"will tell", err))
}

func hasScope(scopes, want string) bool {
	for _, s := range strings.Fields(scopes) {
		if s == want {
			return true
		}
	}
	return false
}
