package store

import "time"

// Stats is a snapshot of what the service carries, for monitoring.
type Stats struct {
	// Waiting and Retrying count outbox entries never tried and tried at
	// least once.
	Waiting, Retrying int
	// OldestWaiting is when the oldest outbox entry was queued (zero when
	// the outbox is empty).
	OldestWaiting time.Time
	// Chats counts chats by status.
	Chats map[ChatStatus]int
	// Alerts is the number of the newest alert.
	Alerts uint64
	// Unacknowledged counts sent deliveries nobody in their chat has
	// acknowledged.
	Unacknowledged int
	Sources        []Source
}

// Stats reads the snapshot in one read transaction. It walks the outbox
// and the unacknowledged index, both of which stay small in normal
// operation.
func (s *Store) Stats() (Stats, error) {
	st := Stats{Chats: make(map[ChatStatus]int)}
	err := s.View(func(tx *Tx) error {
		err := each(tx, bucketOutbox, nil, func(_ []byte, o *Outgoing) error {
			if o.Attempts == 0 {
				st.Waiting++
			} else {
				st.Retrying++
			}
			if st.OldestWaiting.IsZero() || o.Created.Before(st.OldestWaiting) {
				st.OldestWaiting = o.Created
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = each(tx, bucketChats, nil, func(_ []byte, c *Chat) error {
			if c.MigratedTo == 0 {
				st.Chats[c.Status]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		st.Alerts = tx.LastAlertID()
		st.Unacknowledged = tx.bucket(bucketOpen).Stats().KeyN
		st.Sources, err = tx.Sources()
		return err
	})
	return st, err
}
