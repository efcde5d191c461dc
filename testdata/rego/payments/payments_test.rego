package foureyes.payments_test

import data.foureyes.payments
import rego.v1

params := {"team": "acme/payments", "paths": ["services/payments/**"]}

pr(files, reviews, users) := {
	"pull_request": {"author": "alice", "head": {"sha": "h1"}},
	"changed_files": files,
	"reviews": reviews,
	"users": users,
}

test_docs_only_needs_nothing if {
	count(payments.deny) == 0 with input as pr(["docs/a.md"], [], {}) with data.params as params
}

test_payments_file_without_team_approval_is_denied if {
	some d in payments.deny with input as pr(["services/payments/a.go"], [], {}) with data.params as params
	d.evidence == ["services/payments/a.go"]
}

test_author_cannot_approve if {
	reviews := [{"user": "alice", "state": "APPROVED", "commit_id": "h1"}]
	users := {"alice": {"teams": ["acme/payments"]}}
	count(payments.deny) == 1 with input as pr(["services/payments/a.go"], reviews, users) with data.params as params
}

test_team_member_on_head_passes if {
	reviews := [{"user": "dave", "state": "APPROVED", "commit_id": "h1"}]
	users := {"dave": {"teams": ["acme/payments"]}}
	count(payments.deny) == 0 with input as pr(["services/payments/a.go"], reviews, users) with data.params as params
}
