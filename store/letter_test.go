package store

import (
	"testing"
	"time"
)

// TestForgetLetter: erasing a person reaches incident reports and duty
// rosters, and leaves the others in them alone.
func TestForgetLetter(t *testing.T) {
	s := openTest(t)
	now := time.Date(2026, 8, 30, 9, 0, 0, 0, time.UTC)
	err := s.Update(func(tx *Tx) error {
		inc := Incident{ChatID: -1, Agency: "Sở Y tế", Status: IncidentOpen, ReporterID: 301, ReporterName: "Nguyễn Văn An", Phone: "0912 345 678"}
		inc.AddEvent(IncidentEvent{At: now, UserID: 301, Name: "Nguyễn Văn An", Kind: "filed"})
		inc.AddEvent(IncidentEvent{At: now, UserID: 111, Name: "Phạm Quản Trị", Department: true, Kind: "received"})
		if _, err := tx.NewIncident(inc); err != nil {
			return err
		}
		_, err := tx.NewDutyPeriod(DutyPeriod{Title: "Trực lễ", From: now, To: now.Add(48 * time.Hour), Chats: []DutyChat{{
			ChatID: -1, Agency: "Sở Y tế", RegisteredBy: "Nguyễn Văn An",
			People: []DutyPerson{{Name: "Nguyễn Văn An", Phone: "0912 345 678", UserID: 301}, {Name: "Trần Thị Bình", Phone: "0987 654 321"}},
		}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var rep ForgetReport
	err = s.Update(func(tx *Tx) (err error) {
		rep, err = tx.Forget(301, Erasure{Name: "(đã xoá)", Note: "(đã xoá)"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Incidents != 1 || rep.Duty != 1 {
		t.Errorf("report %+v", rep)
	}
	err = s.View(func(tx *Tx) error {
		inc, _, err := tx.Incident(1)
		if err != nil {
			return err
		}
		if inc.ReporterID != 0 || inc.ReporterName != "(đã xoá)" || inc.Phone != "" || inc.Timeline[0].UserID != 0 ||
			inc.Timeline[0].Name != "(đã xoá)" || inc.Timeline[1].Name != "Phạm Quản Trị" {
			t.Errorf("incident after forget: %+v", inc)
		}
		ps, err := tx.DutyPeriods()
		if err != nil {
			return err
		}
		dc := ps[0].Chats[0]
		if dc.RegisteredBy != "(đã xoá)" || dc.People[0].Name != "(đã xoá)" || dc.People[0].Phone != "" || dc.People[0].UserID != 0 ||
			dc.People[1].Name != "Trần Thị Bình" {
			t.Errorf("roster after forget: %+v", dc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
