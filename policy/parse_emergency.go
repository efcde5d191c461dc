package policy

import (
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

var emergencyKeys = []string{"declared_by", "ticket", "still_required", "review_within", "allow_author"}

// emergency parses a rule's `emergency:` section. Defaults: declared_by is anyone with
// write permission (as approvals.from), any reference, still_required [checks],
// review_within 72h, allow_author false.
func (p *parser) emergency(n *yaml.Node) *Emergency {
	em := &Emergency{StillRequired: slices.Clone(defaultStillRequired), ReviewWithin: defaultReviewWithin}
	ok := p.mapping(n, "emergency", emergencyKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "declared_by":
			p.whoMay(v, "emergency.declared_by", &em.DeclaredBy)
		case "ticket":
			p.mapping(v, "emergency.ticket", []string{"pattern"}, func(_ string, _, pv *yaml.Node) {
				em.re, em.Pattern = p.regexp(pv, "emergency.ticket.pattern")
			})
		case "still_required":
			in := p.oneOf(v, "emergency.still_required", stillRequiredValues)
			em.StillRequired = em.StillRequired[:0:0]
			for _, w := range stillRequiredValues { // canonical order
				if slices.Contains(in, w) {
					em.StillRequired = append(em.StillRequired, w)
				}
			}
		case "review_within":
			s, ok := p.str(v, "emergency.review_within")
			if !ok {
				return
			}
			d, err := time.ParseDuration(s)
			switch {
			case err != nil:
				p.err(v, "emergency.review_within must be a duration such as 72h or 30m, got \""+s+"\"")
			case d <= 0:
				p.err(v, "emergency.review_within must be positive, got \""+s+"\"")
			default:
				em.ReviewWithin = d
			}
		case "allow_author":
			em.AllowAuthor = p.boolean(v, "emergency.allow_author")
		}
	})
	if !ok {
		return nil
	}
	if len(em.DeclaredBy.Users) == 0 && len(em.DeclaredBy.Teams) == 0 && em.DeclaredBy.Permission == "" {
		em.DeclaredBy.Permission = "write"
	}
	return em
}
