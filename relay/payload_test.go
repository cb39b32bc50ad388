package relay

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseHook_Shapes(t *testing.T) {
	now := time.Date(2024, 5, 2, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name, body string
		want       []string // "job/state/folder"
	}{
		{"Job object", `{"Type":"job.completed","EventId":"1","OrganizationUnitId":12,` +
			`"Job":{"Id":5,"State":"Successful","OutputArguments":{"a":1}}}`,
			[]string{"5/Successful/12"}},
		{"Jobs array, numbers as strings", `{"Type":"job.stopped","EventId":2,` +
			`"TenantId":"3","FolderId":"7","Jobs":[{"Id":"5","State":"Stopped"},` +
			`{"Id":6,"State":"Stopped"}]}`, []string{"5/Stopped/7", "6/Stopped/7"}},
		{"Jobs as an object", `{"Type":"job.created","EventId":"3",` +
			`"Jobs":{"Id":5,"State":"Pending","OrganizationUnitId":4}}`,
			[]string{"5/Pending/4"}},
		{"no State", `{"Type":"job.faulted","EventId":"4","Job":{"Id":5}}`,
			[]string{"5/Faulted/0"}},
		{"string outputs", `{"Type":"job.completed","EventId":"5","Job":{"Id":5,` +
			`"State":"Successful","OutputArguments":"{\"a\":1}"}}`, []string{"5/Successful/0"}},
		{"not a job event", `{"Type":"queueItem.added","EventId":"6"}`, nil},
	}
	for _, c := range cases {
		h, err := parseHook([]byte(c.body), now)
		if err != nil {
			t.Errorf("%s: parseHook: %v", c.name, err)
			continue
		}
		var got []string
		for _, e := range h.Jobs {
			got = append(got, strings.Join([]string{itoa(e.JobID), e.State, itoa(e.FolderID)},
				"/"))
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: jobs %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseHook_TimesAndMetadataOnly(t *testing.T) {
	body := `{"Type":"job.completed","EventId":"412345678",
	 "Timestamp":"2024-05-02T08:03:12.4410921Z",
	 "Job":{"Id":91234,"Key":"0b7e5d1c","State":"Successful",
	 "StartTime":"2024-05-02T08:00:09.5Z","EndTime":"2024-05-02T08:03:12.39",
	 "Info":"Job completed","OutputArguments":{"out_Total":1234.5},
	 "Release":{"Id":16,"ProcessKey":"InvoiceBot"}},"TenantId":3,"OrganizationUnitId":12}`
	h, err := parseHook([]byte(body), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e := h.Jobs[0]
	if e.At.Nanosecond() != 441092100 || e.EndTime == nil || e.EndTime.Minute() != 3 ||
		e.StartTime == nil || e.ProcessKey != "InvoiceBot" || e.TenantID != 3 {
		t.Errorf("event %+v: times, tenant or process key wrong", e)
	}
}

func TestParseHook_Refusals(t *testing.T) {
	cases := []struct{ body, want string }{
		{`[]`, "not a JSON webhook event"},
		{`{"EventId":"1"}`, "Type"},
		{`{"Type":"job.started"}`, "EventId"},
		{`{"Type":"job.started","EventId":"` + strings.Repeat("x", 200) + `"}`, "longer"},
		{`{"Type":"job.started","EventId":"a b"}`, "space"},
		{`{"Type":"job.started","EventId":"1"}`, "no Job"},
		{`{"Type":"job.started","EventId":"1","Job":{"State":"Running"}}`, "no Id"},
		{`{"Type":"job.started","EventId":"1","Job":{"Id":"x"}}`, "malformed"},
		{`{"Type":"job.bad","EventId":"1","Job":{"Id":1}}`, "State"},
	}
	for _, c := range cases {
		_, err := parseHook([]byte(c.body), time.Now())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseHook(%s) = %v, want an error with %q", c.body, err, c.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
