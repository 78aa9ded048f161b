package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/store"
)

// weekStart is Monday 00:00 of t's week in the department's time zone.
func weekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	day := (int(t.Weekday()) + 6) % 7 // Monday is 0
	return time.Date(t.Year(), t.Month(), t.Day()-day, 0, 0, 0, 0, loc)
}

// overviewData is the Overview page.
type overviewData struct {
	This, Last store.Tally
	// OverdueNow counts deliveries past their reminder deadline, in
	// OverdueChats agencies.
	OverdueNow, OverdueChats int
	FailingSources           []store.Source
	// OpenIncidents counts the incidents agencies reported that are not
	// closed.
	OpenIncidents int
	Weekly        chart
	Spread        chart
	Slowest       chart
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	thisWeek := weekStart(now, s.Render.Loc)
	var d overviewData
	var weeks []store.Tally
	var month store.Tally
	err := s.Store.View(func(tx *store.Tx) error {
		// Twelve weeks and the last 30 days, in one walk.
		var periods []store.Period
		for i := 11; i >= 0; i-- {
			from := thisWeek.AddDate(0, 0, -7*i)
			periods = append(periods, store.Period{From: from, To: from.AddDate(0, 0, 7)})
		}
		periods = append(periods, store.Period{From: now.AddDate(0, 0, -30), To: now.Add(time.Second)})
		all, err := tx.Tallies(periods, s.Deadlines)
		if err != nil {
			return err
		}
		weeks, month = all[:12], all[12]
		d.This, d.Last = weeks[11], weeks[10]
		overdue, err := tx.OverdueChats(now, s.Deadlines)
		if err != nil {
			return err
		}
		for _, o := range overdue {
			d.OverdueNow += len(o.Alerts)
		}
		d.OverdueChats = len(overdue)
		open, err := tx.OpenIncidents()
		if err != nil {
			return err
		}
		d.OpenIncidents = len(open)
		sources, err := tx.Sources()
		for _, src := range sources {
			if !src.Paused && !src.FailingSince.IsZero() {
				d.FailingSources = append(d.FailingSources, src)
			}
		}
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Weekly = s.weeklyChart(weeks)
	d.Spread = s.spreadChart(month)
	d.Slowest = s.slowestChart(month, 10)
	s.page(w, r, http.StatusOK, "overview", view{Title: s.t("web.nav.overview"), Nav: "overview", Data: d})
}

// tallyDays tallies the alerts of the last n days.
func (s *Server) tallyDays(now time.Time, n int) (store.Tally, error) {
	var t store.Tally
	err := s.Store.View(func(tx *store.Tx) (err error) {
		t, err = tx.Tally(now.AddDate(0, 0, -n), now.Add(time.Second), s.Deadlines)
		return err
	})
	return t, err
}

// cell is one agency's standing on one alert as the pages show it.
type cell struct {
	Class string // colour: wait, late, ack, done, na, fail, none
	State string // the state in words
	Took  string // time to acknowledge, or how long it has waited
}

// cellOf classifies a standing.
func (s *Server) cellOf(a *store.Alert, st store.Standing, now time.Time) cell {
	switch {
	case st.ChatID == 0:
		return cell{Class: "none"}
	case st.Status == store.StatusRemediated:
		return cell{Class: "done", State: s.t("web.state.done"), Took: s.Render.Age(st.AckAfter())}
	case st.Status == store.StatusNotUsed:
		return cell{Class: "na", State: s.t("web.state.na"), Took: s.Render.Age(st.AckAfter())}
	case st.Acked():
		return cell{Class: "ack", State: s.t("web.state.ack"), Took: s.Render.Age(st.AckAfter())}
	case st.State == store.DeliveryFailed:
		return cell{Class: "fail", State: s.t("web.state.fail")}
	case st.State == store.DeliverySent && now.Sub(st.SentAt) >= s.Deadlines.RemindAfter(a.Severity):
		return cell{Class: "late", State: s.t("web.state.wait"), Took: s.Render.Age(now.Sub(st.SentAt))}
	case st.State == store.DeliverySent:
		return cell{Class: "wait", State: s.t("web.state.wait"), Took: s.Render.Age(now.Sub(st.SentAt))}
	}
	return cell{Class: "wait", State: s.t("web.state.wait"), Took: s.t("web.state.queued")}
}

// alertRow is one agency on the Alert page.
type alertRow struct {
	Chat     store.Chat
	Standing store.Standing
	Cell     cell
	Acks     []store.Ack
	Reminder string
}

type alertData struct {
	Alert  store.Alert
	Card   string
	Source string
	Rows   []alertRow
	Acked  int
	Total  int
	Live   liveRef
}

func (s *Server) alert(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(strings.TrimPrefix(r.PathValue("id"), "#"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	version, done := s.unchanged(w, r)
	if done {
		return
	}
	now := s.now()
	var d alertData
	err = s.Store.View(func(tx *store.Tx) error {
		rep, err := tx.Report(id)
		if err != nil {
			return err
		}
		st, err := tx.Standings(id)
		if err != nil {
			return err
		}
		d.Alert = rep.Alert
		for _, row := range rep.Rows {
			i := slices.IndexFunc(st, func(x store.Standing) bool { return x.ChatID == row.Chat.ID })
			if i < 0 {
				continue
			}
			c := s.cellOf(&d.Alert, st[i], now)
			d.Rows = append(d.Rows, alertRow{Chat: row.Chat, Standing: st[i], Cell: c, Acks: row.Acks,
				Reminder: s.reminderText(&d.Alert, st[i])})
			if row.Acked() {
				d.Acked++
			}
		}
		d.Total = len(d.Rows)
		return nil
	})
	if store.IsNotFound(err) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Card = bot.PlainText(s.Render.Card(&d.Alert, nil))
	d.Source = s.Render.SourceName(&d.Alert)
	if d.Live, done = s.liveBlock(w, r, "alert", version, d); done {
		return
	}
	s.page(w, r, http.StatusOK, "alert", view{Title: "#" + strconv.FormatUint(id, 10) + " " + d.Alert.Title, Nav: "matrix", Data: d})
}

// reminderText says which reminder and escalation an agency got. While
// the agency has not acknowledged, the store records them; once it has,
// a reminder went out exactly when it acknowledged after the deadline.
func (s *Server) reminderText(a *store.Alert, st store.Standing) string {
	if st.SentAt.IsZero() {
		return ""
	}
	var parts []string
	remindAt := st.SentAt.Add(s.Deadlines.RemindAfter(a.Severity))
	escalateAt := st.SentAt.Add(s.Deadlines.EscalateAfter)
	switch {
	case st.Reminded:
		parts = append(parts, s.t("web.reminder.sent", s.Render.Date(remindAt)))
	case st.Acked() && st.First.At.After(remindAt):
		parts = append(parts, s.t("web.reminder.sent", s.Render.Date(remindAt)))
	case !st.Acked():
		parts = append(parts, s.t("web.reminder.due", s.Render.Date(remindAt)))
	}
	if st.Escalated || st.Acked() && s.Deadlines.EscalateAfter > 0 && st.First.At.After(escalateAt) {
		parts = append(parts, s.t("web.escalation.sent", s.Render.Date(escalateAt)))
	}
	return strings.Join(parts, " · ")
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusNotFound, "message", view{Title: s.t("web.notfound.title"), Message: s.t("web.notfound")})
}

// agencyLine is one agency on the Agencies page.
type agencyLine struct {
	Chat   store.Chat
	Tally  *store.AgencyTally
	Median string
}

func (s *Server) agencies(w http.ResponseWriter, r *http.Request) {
	month, err := s.tallyDays(s.now(), 90)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var list []agencyLine
	err = s.Store.View(func(tx *store.Tx) error {
		chats, err := tx.Chats()
		for _, c := range chats {
			if c.MigratedTo != 0 || c.Private() {
				continue
			}
			t := month.Agencies[c.ID]
			if t == nil {
				t = &store.AgencyTally{Chat: c}
			}
			list = append(list, agencyLine{Chat: c, Tally: t, Median: s.age(t.Median())})
		}
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	slices.SortFunc(list, func(a, b agencyLine) int { return strings.Compare(a.Chat.Name(), b.Chat.Name()) })
	s.page(w, r, http.StatusOK, "agencies", view{Title: s.t("web.nav.agencies"), Nav: "agencies", Data: list})
}

// age formats a duration, or a dash for none.
func (s *Server) age(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return s.Render.Age(d)
}

type historyRow struct {
	Alert store.Alert
	Cell  cell
	Ack   *store.Ack
	Note  string
}

type agencyData struct {
	Chat    store.Chat
	Tally   *store.AgencyTally
	Median  string
	History []historyRow
	Notes   []historyRow
	Members []string
}

func (s *Server) agency(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	now := s.now()
	t, err := s.tallyDays(now, 90)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var d agencyData
	found := false
	err = s.Store.View(func(tx *store.Tx) error {
		var err error
		if d.Chat, found, err = tx.Chat(id); err != nil || !found {
			return err
		}
		alerts, standings, err := tx.AgencyHistory(id, 100)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for i, a := range alerts {
			st := standings[i]
			row := historyRow{Alert: a, Cell: s.cellOf(&a, st, now), Ack: st.First, Note: st.Note}
			d.History = append(d.History, row)
			if st.Note != "" {
				d.Notes = append(d.Notes, row)
			}
			if st.First != nil && !seen[st.First.Name] {
				seen[st.First.Name] = true
				d.Members = append(d.Members, st.First.Name)
			}
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !found {
		s.notFound(w, r)
		return
	}
	d.Tally = t.Agencies[id]
	if d.Tally == nil {
		d.Tally = &store.AgencyTally{Chat: d.Chat}
	}
	d.Median = s.age(d.Tally.Median())
	s.page(w, r, http.StatusOK, "agency", view{Title: d.Chat.Name(), Nav: "agencies", Data: d})
}

func (s *Server) sources(w http.ResponseWriter, r *http.Request) {
	list, err := s.Store.ListSources()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "sources", view{Title: s.t("web.nav.sources"), Nav: "sources", Data: list})
}

// auditPageSize is how many audit entries a page shows.
const auditPageSize = 50

type auditData struct {
	Entries []store.AuditEntry
	Older   uint64
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	before, _ := strconv.ParseUint(r.URL.Query().Get("before"), 10, 64)
	var d auditData
	err := s.Store.View(func(tx *store.Tx) error {
		list, more, err := tx.AuditPage(before, auditPageSize)
		d.Entries = list
		if more && len(list) > 0 {
			d.Older = list[len(list)-1].ID
		}
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "audit", view{Title: s.t("web.nav.audit"), Nav: "audit", Data: d})
}
