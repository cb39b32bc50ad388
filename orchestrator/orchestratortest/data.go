package orchestratortest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// AllPermissions are the permissions a User gets when none are given.
var AllPermissions = []string{"Units.View", "SubFolders.View", "Processes.View",
	"Packages.View", "Jobs.View", "Jobs.Create", "Jobs.Edit"}

// User is a local Orchestrator user.
type User struct {
	Name, Password, Tenant string
	// Permissions are the user's (nil: AllPermissions).
	Permissions []string
	// Folders are the paths the user is assigned to, each with its
	// subtree (nil: every folder).
	Folders []string
	// Disabled refuses the user's sign-ins and tokens (user removed).
	Disabled bool
	id       int64
}

// App is an external application (OAuth client credentials).
type App struct {
	ClientID, Secret string
	// Scopes are those granted to the app, e.g. "OR.Jobs".
	Scopes []string
	// Folders are the paths the app is assigned to (nil: none).
	Folders []string
}

// PAT is a personal access token of a user, limited to scopes.
type PAT struct {
	Token, User string
	Scopes      []string
}

// session is an issued bearer token.
type session struct {
	user    *User
	app     *App
	scopes  []string // app or PAT scopes; nil for a user sign-in
	expires time.Time
}

type folder struct {
	id       int64
	key      string
	name     string // display name
	path     string // FullyQualifiedName
	parentID int64
}

// Release is a process deployed to a folder.
type Release struct {
	Name, ProcessKey, ProcessVersion string
	// Input and Output are the argument schemas as the API sends them (a
	// JSON array in a string); "" for none.
	Input, Output string
	// Script is how its jobs move (nil: DefaultScript).
	Script []Step
	// Key is set by AddRelease.
	Key string
}

// Step is one state of a job's timeline. A job stays in a step for For
// (0: for ever), then moves to the next.
type Step struct {
	State  string
	For    time.Duration
	Info   string
	Output *string // OutputArguments (a JSON object as a string) when final
}

// DefaultScript: Pending for 1 s, Running for 3 s, then Successful with
// {"out_Total":1}.
var DefaultScript = []Step{{State: "Pending", For: time.Second},
	{State: "Running", For: 3 * time.Second},
	{State: "Successful", Info: "Job completed", Output: ptr(`{"out_Total":1}`)}}

func ptr(s string) *string { return &s }

type release struct {
	Release
	id       int64
	folderID int64
	deleted  bool // the package was deleted from the feed
}

type job struct {
	id, folderID int64
	key          string
	rel          *release
	input        string
	reference    string
	created      time.Time
	script       []Step
	stepAt       time.Time // when the current step began
	step         int
	state        string
	info         string
	output       *string
	start, end   *time.Time
	moves        []move // every state entered, for webhooks (webhooks_send.go)
}

func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "fake-" + hex.EncodeToString(b)
}

// AddUser adds a local user.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.Permissions == nil {
		u.Permissions = AllPermissions
	}
	s.nextID++
	u.id = s.nextID
	s.users[strings.ToLower(u.Name)] = &u
}

// SetUserDisabled removes (true) or restores a user: its sign-ins get
// 400/1000 and its existing tokens 401.
func (s *Server) SetUserDisabled(name string, disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(name)].Disabled = disabled
}

// SetPassword changes a user's password.
func (s *Server) SetPassword(name, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(name)].Password = password
}

// SetPermissions replaces a user's permissions.
func (s *Server) SetPermissions(name string, perms ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(name)].Permissions = perms
}

// SetUserFolders replaces the folders a user is assigned to.
func (s *Server) SetUserFolders(name string, paths ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(name)].Folders = paths
}

// AddApp adds an external application.
func (s *Server) AddApp(a App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[a.ClientID] = &a
}

// AddPAT adds a personal access token of an existing user.
func (s *Server) AddPAT(p PAT) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pats[p.Token] = &p
}

// RevokePAT makes a personal access token invalid.
func (s *Server) RevokePAT(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pats, token)
}

// ExpireTokens makes every issued token invalid now (as if they expired);
// the next call with one gets 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]*session{}
}

// AddFolder adds a folder by full path ("Parent/Child"), creating missing
// parents, and returns its id.
func (s *Server) AddFolder(path string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addFolderLocked(path)
}

func (s *Server) addFolderLocked(path string) int64 {
	if f := s.folderByPathLocked(path); f != nil {
		return f.id
	}
	var parentID int64
	name := path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		parentID, name = s.addFolderLocked(path[:i]), path[i+1:]
	}
	s.nextID++
	s.folders = append(s.folders, &folder{id: s.nextID, key: newKey(), name: name,
		path: path, parentID: parentID})
	return s.nextID
}

func (s *Server) folderByPathLocked(path string) *folder {
	for _, f := range s.folders {
		if strings.EqualFold(f.path, path) {
			return f
		}
	}
	return nil
}

func (s *Server) folderByIDLocked(id int64) *folder {
	for _, f := range s.folders {
		if f.id == id {
			return f
		}
	}
	return nil
}

// SetNoRobot makes StartJobs in the folder answer 409 (no robot).
func (s *Server) SetNoRobot(path string, none bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noRobot[s.folderByPathLocked(path).id] = none
}

// SetPackageCommand makes the feed's packages of id name a command in
// their project.json, so robotbridge can run them after installing.
func (s *Server) SetPackageCommand(id string, command ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands[id] = command
}

// AddPackage adds package versions to the tenant feed.
func (s *Server) AddPackage(id string, versions ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.packages[id] = append(s.packages[id], versions...)
}

// AddRelease deploys a process to a folder (created if missing) and
// returns it with its Key. Its package version is added to the feed.
func (s *Server) AddRelease(path string, r Release) Release {
	s.mu.Lock()
	defer s.mu.Unlock()
	fid := s.addFolderLocked(path)
	if r.Key == "" {
		r.Key = newKey()
	}
	if !contains(s.packages[r.ProcessKey], r.ProcessVersion) {
		s.packages[r.ProcessKey] = append(s.packages[r.ProcessKey], r.ProcessVersion)
	}
	s.nextID++
	s.releases = append(s.releases, &release{Release: r, id: s.nextID, folderID: fid})
	return r
}

// SetReleaseVersion moves a release to another package version (as
// "process.updated" does).
func (s *Server) SetReleaseVersion(path, name, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.releaseLocked(path, name)
	r.ProcessVersion = version
	if !contains(s.packages[r.ProcessKey], version) {
		s.packages[r.ProcessKey] = append(s.packages[r.ProcessKey], version)
	}
}

// DeleteRelease removes a process from its folder.
func (s *Server) DeleteRelease(path, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.releaseLocked(path, name)
	for i, x := range s.releases {
		if x == r {
			s.releases = append(s.releases[:i], s.releases[i+1:]...)
			return
		}
	}
}

// DeletePackage marks a release's package as deleted from the feed.
func (s *Server) DeletePackage(path, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked(path, name).deleted = true
}

func (s *Server) releaseLocked(path, name string) *release {
	f := s.folderByPathLocked(path)
	for _, r := range s.releases {
		if f != nil && r.folderID == f.id && r.Name == name {
			return r
		}
	}
	panic(fmt.Sprintf("orchestratortest: no release %q in folder %q", name, path))
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
