package store

import (
	"errors"
	"testing"
	"time"
)

// TestSourceChangesAndHealth: a source that now reads another document
// (URL or kind changed) loses the health of the old one, so that its next
// poll is a first poll and old items there are not pushed as news; other
// changes keep it.
func TestSourceChangesAndHealth(t *testing.T) {
	healthy := Source{Name: "certvn", URL: "https://example.vn/feed", Kind: KindFeed, Severity: SeverityMedium, Paused: true,
		LastSuccess: t0, Items: 20, LastError: "timeout", LastErrorAt: t0.Add(-time.Hour),
		FailingSince: t0.Add(-2 * time.Hour), DownNotified: true, NextPoll: t0.Add(time.Hour)}
	ways := map[string]func(*Store, Source) error{
		"seed": func(s *Store, src Source) error { return s.SeedSources([]Source{src}) },
		"add":  func(s *Store, src Source) error { return s.Update(func(tx *Tx) error { return tx.ReplaceSource(src) }) },
	}
	changes := map[string]struct {
		change    func(*Source)
		keep      bool
		oldPushed bool // an item published 100h ago, at the next poll
	}{
		"same document": {func(*Source) {}, true, true},
		"new severity":  {func(s *Source) { s.Severity = SeverityHigh }, true, true},
		"new URL":       {func(s *Source) { s.URL = "https://example.vn/rss" }, false, false},
		"new kind":      {func(s *Source) { s.Kind = KindPage; s.Selectors = &PageSelectors{Item: "li"} }, false, false},
	}
	for way, apply := range ways {
		for name, tc := range changes {
			t.Run(way+"/"+name, func(t *testing.T) {
				s := openTest(t)
				approve(t, s, -1)
				must(t, s.Update(func(tx *Tx) error { return tx.PutSource(healthy) }))
				src := Source{Name: healthy.Name, URL: healthy.URL, Kind: healthy.Kind, Severity: healthy.Severity}
				tc.change(&src)
				must(t, apply(s, src))

				var got Source
				must(t, s.View(func(tx *Tx) (err error) { got, _, err = tx.Source(src.Name); return err }))
				want := src
				// The department hears of the recovery whatever the address.
				want.V, want.NextPoll, want.DownNotified = schemaVersion, healthy.NextPoll, healthy.DownNotified
				if tc.keep {
					want.LastSuccess, want.Items, want.LastError, want.LastErrorAt = healthy.LastSuccess, healthy.Items, healthy.LastError, healthy.LastErrorAt
					want.FailingSince, want.DownNotified = healthy.FailingSince, healthy.DownNotified
				}
				// Configuration keeps the pause an admin set; /source add
				// says what it wants.
				want.Paused = way == "seed"
				if got.URL != want.URL || got.Kind != want.Kind || got.Severity != want.Severity || got.Paused != want.Paused ||
					!got.LastSuccess.Equal(want.LastSuccess) || got.Items != want.Items || got.LastError != want.LastError ||
					!got.LastErrorAt.Equal(want.LastErrorAt) || !got.FailingSince.Equal(want.FailingSince) ||
					got.DownNotified != want.DownNotified || !got.NextPoll.Equal(want.NextPoll) {
					t.Fatalf("source:\n got %+v\nwant %+v", got, want)
				}

				res, err := s.Ingest(src.Name, []Alert{{Key: "old", Title: "old", Published: t0.Add(-100 * time.Hour)}},
					IngestOptions{Now: t0, Backfill: 72 * time.Hour})
				must(t, err)
				if got := res.Pushed == 1; got != tc.oldPushed {
					t.Fatalf("old item pushed = %v, want %v", got, tc.oldPushed)
				}
			})
		}
	}
}

func TestSeedSourcesAddsNew(t *testing.T) {
	s := openTest(t)
	must(t, s.SeedSources([]Source{{Name: "a", URL: "https://a.example/feed", Kind: KindFeed}}))
	must(t, s.Update(func(tx *Tx) error {
		return tx.ReplaceSource(Source{Name: "b", URL: "https://b.example/feed", Kind: KindFeed})
	}))
	list, err := s.ListSources()
	must(t, err)
	if len(list) != 2 || list[0].Name != "a" || list[1].Name != "b" || !list[0].LastSuccess.IsZero() {
		t.Fatalf("sources: %+v", list)
	}
}

// The validators and digest a poll keeps survive a restart (SeedSources
// of the same document) and go when the document or its reading changes.
func TestSourceValidatorsKept(t *testing.T) {
	s := openTest(t)
	src := Source{Name: "cisa", URL: "https://a.example/rss", Kind: KindFeed}
	must(t, s.SeedSources([]Source{src}))
	must(t, s.RecordPoll("cisa", PollReport{At: t0, Items: 3, Keep: true, ETag: `"e1"`, LastModified: "Mon, 30 Nov 2026 10:00:00 GMT", ContentHash: "h1"}, 0, time.Hour))
	get := func() Source {
		t.Helper()
		var out Source
		must(t, s.View(func(tx *Tx) (err error) { out, _, err = tx.Source("cisa"); return err }))
		return out
	}
	must(t, s.SeedSources([]Source{src}))
	if got := get(); got.ETag != `"e1"` || got.LastModified == "" || got.ContentHash != "h1" {
		t.Fatalf("restart lost them: %+v", got)
	}
	// A failed poll keeps them.
	must(t, s.RecordPoll("cisa", PollReport{At: t0, Err: errors.New("boom")}, 0, time.Hour))
	if got := get(); got.ContentHash != "h1" {
		t.Fatalf("a failure lost them: %+v", got)
	}
	// A new default severity reads the same bytes differently.
	src.Severity = SeverityHigh
	must(t, s.SeedSources([]Source{src}))
	if got := get(); got.ETag != "" || got.ContentHash != "" {
		t.Fatalf("kept across a change of reading: %+v", got)
	}
}
