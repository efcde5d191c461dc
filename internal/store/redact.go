package store

import (
	"net/url"
	"strings"
)

// secretParams are DSN query parameters that carry a secret (libpq and pgx names).
var secretParams = []string{"password", "sslpassword", "passfile"}

// RedactDSN is dsn fit to print or put in a manifest: the password of the user part and
// of any password-like query parameter (postgres://u@h/db?password=…) is replaced by
// "redacted". A DSN that does not parse as a URL is a file path, which holds no secret,
// unless it looks like a libpq key=value string, whose password= value is replaced.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return redactKeyValue(dsn)
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "redacted")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k := range q {
			for _, p := range secretParams {
				if strings.EqualFold(k, p) {
					q.Set(k, "redacted")
					changed = true
				}
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// redactKeyValue replaces the value of password=… in "host=h password=p dbname=d".
func redactKeyValue(dsn string) string {
	fields := strings.Fields(dsn)
	changed := false
	for i, f := range fields {
		k, _, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		for _, p := range secretParams {
			if strings.EqualFold(k, p) {
				fields[i] = k + "=redacted"
				changed = true
			}
		}
	}
	if !changed {
		return dsn
	}
	return strings.Join(fields, " ")
}
