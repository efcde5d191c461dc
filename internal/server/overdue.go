package server

import (
	"context"
	"time"

	"github.com/foureyes/foureyes/internal/audit"
)

// overdueEvery is how often the count of overdue emergency reviews is refreshed: an
// obligation's deadline is measured in hours, so minutes of lag do not matter, and one
// pass reads only merge, violation and pir records.
const overdueEvery = 5 * time.Minute

// watchOverdueReviews keeps foureyes_emergency_reviews_overdue current, so an alert can
// fire when an emergency change's independent review is late.
func (s *Server) watchOverdueReviews(ctx context.Context) {
	t := time.NewTicker(overdueEvery)
	defer t.Stop()
	for {
		if n, err := audit.CountOverdue(ctx, s.store, s.now()); err == nil {
			s.metrics.EmergencyReviewsOverdue.Set(float64(n))
		} else if ctx.Err() == nil {
			s.logger.Warn().Err(err).Msg("cannot count overdue emergency reviews; retrying later")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
