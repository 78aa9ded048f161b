package store

import (
	"encoding/json"
	"testing"
	"time"
)

// TestQuickDecodersAgreeWithJSON: the matrix's fast readers give what
// encoding/json gives, or step aside.
func TestQuickDecodersAgreeWithJSON(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 3, 4, 123456789, time.FixedZone("ICT", 7*3600))
	deliveries := map[string]Delivery{
		"sent":     {AlertID: 1, ChatID: -5, State: DeliverySent, QueuedAt: at, SentAt: at.Add(time.Second), MessageID: 7},
		"queued":   {AlertID: 1, ChatID: -5, State: DeliveryQueued, QueuedAt: at},
		"failed":   {AlertID: 1, ChatID: -5, State: DeliveryFailed, Error: `400 "state":"sent" \ bad`, FailedAt: at},
		"via":      {AlertID: 1, ChatID: -5, State: DeliverySent, SentAt: at, Via: "digest", EditQueued: true},
		"utc time": {AlertID: 1, ChatID: -5, State: DeliverySent, SentAt: at.UTC()},
	}
	for name, d := range deliveries {
		raw, _ := json.Marshal(d)
		var want slimDelivery
		must(t, jsonDecode(raw, &want))
		got, ok := quickDelivery(raw)
		if !ok {
			if d.State != DeliveryFailed {
				t.Errorf("%s: not read quickly", name)
			}
			continue
		}
		if got.State != want.State || !got.SentAt.Equal(want.SentAt) {
			t.Errorf("%s: quick %+v, json %+v", name, got, want)
		}
	}
	acks := map[string]Ack{
		"plain":     {AlertID: 1, ChatID: -5, UserID: 301, Name: "Nguyễn Văn An", At: at},
		"not used":  {AlertID: 1, ChatID: -5, UserID: 301, Name: "An", At: at, NotUsed: true},
		"notes":     {AlertID: 1, ChatID: -5, UserID: 301, Name: "An", At: at, Notes: []Note{{Text: `"at":"2020-01-01T00:00:00Z"`, At: at}}},
		"quotes":    {AlertID: 1, ChatID: -5, UserID: 301, Name: `A "at":"1999-01-01T00:00:00Z" <b>`, At: at},
		"backslash": {AlertID: 1, ChatID: -5, UserID: 301, Name: `A\`, At: at},
	}
	for name, a := range acks {
		raw, _ := json.Marshal(a)
		var want Ack
		must(t, jsonDecode(raw, &want))
		got, ok := quickAck(raw)
		if !ok {
			if name == "plain" || name == "not used" {
				t.Errorf("%s: not read quickly", name)
			}
			continue
		}
		if got.Name != want.Name || !got.At.Equal(want.At) || got.NotUsed != want.NotUsed || len(want.Notes) > 0 {
			t.Errorf("%s: quick %+v, json %+v", name, got, want)
		}
	}
}
