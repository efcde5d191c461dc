package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/store"
)

func metricsText(t *testing.T, h *e2etest.Harness) string {
	t.Helper()
	resp, err := http.Get(h.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grep(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func countRecords(t *testing.T, h *e2etest.Harness, kinds ...store.Kind) int {
	t.Helper()
	n := 0
	err := h.Store.Query(context.Background(), store.Filter{Kinds: kinds}, func(store.Record) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func records(t *testing.T, h *e2etest.Harness, f store.Filter) []store.Record {
	t.Helper()
	var out []store.Record
	if err := h.Store.Query(context.Background(), f, func(r store.Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
