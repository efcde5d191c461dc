// Package deploy holds no code: deploy/ has the example manifests (Kubernetes under
// kubernetes/, a docker compose file with PostgreSQL), and this package's tests check
// them and the Dockerfile (kinds, probes, secrets, non-root), build the image when a
// Docker daemon runs, and validate the manifests against the Kubernetes schemas when the
// schema checker can run.
package deploy
