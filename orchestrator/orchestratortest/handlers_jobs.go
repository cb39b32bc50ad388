package orchestratortest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

var strategies = map[string]bool{"All": true, "Specific": true, "RobotCount": true,
	"JobsCount": true, "ModernJobsCount": true}

type startBody struct {
	StartInfo *struct {
		ReleaseKey     string
		Strategy       string
		JobsCount      int
		InputArguments string
		Reference      string
	}
}

// startJobs is POST .../StartJobs (spec §6.1).
func (s *Server) startJobs(w http.ResponseWriter, r *http.Request) {
	var body startBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.StartInfo == nil {
		writeShape(w, 400, ShapeProblem, "The startInfo field is required.", 0, "")
		return
	}
	si := body.StartInfo
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.scopedLocked(w, r, "Jobs.Create", "OR.Jobs.Write")
	if !ok {
		return
	}
	if !strategies[si.Strategy] || (s.opts.Legacy1910 && si.Strategy == "ModernJobsCount") {
		writeStandard(w, 400, "Strategy '"+si.Strategy+"' is not valid.", 0)
		return
	}
	if si.InputArguments != "" && !json.Valid([]byte(si.InputArguments)) {
		writeStandard(w, 400, "InputArguments is not valid JSON.", 0)
		return
	}
	var rel *release
	for _, x := range s.releases {
		if x.folderID == f.id && strings.EqualFold(x.Key, si.ReleaseKey) {
			rel = x
		}
	}
	if rel == nil {
		writeStandard(w, 404, "AssociatedProcessNotFound", 1002)
		return
	}
	if s.noRobot[f.id] {
		writeStandard(w, 409, "Couldn't find any user with unattended robot permissions "+
			"in the current folder.", 0)
		return
	}
	n := max(si.JobsCount, 1)
	rows := make([]map[string]any, n)
	for i := range rows {
		rows[i] = s.newJobLocked(rel, si.InputArguments, si.Reference).row()
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"@odata.context": s.URL + "/odata/$metadata#Jobs", "value": rows})
}

// listJobs is GET /odata/Jobs and /odata/Jobs(id).
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, args []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.scopedLocked(w, r, "Jobs.View", "OR.Jobs.Read")
	if !ok {
		return
	}
	if len(args) > 0 {
		id, _ := strconv.ParseInt(args[0], 10, 64)
		j, err := s.jobLocked(id)
		if err != nil || j.folderID != f.id {
			writeStandard(w, 404, "Job does not exist.", 1002)
			return
		}
		row := j.row()
		row["@odata.context"] = s.URL + "/odata/$metadata#Jobs/$entity"
		writeJSON(w, 200, row)
		return
	}
	var rows []map[string]any
	for _, j := range s.jobs {
		if j.folderID == f.id {
			j.advance(s.now)
			rows = append(rows, j.row())
		}
	}
	rows, total, ok := applyQuery(w, r, rows)
	if ok {
		s.collection(w, r, "Jobs", rows, total)
	}
}

// stopJobs is POST .../StopJobs and /odata/Jobs(id)/...StopJob.
func (s *Server) stopJobs(w http.ResponseWriter, r *http.Request, args []string) {
	var body struct {
		JobIDs   []int64 `json:"jobIds"`
		Strategy string  `json:"strategy"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeShape(w, 400, ShapeProblem, "The body is not valid.", 0, "")
		return
	}
	if len(args) > 0 {
		id, _ := strconv.ParseInt(args[0], 10, 64)
		body.JobIDs = []int64{id}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.scopedLocked(w, r, "Jobs.Edit", "OR.Jobs.Write")
	if !ok {
		return
	}
	if body.Strategy != "SoftStop" && body.Strategy != "Kill" {
		writeStandard(w, 400, "The strategy field is required (SoftStop or Kill).", 0)
		return
	}
	s.stopLocked(w, f, body.JobIDs, body.Strategy)
}

func (s *Server) stopLocked(w http.ResponseWriter, f *folder, ids []int64, strategy string) {
	for _, id := range ids {
		j, err := s.jobLocked(id)
		if err != nil || j.folderID != f.id {
			writeStandard(w, 404, "Job does not exist.", 1002)
			return
		}
	}
	for _, id := range ids {
		if !s.jobs[id].stop(strategy, s.now, s.opts.StopDelay) {
			writeStandard(w, 400, "Job "+strconv.FormatInt(id, 10)+" cannot be stopped: "+
				"it has already ended.", 0)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}
