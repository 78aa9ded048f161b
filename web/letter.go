package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/canhbao/canhbao/store"
)

// incidents lists every incident an agency reported, the open ones first
// and, among them, the oldest report first: the department works from
// the top. Drafts (a guided report not yet finished) are left out.
func (s *Server) incidents(w http.ResponseWriter, r *http.Request) {
	var list []store.Incident
	err := s.Store.View(func(tx *store.Tx) (err error) {
		all, err := tx.Incidents()
		for _, i := range all {
			if i.Status != store.IncidentDraft {
				list = append(list, i)
			}
		}
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	slices.SortStableFunc(list, func(a, b store.Incident) int {
		if a.Open() != b.Open() {
			if a.Open() {
				return -1
			}
			return 1
		}
		if a.Open() {
			return a.ReportedAt.Compare(b.ReportedAt)
		}
		return b.ReportedAt.Compare(a.ReportedAt)
	})
	s.page(w, r, http.StatusOK, "incidents", view{Title: s.t("web.nav.incidents"), Nav: "incidents",
		Data: incidentsData{Head: strings.Split(s.t("web.incidents.head"), "|"), List: list}})
}

type incidentsData struct {
	Head []string
	List []store.Incident
}

// duty shows each watch period, newest first, with who each agency
// registered and which agencies have not: what the department checks
// before a holiday.
func (s *Server) duty(w http.ResponseWriter, r *http.Request) {
	var periods []store.DutyPeriod
	err := s.Store.View(func(tx *store.Tx) (err error) {
		periods, err = tx.DutyPeriods()
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	slices.Reverse(periods)
	d := dutyData{Head: strings.Split(s.t("web.duty.head"), "|")}
	for _, p := range periods {
		v := dutyView{Title: p.Title, Days: s.Render.DutyDays(&p), Agencies: len(p.Chats)}
		// Agencies that have not registered come first.
		slices.SortStableFunc(p.Chats, func(a, b store.DutyChat) int {
			return boolRank(a.RegisteredAt.IsZero()) - boolRank(b.RegisteredAt.IsZero())
		})
		for _, c := range p.Chats {
			row := dutyRow{ChatID: c.ChatID, Agency: c.Agency, RegisteredAt: c.RegisteredAt, RegisteredBy: c.RegisteredBy}
			if !c.RegisteredAt.IsZero() {
				v.Registered++
			}
			for _, person := range c.People {
				line := strings.TrimSpace(person.Name + " " + person.Phone)
				if !person.Day.IsZero() {
					line = person.Day.In(s.Render.Loc).Format("02/01") + ": " + line
				}
				row.People = append(row.People, line)
			}
			v.Rows = append(v.Rows, row)
		}
		d.Periods = append(d.Periods, v)
	}
	s.page(w, r, http.StatusOK, "duty", view{Title: s.t("web.nav.duty"), Nav: "duty", Data: d})
}

func boolRank(first bool) int {
	if first {
		return 0
	}
	return 1
}

type dutyData struct {
	Head    []string
	Periods []dutyView
}

type dutyView struct {
	Title                string
	Days                 string
	Registered, Agencies int
	Rows                 []dutyRow
}

type dutyRow struct {
	ChatID       int64
	Agency       string
	RegisteredAt time.Time
	RegisteredBy string
	People       []string
}
