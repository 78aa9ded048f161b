package bot

import "github.com/canhbao/canhbao/store"

// aboutAlerts reports whether a job's message stands for alerts once
// recorded (a card, digest, reminder, prompt or copied letter), so that a
// reply to it must wait for its record.
func aboutAlerts(entries []store.Outgoing) bool {
	for _, o := range entries {
		if len(o.AlertIDs) > 0 && o.Kind != store.OutEdit {
			return true
		}
	}
	return false
}

// startRecording notes that a message about alerts to chat is being sent.
// A chat has at most one message on its way at a time (the dispatcher
// keeps it busy until the outcome is recorded).
func (s *Sender) startRecording(chat int64, entries []store.Outgoing) {
	if !aboutAlerts(entries) {
		return
	}
	s.recMu.Lock()
	defer s.recMu.Unlock()
	if s.recording == nil {
		s.recording = make(map[int64]chan struct{})
	}
	if s.recording[chat] == nil {
		s.recording[chat] = make(chan struct{})
	}
}

// endRecording tells whoever waits that the outcomes of a batch are
// written (or will not be: either way waiting longer is pointless).
func (s *Sender) endRecording(batch []outcome) {
	s.recMu.Lock()
	defer s.recMu.Unlock()
	for _, o := range batch {
		if ch := s.recording[o.chat]; ch != nil {
			close(ch)
			delete(s.recording, o.chat)
		}
	}
}

// whenRecorded returns a channel closed once the message about alerts now on
// its way to chat is recorded, or nil when none is: only that chat's
// message in flight matters, not what is queued for it or for others.
func (s *Sender) whenRecorded(chat int64) <-chan struct{} {
	s.recMu.Lock()
	defer s.recMu.Unlock()
	if ch := s.recording[chat]; ch != nil {
		return ch
	}
	return nil
}
