package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/canhbao/canhbao/store"
	"github.com/canhbao/canhbao/store/storetest"
)

// TestConformance runs the store's conformance suite on bbolt; the
// cluster package runs it on etcd.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) *store.Store {
			s, err := store.Open(filepath.Join(t.TempDir(), "canhbao.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		// A copy is what a restart finds: a backup of the file, opened.
		Copy: func(t *testing.T, s *store.Store) *store.Store {
			path := filepath.Join(t.TempDir(), "copy.db")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.WriteTo(f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			c, err := store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return c
		},
	})
}
