package console

// WaitVerified waits for a background verification to end (tests).
func WaitVerified(c *Console) { c.verifier.wait() }
