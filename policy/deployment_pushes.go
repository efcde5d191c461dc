package policy

// A deployment is judged by the code it ships, not only by the pull requests GitHub
// associates with its SHA: a commit pushed straight to the default branch (recorded as a
// direct-push violation) that a later approved merge sits on is shipped by that merge's
// commit although nobody reviewed it. approved_change therefore also requires every
// direct push in the deployed history to have been cleared after the fact, by a review
// note of someone other than the pusher.

// DeployedDirectPush is a direct push to the default branch (a `violation` record with
// subject push:<sha>) whose pushed head is the deployed SHA or one of its ancestors: its
// commits are shipped by the deployment.
type DeployedDirectPush struct {
	// SHA is the pushed head (the violation record's sha).
	SHA    string `json:"sha"`
	Pusher string `json:"pusher"`
	// ViolationSeq is the audit record of the violation: review notes name it.
	ViolationSeq int64 `json:"violation_seq"`
	// Commits are the pushed commits, oldest first, as the violation recorded them.
	Commits []string `json:"commits"`
	// Notes are the review notes on the violation record, oldest first.
	Notes []DirectPushNote `json:"notes"`
}

// DirectPushNote is one review note (a `review_note` record) on a direct push's
// violation record.
type DirectPushNote struct {
	Seq         int64  `json:"seq"`
	Author      string `json:"author"`
	Disposition string `json:"disposition"` // explained, remediated or deficiency
}

// The dispositions of a review note (the console's choice).
const (
	NoteExplained  = "explained"
	NoteRemediated = "remediated"
	NoteDeficiency = "deficiency"
)

// EvidenceDirectPush is the evidence kind of a direct push in the deployed history.
const EvidenceDirectPush = "direct_push"

// clearedBy returns the first note that clears the push, or false. Only "explained" or
// "remediated" clears: "deficiency" says the push was a control failure, which does not
// make its code reviewed. The pusher cannot clear his own push: the point of the note is
// that someone else looked at the code.
func (p DeployedDirectPush) clearedBy() (DirectPushNote, bool) {
	for _, n := range p.Notes {
		if n.Author == "" || sameLogin(n.Author, p.Pusher) {
			continue
		}
		if n.Disposition == NoteExplained || n.Disposition == NoteRemediated {
			return n, true
		}
	}
	return DirectPushNote{}, false
}

// judgeDirectPushes says, for each direct push in the deployed history, why it blocks
// the deployment (bad, in the order given) and what the decision saw (one evidence
// entry per push, cleared or not).
func judgeDirectPushes(pushes []DeployedDirectPush) (bad []string, evidence []Evidence) {
	for _, p := range pushes {
		record := "violation record #" + itoa64(p.ViolationSeq)
		push := "direct push " + short(p.SHA) + " by " + orUnknown(p.Pusher) + " (" + record + ")"
		ev := Evidence{Kind: EvidenceDirectPush, Subject: orUnknown(p.Pusher), SHA: p.SHA, Source: record}
		if n, ok := p.clearedBy(); ok {
			ev.Result = n.Disposition
			ev.Text = push + " is in the deployed history, cleared by " + n.Author + "'s review note #" + itoa64(n.Seq) + " (" + n.Disposition + ")"
		} else {
			ev.Result = "not cleared"
			ev.Text = push + " is in the deployed history and was never reviewed: clear it with a review note " +
				NoteExplained + " or " + NoteRemediated + " on " + record + " in the console, by someone other than " + orUnknown(p.Pusher)
			bad = append(bad, ev.Text)
		}
		evidence = append(evidence, ev)
	}
	return bad, evidence
}

// clearedPushes names the (cleared) direct pushes of a passing decision and the notes
// that cleared them, for its reason.
func clearedPushes(pushes []DeployedDirectPush) string {
	var items []string
	for _, p := range pushes {
		if n, ok := p.clearedBy(); ok {
			items = append(items, short(p.SHA)+" by "+orUnknown(p.Pusher)+" ("+n.Disposition+" in review note #"+itoa64(n.Seq)+")")
		}
	}
	return "direct pushes in the history cleared: " + joinList(items)
}
