package facts

import (
	"github.com/google/go-github/v60/github"
)

// perPage is GitHub's largest page: fewer pages, fewer requests.
const perPage = 100

// listPage fetches one page of a list endpoint.
type listPage[T any] func(opt *github.ListOptions) ([]T, *github.Response, error)

// paginate follows a list endpoint page by page and stops once it has more than max items
// (max <= 0: no cap). truncated is true when items were cut at max, or when GitHub had more
// pages after max items were reached: the caller must say the list is incomplete.
func paginate[T any](st *Stats, max int, fetch listPage[T]) (items []T, truncated bool, err error) {
	opt := &github.ListOptions{PerPage: perPage, Page: 1}
	for {
		page, resp, err := fetch(opt)
		st.count(resp, err)
		if err != nil {
			return nil, false, err
		}
		items = append(items, page...)
		if max > 0 && len(items) > max {
			return items[:max], true, nil
		}
		if resp == nil || resp.NextPage == 0 {
			return items, false, nil
		}
		if max > 0 && len(items) == max {
			return items, true, nil
		}
		opt = &github.ListOptions{PerPage: perPage, Page: resp.NextPage}
	}
}
