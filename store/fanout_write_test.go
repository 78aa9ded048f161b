package store

import (
	"cmp"
	"slices"
	"testing"
)

// TestFanOutWriterWritesDeliveriesInKeyOrder: deliveries planned chat by
// chat come out of keyOrder sorted by alert, then chat, whether the plan
// followed the chats' order (one counting pass) or not (sorted).
func TestFanOutWriterWritesDeliveriesInKeyOrder(t *testing.T) {
	byKey := func(a, b newDelivery) int {
		return cmp.Or(cmp.Compare(a.alert, b.alert), cmp.Compare(a.chat, b.chat))
	}
	alerts := []uint64{7, 9, 12}
	for _, chats := range [][]int64{{-30, -20, -10, 5}, {5, -10, -30, -20}} {
		w := &fanOutWriter{}
		for _, c := range chats {
			for nth, a := range alerts {
				if int(c)%2 != 0 && nth == 1 { // not every chat gets every alert
					continue
				}
				w.queue(a, nth, c, "")
			}
		}
		got := slices.Clone(w.keyOrder())
		want := slices.SortedFunc(slices.Values(w.planned), byKey)
		if !slices.Equal(got, want) {
			t.Errorf("chats %v: order %v, want %v", chats, got, want)
		}
	}
}
