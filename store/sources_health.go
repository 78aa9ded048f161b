package store

import (
	"fmt"
	"time"
)

// SeedSources adds the configured sources that the store does not have
// yet and updates the address and settings of those it has, keeping their
// health and pause state. Sources added with /source stay.
func (s *Store) SeedSources(list []Source) error {
	return s.Update(func(tx *Tx) error {
		for _, src := range list {
			old, ok, err := tx.Source(src.Name)
			if err != nil {
				return err
			}
			if ok {
				old.URL, old.Kind, old.Severity, old.Selectors = src.URL, src.Kind, src.Severity, src.Selectors
				src = old
			}
			if err := tx.PutSource(src); err != nil {
				return err
			}
		}
		return nil
	})
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
		if p.Err == nil {
			if src.DownNotified {
				if err := tx.Notify(deptChat, Notice{Event: EventSourceUp, Source: name, At: p.At}, false); err != nil {
					return err
				}
			}
			src.LastSuccess, src.Items, src.FailingSince, src.DownNotified = p.At, p.Items, time.Time{}, false
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
