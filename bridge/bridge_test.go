package bridge_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"robotbridge/assets/samples"
	"robotbridge/bridge"
	"robotbridge/consent"
	"robotbridge/robot"
)

// TestMain lets the test binary run the samples as child processes.
func TestMain(m *testing.M) {
	samples.RunIfRequested()
	os.Exit(m.Run())
}

const approved = "http://127.0.0.1:9999"

// fixture is a bridge over a real robot with the samples, behind
// httptest servers for the discovery and API handlers.
type fixture struct {
	t         *testing.T
	api       *httptest.Server
	discovery *httptest.Server
	robot     *robot.Robot
	bridge    *bridge.Server
	keys      map[string]string // sample name -> key
}

func newFixture(t *testing.T, cfg bridge.Config) *fixture {
	t.Helper()
	return newFixtureWithGate(t, cfg, consent.NewGate([]string{approved}))
}

func newFixtureWithGate(t *testing.T, cfg bridge.Config, gate bridge.Authorizer) *fixture {
	t.Helper()
	r, err := robot.New(robot.Options{Self: os.Args[0], Feed: cfg.Feed})
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := samples.Packages()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, p := range pkgs {
		r.Install(p)
		keys[p.Name] = p.Key
	}

	b := bridge.New(cfg, r, gate)
	f := &fixture{t: t, robot: r, bridge: b, keys: keys}
	f.api = httptest.NewServer(b.APIHandler())
	f.discovery = httptest.NewServer(b.DiscoveryHandler())
	b.SetAPIPort(port(f.api.URL))
	t.Cleanup(func() {
		f.api.Close()
		f.discovery.Close()
		for _, j := range r.Jobs() {
			_ = r.StopJob(j.ID)
		}
	})
	return f
}

func port(rawURL string) int {
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(rawURL, "http://"))
	n, _ := strconv.Atoi(p)
	return n
}

// reply is a response with its body read and checked to be JSON.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request as a page from origin would; the body must always
// be JSON or empty, because the SDK hangs on anything else.
func (f *fixture) do(srv *httptest.Server, method, path, origin, body string,
	headers ...string) reply {
	f.t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Host = "localhost:" + strconv.Itoa(port(srv.URL))
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}

	resp, err := srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if len(data) > 0 && !json.Valid(data) {
		f.t.Fatalf("%s %s answered a body that is not JSON: %q", method, path, data)
	}
	return reply{resp.StatusCode, resp.Header, data}
}

func (f *fixture) get(path string) reply {
	return f.do(f.api, "GET", path, approved, "")
}

func (f *fixture) post(path, body string) reply {
	return f.do(f.api, "POST", path, approved, body)
}

func (r reply) errorText() string {
	var e struct {
		Response struct{ Error string } `json:"response"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Response.Error
}

func (r reply) response(t *testing.T, v any) {
	t.Helper()
	env := struct {
		Response any `json:"response"`
	}{v}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("bad body %s: %v", r.body, err)
	}
}

func (f *fixture) invoke(name, args string) string {
	f.t.Helper()
	r := f.post("/InvokeRobot?robotProcessId="+f.keys[name], args)
	if r.status != 200 {
		f.t.Fatalf("invoke %s: %d %s", name, r.status, r.body)
	}
	var a struct{ JobId string }
	r.response(f.t, &a)
	return a.JobId
}

type status struct {
	State  int
	Status []string
	Events []struct{ Name, Payload string }
	Output *struct{ Arguments json.RawMessage }
	Error  *struct{ Message, Type string }
}

func (f *fixture) status(jobID string) status {
	f.t.Helper()
	r := f.get("/JobStatus?jobId=" + jobID)
	if r.status != 200 {
		f.t.Fatalf("status: %d %s", r.status, r.body)
	}
	var s status
	r.response(f.t, &s)
	if s.Status == nil || s.Events == nil {
		f.t.Fatalf("Status and Events must always be arrays: %s", r.body)
	}
	return s
}

// untilDone long-polls a job to its end, collecting what it delivered.
func (f *fixture) untilDone(jobID string) (status, []string) {
	f.t.Helper()
	var seen []string
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s := f.status(jobID)
		seen = append(seen, s.Status...)
		for _, e := range s.Events {
			seen = append(seen, "event:"+e.Name+"="+e.Payload)
		}
		if s.State != 0 {
			return s, seen
		}
	}
	f.t.Fatalf("job %s did not end", jobID)
	return status{}, nil
}

func TestGetPort_AnnouncesAPIPortAndFeatures(t *testing.T) {
	f := newFixture(t, bridge.Config{})
	r := f.do(f.discovery, "GET", "/GetPort", approved, "")
	var p struct {
		Port           int
		ServerFeatures []string
	}
	if err := json.Unmarshal(r.body, &p); err != nil || r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if p.Port != port(f.api.URL) {
		t.Fatalf("Port %d, want the API port %d", p.Port, port(f.api.URL))
	}
	if !strings.Contains(strings.Join(p.ServerFeatures, ","), "JobStatus_LongPolling") {
		t.Fatalf("features %v", p.ServerFeatures)
	}
}

func TestRobotProcesses_ListsSamplesWithStableKeys(t *testing.T) {
	f := newFixture(t, bridge.Config{})
	var list []struct{ Key, Name, Description string }
	f.get("/RobotProcesses").response(t, &list)

	names := map[string]string{}
	for _, p := range list {
		names[p.Name] = p.Key
	}
	for _, want := range []string{"echo", "sleep", "fail", "events"} {
		if names[want] == "" || names[want] != robot.ProcessKey(samples.Source, want) {
			t.Fatalf("process %q missing or with an unstable key: %v", want, names)
		}
	}
}

func TestInvokeRobot_EchoRoundTripPlainAndWrapped(t *testing.T) {
	f := newFixture(t, bridge.Config{HoldTimeout: 2 * time.Second})
	args := `{"text":"héllo ✓","n":12345678901234567890,"f":1.5,"b":true,"z":null,` +
		`"o":{"a":[1,{"b":"c"}]}}`

	for name, path := range map[string]string{
		"plain":   "/InvokeRobot?robotProcessId=" + f.keys["echo"],
		"wrapped": "/InvokeRobot?robotProcessId=" + f.keys["echo"] + "&features=internalArguments",
	} {
		t.Run(name, func(t *testing.T) {
			body := args
			if name == "wrapped" {
				body = `{"inputArgs":` + args + `,"internalArgs":"x","jobSource":"RobotAPI"}`
			}
			r := f.post(path, body)
			var a struct{ JobId string }
			r.response(t, &a)
			s, _ := f.untilDone(a.JobId)
			if s.State != 1 || s.Output == nil {
				t.Fatalf("state %d, %+v", s.State, s.Error)
			}
			if got, want := canonical(t, s.Output.Arguments), canonical(t, []byte(args)); got != want {
				t.Fatalf("output %s, want %s", got, want)
			}
		})
	}
}

func TestInvokeRobot_NoBodyNullAndEmptyWrapperMeanNoArguments(t *testing.T) {
	f := newFixture(t, bridge.Config{HoldTimeout: 2 * time.Second})
	for _, c := range []struct{ query, body string }{
		{"", ""}, {"", "null"}, {"&features=internalArguments", `{"jobSource":"RobotAPI"}`},
		{"&features=internalArguments", `{"inputArgs":null}`},
	} {
		r := f.post("/InvokeRobot?robotProcessId="+f.keys["echo"]+c.query, c.body)
		var a struct{ JobId string }
		r.response(t, &a)
		end, _ := f.untilDone(a.JobId)
		if end.State != 1 || canonical(t, end.Output.Arguments) != "{}" {
			t.Fatalf("body %q: %+v", c.body, end)
		}
	}
}

func TestInvokeRobot_AdoptsTheGivenJobID(t *testing.T) {
	f := newFixture(t, bridge.Config{})
	given := "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"
	var a struct{ JobId string }
	f.post("/InvokeRobot?robotProcessId="+f.keys["echo"]+"&jobId="+given, "{}").response(t, &a)
	if a.JobId != given {
		t.Fatalf("JobId %q, want %q", a.JobId, given)
	}
}

func TestJobStatus_DrainsEachMessageOnceThenRepeatsTheEnd(t *testing.T) {
	f := newFixture(t, bridge.Config{HoldTimeout: 2 * time.Second})
	id := f.invoke("events", "")
	end, seen := f.untilDone(id)

	want := []string{"Step 1 of 3: reading", "event:progress=33", "Step 2 of 3: checking",
		"event:progress=66", "Step 3 of 3: writing", "event:progress=100",
		`event:summary={"ok":true,"steps":3}`}
	count := map[string]int{}
	for _, s := range seen {
		count[s]++
	}
	for _, w := range want {
		if count[w] != 1 {
			t.Fatalf("%q delivered %d times; all: %q", w, count[w], seen)
		}
	}
	if end.Output == nil || canonical(t, end.Output.Arguments) != `{"steps":3}` {
		t.Fatalf("output %+v", end.Output)
	}

	again := f.status(id)
	if again.State != 1 || len(again.Status)+len(again.Events) != 0 || again.Output == nil {
		t.Fatalf("a repeated terminal answer must be the same end with no messages: %+v", again)
	}
}

func TestJobStatus_LongPollHoldsUntilTimeoutWithoutNews(t *testing.T) {
	hold := 300 * time.Millisecond
	f := newFixture(t, bridge.Config{HoldTimeout: hold})
	id := f.invoke("sleep", `{"seconds": 30}`)
	f.status(id) // takes "Sleeping for 30 s"

	start := time.Now()
	s := f.status(id)
	if s.State != 0 {
		t.Fatalf("state %d", s.State)
	}
	// The sleep sample reports once a second, so an answer before the hold
	// ended could only come from an immediate (spinning) answer.
	if len(s.Status) == 0 && time.Since(start) < hold {
		t.Fatalf("empty answer after %s, before the %s hold", time.Since(start), hold)
	}
}

func TestJobStatus_FaultAndStopCarryErrorObjects(t *testing.T) {
	f := newFixture(t, bridge.Config{HoldTimeout: 2 * time.Second})
	failed, _ := f.untilDone(f.invoke("fail", `{"message":"boom 42"}`))
	if failed.State != 3 || failed.Error == nil || failed.Error.Message != "boom 42" {
		t.Fatalf("fail: %+v", failed)
	}

	id := f.invoke("sleep", "")
	if r := f.get("/StopProcess?robotProcessId=" + f.keys["sleep"]); r.status != 200 {
		t.Fatalf("stop: %d %s", r.status, r.body)
	}
	stopped, _ := f.untilDone(id)
	if stopped.State != 2 || stopped.Error == nil {
		t.Fatalf("stopped: %+v", stopped)
	}
	if r := f.get("/StopProcess?robotProcessId=" + f.keys["sleep"]); r.status != 200 {
		t.Fatalf("stopping again must be idempotent: %d", r.status)
	}
}

func TestSendClientMessage_ComesBackAsWorkflowEvent(t *testing.T) {
	f := newFixture(t, bridge.Config{HoldTimeout: 2 * time.Second})
	id := f.invoke("sleep", "")
	f.status(id)

	r := f.post("/SendClientMessage?jobId="+id, `{"channelName":"ping","payload":"hi ✓"}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range f.status(id).Events {
			if e.Name == "ping" && e.Payload == "hi ✓" {
				return
			}
		}
	}
	t.Fatal("the message did not come back as a workflow event")
}

func TestInstallProcess_SchemaAtTopLevel(t *testing.T) {
	f := newFixture(t, bridge.Config{})
	r := f.get("/InstallProcess?robotProcessId=" + f.keys["fail"])
	var s struct {
		InputArgumentsSchema []struct {
			Name, Type             string
			IsRequired, HasDefault bool
		}
	}
	if err := json.Unmarshal(r.body, &s); err != nil || len(s.InputArgumentsSchema) != 1 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	a := s.InputArgumentsSchema[0]
	if a.Name != "message" || a.Type != "System.String" || !a.HasDefault {
		t.Fatalf("schema %+v", a)
	}
}

// Every bad input gets a JSON error the SDK can show, and the bridge
// keeps serving afterwards.
func TestBadInput_ClearErrorsAndTheBridgeKeepsServing(t *testing.T) {
	f := newFixture(t, bridge.Config{MaxBodyBytes: 1024})
	running := f.invoke("sleep", "")
	finished := f.invoke("echo", "")
	f.untilDone(finished)
	echo := "/InvokeRobot?robotProcessId=" + f.keys["echo"]

	cases := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"malformed JSON", "POST", echo, `{"text": "a",`, 400, "not valid JSON"},
		{"not an object", "POST", echo, `[1,2]`, 400, "must be a JSON object"},
		{"trailing data", "POST", echo, `{} {}`, 400, "not valid JSON"},
		{"wrong type", "POST", "/InvokeRobot?robotProcessId=" + f.keys["sleep"],
			`{"seconds":"ten"}`, 400, `"seconds": must be a number`},
		{"unknown process", "POST", "/InvokeRobot?robotProcessId=nope", `{}`, 404,
			"Process not found: nope"},
		{"unknown job", "GET", "/JobStatus?jobId=nope", "", 404, "Job not found"},
		{"unknown process stop", "GET", "/StopProcess?robotProcessId=nope", "", 404,
			"Process not found"},
		{"unknown process install", "GET", "/InstallProcess?robotProcessId=nope", "", 404,
			"Process not found"},
		{"message to finished job", "POST", "/SendClientMessage?jobId=" + finished,
			`{"channelName":"x","payload":1}`, 409, "not running"},
		{"message without channel", "POST", "/SendClientMessage?jobId=" + running,
			`{"payload":1}`, 400, "channelName"},
		{"oversized body", "POST", echo, `{"text":"` + strings.Repeat("x", 2048) + `"}`,
			413, "larger than the bridge's limit"},
		{"wrong method", "GET", "/InvokeRobot", "", 405, "takes POST"},
		{"unknown endpoint", "GET", "/Nope", "", 404, "no such endpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(f.api, c.method, c.path, approved, c.body)
			if r.status != c.status || !strings.Contains(r.errorText(), c.want) {
				t.Fatalf("got %d %q, want %d containing %q", r.status, r.errorText(),
					c.status, c.want)
			}
			if r.header.Get("Access-Control-Allow-Origin") != approved {
				t.Fatal("errors must carry CORS headers or the page sees status 0")
			}
			if f.get("/RobotProcesses").status != 200 {
				t.Fatal("the bridge stopped serving after bad input")
			}
		})
	}
}

func TestHostHeader_OnlyLoopbackNamesWithOurPort(t *testing.T) {
	f := newFixture(t, bridge.Config{})
	p := strconv.Itoa(port(f.api.URL))
	for host, want := range map[string]int{
		"localhost:" + p: 200, "127.0.0.1:" + p: 200, "[::1]:" + p: 200,
		"evil.example:" + p: 403, "localhost.evil.example:" + p: 403,
		"localhost:1": 403, "localhost": 403, "127.0.0.2:" + p: 403,
	} {
		r := f.do(f.api, "GET", "/RobotProcesses", approved, "", "Host", host)
		if r.status != want {
			t.Errorf("Host %q: %d, want %d", host, r.status, want)
		}
		if want == 403 && strings.Contains(string(r.body), "echo") {
			t.Errorf("Host %q leaked the process list", host)
		}
	}
}

func TestOrigins_UnapprovedGetConsentNeededNullAndMissingAreRefused(t *testing.T) {
	f := newFixture(t, bridge.Config{})
	for origin, want := range map[string]int{
		"http://evil.example": 401, "http://127.0.0.1:9998": 401,
		"null": 403, "": 403,
	} {
		for _, path := range []string{"/RobotProcesses", "/InvokeRobot?robotProcessId=" +
			f.keys["echo"]} {
			method := "GET"
			if strings.HasPrefix(path, "/InvokeRobot") {
				method = "POST"
			}
			r := f.do(f.api, method, path, origin, "{}")
			if r.status != want {
				t.Errorf("origin %q %s: %d, want %d", origin, path, r.status, want)
			}
			if strings.Contains(string(r.body), f.keys["echo"]) || strings.Contains(string(r.body), "JobId") {
				t.Errorf("origin %q learned something: %s", origin, r.body)
			}
		}
	}
	if n := len(f.robot.Jobs()); n != 0 {
		t.Fatalf("refused origins started %d jobs", n)
	}
}

func TestCORS_ExactOriginOnEveryAnswerNeverWildcard(t *testing.T) {
	f := newFixture(t, bridge.Config{})
	for _, origin := range []string{"*", "null", "http://*", "file://"} {
		r := f.do(f.api, "GET", "/RobotProcesses", origin, "")
		if v := r.header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("origin %q was echoed as %q", origin, v)
		}
	}
	for _, origin := range []string{approved, "http://evil.example"} {
		for _, path := range []string{"/RobotProcesses", "/JobStatus?jobId=x", "/Nope"} {
			r := f.do(f.api, "GET", path, origin, "")
			h := r.header
			if h.Get("Access-Control-Allow-Origin") != origin ||
				h.Get("Access-Control-Allow-Credentials") != "true" ||
				!strings.Contains(h.Get("Access-Control-Expose-Headers"), "uipathToken") ||
				!strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
				t.Errorf("%s from %s: CORS headers %v", path, origin, h)
			}
			for k, v := range h {
				if strings.HasPrefix(k, "Access-Control") && strings.Contains(strings.Join(v, ""), "*") {
					t.Errorf("wildcard in %s: %v", k, v)
				}
			}
		}
	}
}

// Field report 1: Chrome's Private Network Access preflight must be
// answered on every route the SDK uses, or public pages cannot reach us.
func TestBridgePreflight_PrivateNetworkAccessHeader(t *testing.T) {
	origin := "https://cloud.uipath.com"
	f := newFixtureWithGate(t, bridge.Config{}, consent.NewGate([]string{approved, origin}))
	routes := map[*httptest.Server][]string{
		f.discovery: {"/GetPort", "/health"},
		f.api: {"/RobotProcesses", "/InvokeRobot", "/JobStatus", "/StopProcess",
			"/InstallProcess", "/SendClientMessage"},
	}
	for srv, paths := range routes {
		for _, path := range paths {
			r := f.do(srv, "OPTIONS", path, origin, "",
				"Access-Control-Request-Method", "POST",
				"Access-Control-Request-Headers", "content-type,uipathtoken",
				"Access-Control-Request-Private-Network", "true")
			h := r.header
			if r.status != 204 || len(r.body) != 0 ||
				h.Get("Access-Control-Allow-Origin") != origin ||
				h.Get("Access-Control-Allow-Private-Network") != "true" ||
				!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
				!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "uipathtoken") ||
				!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "content-type") {
				t.Errorf("preflight %s: %d %v", path, r.status, h)
			}
		}
	}
}

// An unapproved public page may start a consent round (discovery) but
// gets no private-network permission for the API port.
func TestPreflight_PrivateNetworkOnAPIPortOnlyForApprovedOrigins(t *testing.T) {
	f := newFixture(t, bridge.Config{})
	ask := func(srv *httptest.Server, path string) string {
		r := f.do(srv, "OPTIONS", path, "https://stranger.example", "",
			"Access-Control-Request-Method", "GET",
			"Access-Control-Request-Private-Network", "true")
		return r.header.Get("Access-Control-Allow-Private-Network")
	}
	if ask(f.discovery, "/GetPort") != "true" {
		t.Fatal("discovery must allow a consent round to start")
	}
	if ask(f.api, "/RobotProcesses") != "" {
		t.Fatal("an unapproved origin got private-network access to the API port")
	}
}

// The consent round as the SDK drives it, over HTTP: 401, poll with a
// code, approval, the token in an exposed header, then served with it.
func TestConsentRound_TokenDeliveredOnceAndBoundToOrigin(t *testing.T) {
	gate := consent.NewGate(nil)
	f := newFixtureWithGate(t, bridge.Config{}, gate)
	site := "https://app.example.com"

	if r := f.do(f.discovery, "GET", "/GetPort", site, ""); r.status != 401 {
		t.Fatalf("first contact: %d", r.status)
	}
	if r := f.do(f.discovery, "GET", "/GetPort?consentCode=482913", site, ""); r.status != 401 {
		t.Fatalf("poll before approval: %d", r.status)
	}
	if _, err := gate.Approve("482913", ""); err != nil {
		t.Fatal(err)
	}

	r := f.do(f.discovery, "GET", "/GetPort?consentCode=482913", site, "")
	token := r.header.Get("uipathToken")
	if r.status != 200 || token == "" ||
		!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "uipathToken") {
		t.Fatalf("approving poll: %d token=%t headers %v", r.status, token != "", r.header)
	}
	if r := f.do(f.api, "GET", "/RobotProcesses?consentCode=482913", site, "",
		"uipathToken", token); r.status != 200 {
		t.Fatalf("with the token: %d %s", r.status, r.body)
	}
	if r := f.do(f.api, "GET", "/RobotProcesses", "https://evil.example", "",
		"uipathToken", token); r.status != 401 {
		t.Fatalf("stolen token from another origin: %d", r.status)
	}

	if err := gate.Revoke(site); err != nil {
		t.Fatal(err)
	}
	if r := f.do(f.api, "GET", "/RobotProcesses", site, "", "uipathToken", token); r.status != 401 {
		t.Fatalf("after revoke the SDK must get 401 to start a new round: %d", r.status)
	}
}

func TestJobs_AreInvisibleToOtherOrigins(t *testing.T) {
	f := newFixture(t, bridge.Config{})
	gate := consent.NewGate([]string{approved, "http://127.0.0.1:9998"})
	b := bridge.New(bridge.Config{}, f.robot, gate)
	srv := httptest.NewServer(b.APIHandler())
	defer srv.Close()

	id := f.invoke("sleep", "")
	r := f.do(srv, "GET", "/JobStatus?jobId="+id, "http://127.0.0.1:9998", "")
	if r.status != 404 {
		t.Fatalf("another approved origin read the job: %d %s", r.status, r.body)
	}
	r = f.do(srv, "POST", "/SendClientMessage?jobId="+id, "http://127.0.0.1:9998",
		`{"channelName":"x"}`)
	if r.status != 404 {
		t.Fatalf("another origin messaged the job: %d", r.status)
	}
	f.do(srv, "GET", "/StopProcess?robotProcessId="+f.keys["sleep"], "http://127.0.0.1:9998", "")
	if s := f.status(id); s.State != 0 {
		t.Fatalf("another origin stopped the job: state %d", s.State)
	}
}

// Field report 2: health answers without consent on 127.0.0.1 and ::1,
// with CORS, and reveals only whether the site is approved.
func TestHealthEndpoint_ReachableWithoutConsent_IPv4AndIPv6(t *testing.T) {
	r, _ := robot.New(robot.Options{Self: os.Args[0]})
	b := bridge.New(bridge.Config{}, r, consent.NewGate([]string{approved}))
	ls, err := bridge.Listen(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- b.Serve(ctx, ls) }()
	t.Cleanup(func() { cancel(); <-done })

	if len(ls.Discovery) < 2 {
		t.Skip("this machine has no IPv6 loopback (::1); only 127.0.0.1 was tested")
	}
	p := strconv.Itoa(ls.DiscoveryPort())
	for _, host := range []string{"127.0.0.1", "[::1]"} {
		for origin, consentState := range map[string]string{
			"https://cloud.uipath.com": "required", approved: "granted"} {
			req, _ := http.NewRequest("GET", "http://"+host+":"+p+"/health", nil)
			req.Host = "localhost:" + p
			req.Header.Set("Origin", origin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", host, err)
			}
			var h struct{ Status, Consent string }
			_ = json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			if resp.StatusCode != 200 || h.Status != "ok" || h.Consent != consentState ||
				resp.Header.Get("Access-Control-Allow-Origin") != origin {
				t.Fatalf("%s from %s: %d %+v", host, origin, resp.StatusCode, h)
			}
		}
	}
	if c := b.LastContact(); c.Origin == "" || c.At.IsZero() {
		t.Fatal("the last browser contact was not recorded")
	}
}

// Field report 6: a taken port is reported with its holder; the bridge
// never falls back to a wildcard address or another port.
func TestStartup_PortTaken_ReportsHolder_NoWildcardBind(t *testing.T) {
	squatter, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer squatter.Close()
	taken := squatter.Addr().(*net.TCPAddr).Port

	_, err = bridge.Listen(taken, 0)
	var inUse *bridge.PortInUseError
	if err == nil || !asPortInUse(err, &inUse) {
		t.Fatalf("got %v, want a PortInUseError", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, strconv.Itoa(taken)) ||
		!strings.Contains(msg, "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("error %q should name the port and the holder's pid %d", msg, os.Getpid())
	}

	ls, err := bridge.Listen(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	for _, ln := range append(ls.Discovery, ls.API...) {
		if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
			t.Fatalf("bound %s, which is not loopback", ln.Addr())
		}
	}
}

func asPortInUse(err error, target **bridge.PortInUseError) bool {
	e, ok := err.(*bridge.PortInUseError)
	if ok {
		*target = e
	}
	return ok
}

// canonical re-encodes JSON with sorted keys and exact numbers, so two
// documents compare equal exactly when they hold the same values.
func canonical(t *testing.T, raw []byte) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestPause_RefusesRobotJSRequestsUntilResumed(t *testing.T) {
	f := newFixture(t, bridge.Config{})
	f.bridge.SetPaused(true)
	r := f.get("/RobotProcesses")
	if r.status != 503 || !strings.Contains(r.errorText(), "paused") {
		t.Fatalf("paused: %d %q", r.status, r.errorText())
	}
	if h := f.do(f.discovery, "GET", "/health", approved, ""); h.status != 200 {
		t.Fatalf("health must answer while paused: %d", h.status)
	}
	f.bridge.SetPaused(false)
	if r := f.get("/RobotProcesses"); r.status != 200 {
		t.Fatalf("resumed: %d", r.status)
	}
}
