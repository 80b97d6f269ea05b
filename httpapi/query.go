package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/opencode-portal/portal"
)

// parseQuery reads the query string of r strictly, for every route that
// takes parameters. A malformed query string (a bad percent-encoding, a ';'
// separator) is refused rather than having its bad parameters dropped: a
// dropped path or filter would silently widen the answer to the whole
// project. A parameter given more than once is refused too, unless the
// route lists it in repeatable, since it is not clear which one counts.
// Parameters a route does not know are ignored, as OpenCode does.
func parseQuery(r *http.Request, repeatable ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, portal.Errorf(portal.EINVALID, "Invalid query string: %v; percent-encode each parameter once and separate them with '&'", err)
	}
	for name, values := range q {
		if len(values) > 1 && !slices.Contains(repeatable, name) {
			return nil, portal.Errorf(portal.EINVALID, "Query parameter %q is given %d times: give it once", name, len(values))
		}
	}
	return q, nil
}

// queryBool parses a boolean query parameter: true/1, false/0 or absent.
func queryBool(v, name string) (bool, error) {
	switch v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, portal.Errorf(portal.EINVALID, "Invalid %s %q: use true or false (or 1 or 0)", name, v)
}

// queryInt parses a whole-number query parameter; absent is 0. Its range is
// the domain's to check.
func queryInt(v, name string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, portal.Errorf(portal.EINVALID, "Invalid %s %q: give a whole number", name, v)
	}
	return n, nil
}
