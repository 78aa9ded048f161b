package bot

import (
	"strings"
	"sync"
	"time"
)

// Noise in a group must not delay its warnings nor the department's own
// answers. Actions always happen (an /ack is recorded however often it is
// sent); what is limited is how often canhbao answers:
//   - the same command from the same person within repeatWindow is
//     handled and answered once;
//   - one person gets at most answersPerMinute answers a minute, then one
//     request to slow down, then silence until the minute has passed;
//   - a chat that is not an approved subscriber (a stranger's group, a
//     private chat) gets at most one answer per strangerEvery, except the
//     answer that confirms a new subscription request.
//
// Department staff and the department's chat are never limited. The
// sender merges answers to one person that are queued together into one
// message and sends them after alerts (see classRoutine).
const (
	repeatWindow     = time.Minute
	answersPerMinute = 10
	strangerEvery    = 10 * time.Minute
	// noiseMemory bounds the people and chats remembered; older entries
	// are forgotten first.
	noiseMemory = 10000
)

// verdict is what the noise limits decide for one command.
type verdict int

const (
	answer   verdict = iota
	drop             // a repeat: not handled again
	mute             // handled, not answered
	slowDown         // handled, answered only with a request to slow down
)

type person struct {
	chat, user int64
}

type personState struct {
	command string
	at      time.Time   // of the last command
	answers []time.Time // answers within the last minute
	warned  time.Time
}

// noiseLimits remembers recent commands per person and answers per
// stranger chat. It lives in memory: after a restart everyone starts
// afresh, which costs at most one more answer each.
type noiseLimits struct {
	mu       sync.Mutex
	people   map[person]*personState
	stranger map[int64]time.Time // chat → last answer
}

func (n *noiseLimits) init() {
	if n.people == nil {
		n.people = make(map[person]*personState)
		n.stranger = make(map[int64]time.Time)
	}
}

// admit decides how to treat a command text from user in chat;
// subscribed says whether the chat is an approved subscriber.
func (n *noiseLimits) admit(chat, user int64, text string, subscribed bool, now time.Time) verdict {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.init()
	n.forget(now)
	command := strings.Join(strings.Fields(strings.ToLower(text)), " ")
	key := person{chat, user}
	p := n.people[key]
	if p == nil {
		p = &personState{}
		n.people[key] = p
	}
	if p.command == command && now.Sub(p.at) < repeatWindow {
		return drop
	}
	p.command, p.at = command, now
	if !subscribed {
		if last, ok := n.stranger[chat]; ok && now.Sub(last) < strangerEvery {
			return mute
		}
		n.stranger[chat] = now
		return answer
	}
	recent := p.answers[:0]
	for _, t := range p.answers {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	p.answers = recent
	if len(p.answers) >= answersPerMinute {
		if now.Sub(p.warned) < time.Minute {
			return mute
		}
		p.warned = now
		return slowDown
	}
	p.answers = append(p.answers, now)
	return answer
}

// answered records an answer to a stranger chat given outside admit (the
// confirmation of a subscription request), so that it counts.
func (n *noiseLimits) answered(chat int64, now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.init()
	n.stranger[chat] = now
}

// forget drops what no longer limits anything once the maps grow large.
func (n *noiseLimits) forget(now time.Time) {
	if len(n.people)+len(n.stranger) < noiseMemory {
		return
	}
	for k, p := range n.people {
		if now.Sub(p.at) >= max(repeatWindow, time.Minute) {
			delete(n.people, k)
		}
	}
	for k, at := range n.stranger {
		if now.Sub(at) >= strangerEvery {
			delete(n.stranger, k)
		}
	}
}
