# Changes to payments code need an approval, on the head commit, from a member of the
# payments team who is not the author. Other files need nothing from this rule.
package foureyes.payments

import rego.v1

scoped contains f if {
	some f in input.changed_files
	some pattern in data.params.paths
	glob.match(pattern, ["/"], f)
}

team_approvals contains r.user if {
	some r in input.reviews
	r.state == "APPROVED"
	r.commit_id == input.pull_request.head.sha
	r.user != input.pull_request.author
	data.params.team in input.users[r.user].teams
}

deny contains {"msg": msg, "evidence": sort(scoped)} if {
	count(scoped) > 0
	count(team_approvals) == 0
	msg := sprintf("%d payments file(s) changed: needs an approval on the head from %s", [count(scoped), data.params.team])
}

deny contains "the file list is truncated: payments files may be hidden" if input.truncated.files
