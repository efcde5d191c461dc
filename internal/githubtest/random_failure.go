package githubtest

import "math/rand/v2"

// randomFailure answers a fraction of all API requests with an error status.
type randomFailure struct {
	fraction float64
	status   int
	rnd      *rand.Rand
	count    int
}

// FailRandomly makes each API request (any method and path, token requests included)
// fail with status with probability fraction, as GitHub's 502s under load do; seed makes
// the sequence repeatable. fraction 0 turns it off. Counted by RandomFailures.
func (s *Server) FailRandomly(fraction float64, status int, seed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fraction <= 0 {
		s.randomFailure = nil
		return
	}
	s.randomFailure = &randomFailure{fraction: fraction, status: status, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// RandomFailures is how many requests FailRandomly failed.
func (s *Server) RandomFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.randomFailure == nil {
		return 0
	}
	return s.randomFailure.count
}

// take decides one request (s.mu held).
func (f *randomFailure) take() *failure {
	if f == nil || f.rnd.Float64() >= f.fraction {
		return nil
	}
	f.count++
	return &failure{status: f.status}
}
