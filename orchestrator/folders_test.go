package orchestrator_test

import (
	"errors"
	"strings"
	"testing"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

func TestOrchestrator_FolderHeader_NestedPathResolved(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	want := s.AddFolder(invoices) // exists: returns its id
	c := newClient(t, s, orchestrator.AuthPassword)

	f := folderOf(t, c, "/Finance / Invoices EU/") // sloppy typing is cleaned
	if f.ID != want {
		t.Fatalf("ResolveFolder = id %d, want %d (not the other \"Invoices EU\")", f.ID, want)
	}
	if _, err := c.Releases(ctx(t), f); err != nil {
		t.Fatal(err)
	}
	if got := s.LastRequest("releases").Header.Get("X-UIPATH-OrganizationUnitId"); got !=
		itoaT(want) {
		t.Fatalf("folder header = %q, want %d", got, want)
	}
	q := s.LastRequest("folders").URL.Query().Get("$filter")
	if q != "FullyQualifiedName eq 'Finance/Invoices EU'" {
		t.Errorf("folder lookup filter = %q, want the whole path", q)
	}

	// No folder header at all: 1101, named.
	_, err := c.Releases(ctx(t), orchestrator.FolderScope{})
	if !errors.Is(err, orchestrator.ErrFolderRequired) {
		t.Fatalf("Releases without a folder = %v, want ErrFolderRequired", err)
	}
	_, err = c.ResolveFolder(ctx(t), "Finance/Nope")
	if !errors.Is(err, orchestrator.ErrFolderAccess) || !strings.Contains(err.Error(),
		"Finance/Nope") {
		t.Fatalf("ResolveFolder(unknown) = %v, want ErrFolderAccess naming the path", err)
	}
}

func TestOrchestrator_NonASCIIFolderPath_EncodedHeader(t *testing.T) {
	for path, want := range map[string]string{
		"Finanzen/Prüfung": "RgBpAG4AYQBuAHoAZQBuAC8AUAByAPwAZgB1AG4AZwA=",
		"Shared/Ünicode":   "UwBoAGEAcgBlAGQALwDcAG4AaQBjAG8AZABlAA==",
	} {
		if got := orchestrator.EncodeFolderPath(path); got != want {
			t.Errorf("EncodeFolderPath(%q) = %s, want %s", path, got, want)
		}
	}

	// A token without the folders scope cannot list folders: the folder
	// goes by path, encoded.
	s := newFake(t, orchestratortest.Options{})
	s.AddPAT(orchestratortest.PAT{Token: "rt_nofolders", User: userName,
		Scopes: []string{"OR.Execution.Read", "OR.Jobs"}})
	s.AddRelease(pruefung, orchestratortest.Release{Name: "Prüfbot", ProcessKey: "Pruefbot",
		ProcessVersion: "2.0.0"})
	c := newClient(t, s, orchestrator.AuthToken, func(cfg *orchestrator.Config) {
		cfg.Secret = "rt_nofolders"
	})
	f := folderOf(t, c, pruefung)
	list, err := c.Releases(ctx(t), f)
	if err != nil || len(list) != 1 || list[0].Name != "Prüfbot" {
		t.Fatalf("Releases in %s = %+v, %v", pruefung, list, err)
	}
	h := s.LastRequest("releases").Header
	if got := h.Get("X-UIPATH-FolderPath-Encoded"); got !=
		"RgBpAG4AYQBuAHoAZQBuAC8AUAByAPwAZgB1AG4AZwA=" {
		t.Errorf("X-UIPATH-FolderPath-Encoded = %q", got)
	}
	for name, vals := range h {
		for _, v := range vals {
			if !isASCIIT(v) {
				t.Errorf("header %s carries non-ASCII bytes %q", name, v)
			}
		}
	}

	// An ASCII path by path uses the plain header and keeps working.
	f = folderOf(t, c, invoices)
	if _, err := c.Releases(ctx(t), f); err != nil {
		t.Fatal(err)
	}
	if got := s.LastRequest("releases").Header.Get("X-UIPATH-FolderPath"); got != invoices {
		t.Errorf("X-UIPATH-FolderPath = %q, want %q", got, invoices)
	}
}

func TestFolders_AssignedOnly_FallsBackToMyFolders(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	s.SetPermissions(userName, "Processes.View")
	s.SetUserFolders(userName, "Finance")
	c := newClient(t, s, orchestrator.AuthPassword)
	if _, err := c.Folders(ctx(t)); !errors.Is(err, orchestrator.ErrForbidden) {
		t.Fatalf("Folders without Units.View = %v, want ErrForbidden", err)
	}
	f := folderOf(t, c, invoices)
	if f.ID == 0 || s.Count("foldersForUser") != 1 {
		t.Fatalf("ResolveFolder = %+v after %d calls of GetAllForCurrentUser; want an id "+
			"from the assigned folders", f, s.Count("foldersForUser"))
	}
	// The user is not assigned to Shared: the Orchestrator says 1100.
	_, err := c.Releases(ctx(t), orchestrator.FolderScope{Path: sharedLeaf})
	if !errors.Is(err, orchestrator.ErrFolderAccess) {
		t.Fatalf("Releases in a folder not assigned = %v, want ErrFolderAccess", err)
	}
}

func TestFolders_Legacy1910_UsesFoldersNavigation(t *testing.T) {
	s := newFake(t, orchestratortest.Options{Legacy1910: true})
	s.SetPermissions(userName, "Processes.View")
	c := newClient(t, s, orchestrator.AuthPassword)
	if f := folderOf(t, c, invoices); f.ID == 0 || s.Count("foldersNav") != 1 {
		t.Fatalf("ResolveFolder on 19.10 = %+v, FoldersNavigation calls %d", f,
			s.Count("foldersNav"))
	}
}

func TestFolders_ListsAll(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthPassword)
	list, err := c.Folders(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range list {
		paths = append(paths, f.FullyQualifiedName)
	}
	got := strings.Join(paths, "|")
	for _, want := range []string{invoices, sharedLeaf, pruefung, "Finance", "Finanzen"} {
		if !strings.Contains(got, want) {
			t.Errorf("Folders = %s; missing %s", got, want)
		}
	}
}

func itoaT(n int64) string { return strings.TrimSpace(strings.Repeat(" ", 0)) + fmtInt(n) }

func fmtInt(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func isASCIIT(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
