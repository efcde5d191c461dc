// Package policytest runs a repository's policy tests, so a policy can be tested in CI
// before it reaches the base branch (`foureyes policy test [DIR]`): the Rego unit tests
// of its modules (`test_` rules, as `opa test` runs them, with foureyes' restricted
// built-ins) and YAML-driven cases that evaluate a policy file against a facts file and
// expect an outcome. It reads files; every evaluation is policy.Evaluate, so a case
// passes here exactly when the server would decide the same.
package policytest
