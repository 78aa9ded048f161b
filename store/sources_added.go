package store

// answerFirstPoll queues, for a source added with /source add, the answer
// to that command with the result of its first poll (Count items, or the
// error), so that whoever added it learns whether it works.
func (t *Tx) answerFirstPoll(src *Source, p PollReport) error {
	to := src.FirstPollTo
	if to == nil {
		return nil
	}
	src.FirstPollTo = nil
	n := Notice{Event: EventSourceFirstPoll, Source: src.Name, Count: p.Items, At: p.At}
	if p.Err != nil {
		n.Detail = p.Err.Error()
	}
	_, err := t.Enqueue(Outgoing{Kind: OutNotice, ChatID: to.ChatID, ReplyTo: to.MessageID, Notice: &n, Created: p.At})
	return err
}
