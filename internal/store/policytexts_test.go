package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

func TestPolicyTexts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st, err := store.OpenChain(ctx, b.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		pt := st.(store.PolicyTexts)
		if _, err := pt.PolicyText(ctx, "sha256:a"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown digest: %v", err)
		}
		for _, body := range []string{`{"first":1}`, `{"second":2}`} {
			if err := pt.PutPolicyText(ctx, "sha256:a", []byte(body)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := pt.PolicyText(ctx, "sha256:a")
		if err != nil || string(got) != `{"first":1}` {
			t.Errorf("got %s, %v; want the first body kept", got, err)
		}
		if _, err := b.Raw(t).Exec(`UPDATE policy_texts SET body = 'x'`); err == nil {
			t.Error("a policy text was updated")
		}
		if _, err := b.Raw(t).Exec(`DELETE FROM policy_texts`); err == nil {
			t.Error("a policy text was deleted")
		}
	})
}
