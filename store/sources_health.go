package store

import (
	"fmt"
	"time"
)

// SeedSources adds the configured sources that the store does not have
// yet and updates the address and settings of those it has, keeping their
// pause state. Their health is kept only while the URL and kind stay the
// same: a source moved to another document starts over, so that the
// backfill rule applies to its first poll there. Sources added with
// /source stay.
func (s *Store) SeedSources(list []Source) error {
	return s.Update(func(tx *Tx) error {
		for _, src := range list {
			old, ok, err := tx.Source(src.Name)
			if err != nil {
				return err
			}
			if ok {
				src.Paused = old.Paused
				src = src.withHealthOf(old)
			}
			if err := tx.PutSource(src); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReplaceSource writes src (as /source add gives it) over the source of
// the same name, if any. The health the poller recorded is kept only
// while the source still reads the same document (same URL and kind);
// otherwise the next poll counts as a first poll. The pause state is
// src's.
func (t *Tx) ReplaceSource(src Source) error {
	old, ok, err := t.Source(src.Name)
	if err != nil {
		return err
	}
	if ok {
		src = src.withHealthOf(old)
	}
	return t.PutSource(src)
}

// withHealthOf returns s carrying the health old, an earlier version of
// the same source, recorded. When s reads another document (its URL or
// kind changed) that health says nothing of it: s gets none, so that its
// next poll counts as a first poll and the backfill rule keeps the items
// already at the new address from being pushed as news. The next poll
// time is kept either way: it is the poller's schedule, not the
// document's.
func (s Source) withHealthOf(old Source) Source {
	s.NextPoll = old.NextPoll
	if s.URL != old.URL || s.Kind != old.Kind {
		s.LastSuccess, s.Items = time.Time{}, 0
		s.LastError, s.LastErrorAt, s.FailingSince = "", time.Time{}, time.Time{}
		// A department told that the old address was down still hears
		// when the new one works.
		s.DownNotified = old.DownNotified
		return s
	}
	s.LastSuccess, s.Items = old.LastSuccess, old.Items
	// The same document: a 304 or an unchanged digest still means nothing
	// new, unless the way it is read changed.
	s.ETag, s.LastModified = old.ETag, old.LastModified
	if samePage(s.Selectors, old.Selectors) && s.SkipNews == old.SkipNews && s.Title == old.Title && s.Severity == old.Severity {
		s.ContentHash = old.ContentHash
	} else {
		s.ETag, s.LastModified = "", ""
	}
	s.LastError, s.LastErrorAt = old.LastError, old.LastErrorAt
	s.FailingSince, s.DownNotified = old.FailingSince, old.DownNotified
	return s
}

// ListSources returns every source, ordered by name.
func (s *Store) ListSources() (out []Source, err error) {
	err = s.View(func(tx *Tx) error {
		out, err = tx.Sources()
		return err
	})
	return out, err
}

// PollReport is the outcome of one poll of a source.
type PollReport struct {
	At    time.Time
	Err   error
	Items int
	Next  time.Time
	// Validators, when Keep is set, replace the source's stored
	// conditional-GET validators and document digest (after a full,
	// ingested read or a 304 that renewed them).
	Keep         bool
	ETag         string
	LastModified string
	ContentHash  string
}

// RecordPoll stores a poll's outcome as the source's health. A source that
// has been failing for longer than alertAfter is reported to deptChat
// once, and again when it recovers.
func (s *Store) RecordPoll(name string, p PollReport, deptChat int64, alertAfter time.Duration) error {
	return s.Update(func(tx *Tx) error {
		src, ok, err := tx.Source(name)
		if err != nil {
			return err
		}
		if !ok {
			return nil // removed while it was being polled
		}
		src.NextPoll = p.Next
		if err := tx.answerFirstPoll(&src, p); err != nil {
			return err
		}
		if p.Err == nil {
			if src.DownNotified {
				if err := tx.Notify(deptChat, Notice{Event: EventSourceUp, Source: name, At: p.At}, false); err != nil {
					return err
				}
			}
			src.LastSuccess, src.Items, src.FailingSince, src.DownNotified = p.At, p.Items, time.Time{}, false
			if p.Keep {
				src.ETag, src.LastModified, src.ContentHash = p.ETag, p.LastModified, p.ContentHash
			}
			return tx.PutSource(src)
		}
		src.LastError, src.LastErrorAt = p.Err.Error(), p.At
		if src.FailingSince.IsZero() {
			src.FailingSince = p.At
		}
		if !src.DownNotified && p.At.Sub(src.FailingSince) >= alertAfter {
			src.DownNotified = true
			if err := tx.Notify(deptChat, Notice{Event: EventSourceDown, Source: name, Detail: src.LastError, At: src.FailingSince}, true); err != nil {
				return err
			}
		}
		if err := tx.PutSource(src); err != nil {
			return fmt.Errorf("store: record poll %s: %w", name, err)
		}
		return nil
	})
}

// SourceCVEs lists the CVE ids of every alert stored from source. At
// start-up it seeds the set of known exploited vulnerabilities from the
// stored KEV catalogue, so that other sources are classified against it
// before the catalogue's first poll.
func (s *Store) SourceCVEs(source string) ([]string, error) {
	var out []string
	err := s.View(func(tx *Tx) error {
		prefix := join([]byte(source), []byte{0})
		c := tx.bucket(bucketAlertKeys).Cursor()
		for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
			a, err := tx.Alert(readU64(v))
			if err != nil {
				return err
			}
			out = append(out, a.CVEs...)
		}
		return nil
	})
	return out, err
}

func samePage(a, b *PageSelectors) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
