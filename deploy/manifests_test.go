package deploy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// node is a parsed YAML document as generic maps and lists.
type node = map[string]any

func docs(t *testing.T, path string) []node {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []node
	dec := yaml.NewDecoder(f)
	for {
		var d node
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if d != nil {
			out = append(out, d)
		}
	}
}

// get walks keys (string for maps, int for lists); nil when a step is missing.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(node)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func kubernetes(t *testing.T) map[string][]node {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/kubernetes: %v", err)
	}
	byKind := map[string][]node{}
	for _, f := range files {
		for _, d := range docs(t, f) {
			kind := str(d["kind"])
			if kind == "" || str(d["apiVersion"]) == "" {
				t.Errorf("%s: a document without kind or apiVersion", f)
			}
			byKind[kind] = append(byKind[kind], d)
		}
	}
	return byKind
}

func TestKubernetesManifests(t *testing.T) {
	k := kubernetes(t)
	for _, kind := range []string{"Deployment", "Service", "Secret", "Kustomization"} {
		if len(k[kind]) == 0 {
			t.Errorf("no %s in deploy/kubernetes", kind)
		}
	}
	if len(k["Deployment"]) != 1 {
		t.Fatalf("%d Deployments, want 1", len(k["Deployment"]))
	}
	secrets := map[string]node{}
	for _, s := range k["Secret"] {
		data, _ := s["stringData"].(node)
		secrets[str(get(s, "metadata", "name"))] = data
	}
	d := k["Deployment"][0]
	if n, _ := get(d, "spec", "replicas").(int); n < 2 {
		t.Errorf("replicas = %v, want several", get(d, "spec", "replicas"))
	}
	pod := get(d, "spec", "template", "spec")
	podLabels, _ := get(d, "spec", "template", "metadata", "labels").(node)
	if get(pod, "securityContext", "runAsNonRoot") != true {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	if uid, _ := get(pod, "securityContext", "runAsUser").(int); uid == 0 {
		t.Error("pod runs as uid 0 (or runAsUser unset)")
	}
	c := get(pod, "containers", 0)
	if c == nil {
		t.Fatal("no container")
	}
	sc := get(c, "securityContext")
	if get(sc, "allowPrivilegeEscalation") != false || get(sc, "readOnlyRootFilesystem") != true || get(sc, "runAsNonRoot") != true {
		t.Errorf("container securityContext %v: want no privilege escalation, read-only root, non-root", sc)
	}
	if drop, _ := get(sc, "capabilities", "drop").([]any); !slices.Contains(drop, any("ALL")) {
		t.Errorf("capabilities.drop = %v, want ALL", drop)
	}
	portName := str(get(c, "ports", 0, "name"))
	for _, probe := range []string{"readinessProbe", "livenessProbe"} {
		if p := str(get(c, probe, "httpGet", "path")); p != "/api/health" {
			t.Errorf("%s path = %q, want /api/health", probe, p)
		}
		if port := get(c, probe, "httpGet", "port"); port != portName && port != get(c, "ports", 0, "containerPort") {
			t.Errorf("%s port = %v, not the container's port %q", probe, port, portName)
		}
	}
	env := map[string]any{}
	envList, _ := get(c, "env").([]any)
	for _, e := range envList {
		env[str(get(e, "name"))] = e
	}
	if v := str(get(env["FOUREYES_STORE_DRIVER"], "value")); v != "postgres" {
		t.Errorf("FOUREYES_STORE_DRIVER = %q, want postgres", v)
	}
	// Credentials and the DSN come from Secrets that the manifests define, never inline.
	for _, name := range []string{"FOUREYES_STORE_DSN", "FOUREYES_GITHUB_APP_INTEGRATION_ID", "FOUREYES_GITHUB_APP_WEBHOOK_SECRET", "FOUREYES_GITHUB_APP_PRIVATE_KEY"} {
		e := env[name]
		if e == nil {
			t.Errorf("%s is not set", name)
			continue
		}
		if get(e, "value") != nil {
			t.Errorf("%s has an inline value; want it from a Secret", name)
		}
		ref := get(e, "valueFrom", "secretKeyRef")
		data, ok := secrets[str(get(ref, "name"))]
		if !ok {
			t.Errorf("%s refers to Secret %q, which the manifests do not define", name, get(ref, "name"))
			continue
		}
		if _, ok := data[str(get(ref, "key"))]; !ok {
			t.Errorf("%s refers to key %q, which Secret %q does not have", name, get(ref, "key"), get(ref, "name"))
		}
	}
	if dsn := secrets["foureyes-postgres"]["dsn"]; !strings.HasPrefix(str(dsn), "postgres://") {
		t.Errorf("the PostgreSQL Secret's dsn = %q, want a postgres:// URL", dsn)
	}
	// The Service reaches the pods on the container's port.
	svc := k["Service"][0]
	sel, _ := get(svc, "spec", "selector").(node)
	for key, v := range sel {
		if podLabels[key] != v {
			t.Errorf("Service selector %s=%v does not match the pod labels %v", key, v, podLabels)
		}
	}
	if tp := get(svc, "spec", "ports", 0, "targetPort"); tp != portName && tp != get(c, "ports", 0, "containerPort") {
		t.Errorf("Service targetPort = %v, not the container's port %q", tp, portName)
	}
	// Every file is listed in the kustomization.
	res, _ := get(k["Kustomization"][0], "resources").([]any)
	files, _ := filepath.Glob("kubernetes/*.yaml")
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(res, any(base)) {
			t.Errorf("%s is not in kustomization.yaml resources", base)
		}
	}
}

func TestComposeFile(t *testing.T) {
	d := docs(t, "compose.yaml")
	if len(d) != 1 {
		t.Fatalf("%d documents in compose.yaml, want 1", len(d))
	}
	services, _ := d[0]["services"].(node)
	pg, app := services["postgres"], services["foureyes"]
	if pg == nil || app == nil {
		t.Fatalf("services %v: want postgres and foureyes", services)
	}
	if !strings.HasPrefix(str(get(pg, "image")), "postgres:") {
		t.Errorf("postgres image = %v", get(pg, "image"))
	}
	if get(pg, "healthcheck", "test") == nil {
		t.Error("postgres has no healthcheck (foureyes waits for it)")
	}
	if get(app, "depends_on", "postgres", "condition") != "service_healthy" {
		t.Error("foureyes does not wait for a healthy postgres")
	}
	df := filepath.Join(str(get(app, "build", "context")), str(get(app, "build", "dockerfile")))
	if _, err := os.Stat(df); err != nil {
		t.Errorf("build %s: %v", df, err)
	}
	if u := str(get(app, "user")); u == "" || strings.HasPrefix(u, "0") || u == "root" {
		t.Errorf("foureyes user = %q, want a non-root uid", u)
	}
	if get(app, "read_only") != true {
		t.Error("foureyes root filesystem is not read-only")
	}
	env, _ := get(app, "environment").(node)
	if env["FOUREYES_STORE_DRIVER"] != "postgres" || !strings.Contains(str(env["FOUREYES_STORE_DSN"]), "@postgres:5432/") {
		t.Errorf("foureyes store: driver %v dsn %v, want postgres at the postgres service", env["FOUREYES_STORE_DRIVER"], env["FOUREYES_STORE_DSN"])
	}
}

// TestDockerfile: multi-stage, a static binary, a final stage without a shell that runs
// as a non-root user.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var stages [][]string // instructions per stage
	sc := bufio.NewScanner(bytes.NewReader(b))
	var cont string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cont += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line, cont = cont+line, ""
		if strings.HasPrefix(strings.ToUpper(line), "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("instruction before FROM: %s", line)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], line)
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a run stage", len(stages))
	}
	build := strings.Join(stages[0], "\n")
	if !strings.Contains(build, "CGO_ENABLED=0") || !strings.Contains(build, "./cmd/foureyes") {
		t.Error("the build stage does not build ./cmd/foureyes with CGO_ENABLED=0 (a static binary)")
	}
	final := stages[len(stages)-1]
	base := strings.Fields(final[0])[1]
	if !strings.Contains(base, "distroless/static") && base != "scratch" {
		t.Errorf("run stage FROM %s, want distroless/static or scratch (no shell)", base)
	}
	var user, entry string
	for _, in := range final {
		f := strings.Fields(in)
		switch strings.ToUpper(f[0]) {
		case "RUN":
			t.Errorf("the run stage has %q: it has no shell to run it", in)
		case "USER":
			user = f[1]
		case "ENTRYPOINT":
			entry = strings.TrimSpace(strings.TrimPrefix(in, f[0]))
		}
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("run stage USER %q, want a non-root uid", user)
	}
	if !strings.HasPrefix(entry, "[") {
		t.Errorf("ENTRYPOINT %q is not in exec form (no shell at run time)", entry)
	}
}

// dockerDaemon says whether a Docker daemon answers.
func dockerDaemon() (bool, string) {
	if _, err := exec.LookPath("docker"); err != nil {
		return false, "the docker command is not installed"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	if err != nil {
		return false, strings.TrimSpace(string(out))
	}
	return true, ""
}

func TestImageBuilds(t *testing.T) {
	ok, why := dockerDaemon()
	if !ok {
		t.Skipf("no Docker daemon, so the image is not built here: %s", why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tag := "foureyes-test:" + time.Now().Format("20060102150405")
	out, err := exec.CommandContext(ctx, "docker", "build", "-t", tag, "..").CombinedOutput()
	if err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	defer exec.Command("docker", "rmi", "-f", tag).Run()
	// The image runs the binary as a non-root user and has no shell.
	out, err = exec.CommandContext(ctx, "docker", "image", "inspect", "--format", "{{.Config.User}}", tag).CombinedOutput()
	if u := strings.TrimSpace(string(out)); err != nil || u == "" || strings.HasPrefix(u, "0") {
		t.Errorf("image user %q (%v), want non-root", u, err)
	}
	if err := exec.CommandContext(ctx, "docker", "run", "--rm", "--entrypoint", "/bin/sh", tag, "-c", "true").Run(); err == nil {
		t.Error("the image has a shell")
	}
	out, err = exec.CommandContext(ctx, "docker", "run", "--rm", tag, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "serve") {
		t.Errorf("foureyes --help in the image: %v\n%s", err, out)
	}
}

// kubeconformVersion is the schema checker, run with go run at a pinned version.
const kubeconformVersion = "github.com/yannh/kubeconform/cmd/kubeconform@v0.6.7"

// TestManifestsMatchKubernetesSchemas validates the manifests against the Kubernetes
// JSON schemas with kubeconform. Its schemas are downloaded from the network at run time:
// where they cannot be, the test says so and skips (the structural test above still runs).
func TestManifestsMatchKubernetesSchemas(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads kubeconform and its schemas")
	}
	files, _ := filepath.Glob("kubernetes/*.yaml")
	var manifests []string
	for _, f := range files {
		if filepath.Base(f) != "kustomization.yaml" { // not a Kubernetes object
			manifests = append(manifests, f)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append([]string{"run", kubeconformVersion, "-strict", "-summary", "-kubernetes-version", "1.30.0"}, manifests...)
	cmd := exec.CommandContext(ctx, "go", args...)
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil && (strings.Contains(text, "could not find schema") || strings.Contains(text, "failed downloading schema") ||
		strings.Contains(text, "no such host") || strings.Contains(text, "dial tcp") || strings.Contains(text, "go: ") && !strings.Contains(text, "Summary")) {
		t.Skipf("kubeconform cannot run or cannot download the Kubernetes schemas here, so the schema check is skipped:\n%s", text)
	}
	if err != nil {
		t.Fatalf("kubeconform: %v\n%s", err, text)
	}
	t.Log(strings.TrimSpace(text))
}
