package store

import (
	"bytes"
	"fmt"
	"sync"
)

// AlertCache keeps decoded alerts for a reader that reads the same few
// alerts over and over: the sender renders a card for every group of a
// fan-out, a thousand reads of one alert. An entry is used only while the
// stored record is byte for byte the one it was decoded from, so an
// edited alert (an update, a corrected advisory) is never served stale.
// It is safe for concurrent use.
type AlertCache struct {
	mu sync.Mutex
	m  map[uint64]*cachedAlert
}

type cachedAlert struct {
	raw   []byte
	alert *Alert
}

// alertCacheSize bounds the entries: a fan-out is a few alerts at a time.
const alertCacheSize = 256

// CachedAlert returns the alert with id like Alert, through c. The alert
// is shared with every other reader of the same version of the record:
// callers must not change it. The pointer stays the same while the record
// does, so a caller may key what it derives from the alert on it.
func (t *Tx) CachedAlert(c *AlertCache, id uint64) (*Alert, error) {
	b := t.bucket(bucketAlerts)
	var raw []byte
	if b != nil {
		raw = b.Get(u64(id))
	}
	if raw == nil {
		return nil, fmt.Errorf("alert %d: %w", id, ErrNotFound)
	}
	c.mu.Lock()
	e := c.m[id]
	c.mu.Unlock()
	if e != nil && bytes.Equal(e.raw, raw) {
		return e.alert, nil
	}
	a := new(Alert)
	if err := unmarshalRecord(raw, a); err != nil {
		return nil, fmt.Errorf("store: decode %s/%x: %w", bucketAlerts, id, err)
	}
	e = &cachedAlert{raw: bytes.Clone(raw), alert: a}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= alertCacheSize {
		c.m = make(map[uint64]*cachedAlert)
	}
	c.m[id] = e
	c.mu.Unlock()
	return a, nil
}
