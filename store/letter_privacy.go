package store

// forgetInDuty erases a person from duty rosters: their name, id and
// phone where they registered themselves, and their name as the one who
// registered a roster. The others on the roster stay.
func (t *Tx) forgetInDuty(user int64, erased string, names map[string]bool) (int, error) {
	n := 0
	err := each(t, bucketDuty, nil, func(_ []byte, p *DutyPeriod) error {
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
		n++
		return t.PutDutyPeriod(*p)
	})
	return n, err
}
