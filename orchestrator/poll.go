package orchestrator

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// idListMax is the most ids sent as an explicit list: "Id eq a or Id eq
// b ..." keeps well under the 100-expression $filter limit and the 2 KB
// query limit of IIS. More jobs are asked for by id range instead.
const idListMax = 40

const pollFields = "Id,Key,State,Info,CreationTime,StartTime,EndTime"

// jobStates reads the states of the jobs with these ids in one folder, in
// one request while the answer fits one page. A followed job missing from
// the answer has ended (range mode asks only for active jobs) or is gone.
func (c *Client) jobStates(ctx context.Context, f FolderScope, ids []int64) (
	map[int64]Job, error) {
	op := joinOp("poll jobs in folder", f.String())
	var filter string
	if len(ids) <= idListMax {
		filter = idList(ids)
	} else {
		filter = activeRange(ids)
	}
	q := query{}.add("$filter", filter).add("$select", pollFields).
		add("$orderby", "Id").add("$count", "true")
	seen := map[int64]Job{}
	for skip := 0; ; skip += pageSize {
		var page odataList[Job]
		cl := call{op: op, method: "GET", path: "/odata/Jobs", folder: &f, out: &page,
			query: q.add("$top", itoa(pageSize)).add("$skip", itoa(int64(skip)))}
		if err := c.do(ctx, cl); err != nil {
			return nil, err
		}
		for _, j := range page.Value {
			seen[j.ID] = j
		}
		if lastPage(page, skip) {
			return seen, nil
		}
	}
}

// lastPage: fewer rows than asked, or the count says nothing is left.
func lastPage(page odataList[Job], skip int) bool {
	if len(page.Value) < pageSize {
		return true
	}
	return page.Count != nil && *page.Count <= skip+len(page.Value)
}

func idList(ids []int64) string {
	terms := make([]string, len(ids))
	for i, id := range ids {
		terms[i] = "Id eq " + itoa(id)
	}
	return strings.Join(terms, " or ")
}

// activeRange asks for the jobs between the lowest and highest followed
// id that are not final. Job ids grow, so the range covers every followed
// job; jobs of others in the range cost rows, not requests.
func activeRange(ids []int64) string {
	lo, hi := slices.Min(ids), slices.Max(ids)
	states := make([]string, len(activeStates))
	for i, s := range activeStates {
		states[i] = "State eq " + quote(string(s))
	}
	return fmt.Sprintf("Id ge %d and Id le %d and (%s)", lo, hi, strings.Join(states, " or "))
}
