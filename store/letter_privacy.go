package store

// forgetLetter erases a person from incident reports (reporter, contact
// phone, timeline entries) and duty rosters (people on duty registered
// with their account, and who registered them), adding the names it
// finds to names so that free text quoting them is scrubbed too.
func (t *Tx) forgetLetter(user int64, erased string, names map[string]bool, rep *ForgetReport) error {
	err := each(t, bucketIncidents, nil, func(_ []byte, inc *Incident) error {
		changed := false
		if inc.ReporterID == user {
			names[inc.ReporterName] = true
			inc.ReporterID, inc.ReporterName, inc.Phone, changed = 0, erased, "", true
		}
		for i := range inc.Timeline {
			if e := &inc.Timeline[i]; e.UserID == user {
				names[e.Name] = true
				e.UserID, e.Name, changed = 0, erased, true
			}
		}
		if !changed {
			return nil
		}
		rep.Incidents++
		return t.PutIncident(*inc)
	})
	if err != nil {
		return err
	}
	return each(t, bucketDuty, nil, func(_ []byte, p *DutyPeriod) error {
		changed := false
		for i := range p.Chats {
			dc := &p.Chats[i]
			for j := range dc.People {
				if person := &dc.People[j]; person.UserID == user {
					names[person.Name] = true
					person.UserID, person.Name, person.Phone, changed = 0, erased, "", true
				}
			}
			if names[dc.RegisteredBy] && dc.RegisteredBy != "" {
				dc.RegisteredBy, changed = erased, true
			}
		}
		if !changed {
			return nil
		}
		rep.Duty++
		return t.PutDutyPeriod(*p)
	})
}
