package bot

import (
	"strings"
	"time"

	"github.com/canhbao/canhbao/letter"
	"github.com/canhbao/canhbao/store"
)

// deptName is the department as agencies read it.
func (r *Renderer) deptName() string {
	return r.SourceName(&store.Alert{Source: store.DepartmentSource})
}

// incidentTitle names an incident in one phrase: its type and system.
func (r *Renderer) incidentTitle(inc *store.Incident) string {
	parts := []string{}
	if inc.Type != "" {
		parts = append(parts, r.T("inctype."+inc.Type))
	}
	if inc.System != "" {
		parts = append(parts, cutText(inc.System, 80))
	}
	if len(parts) == 0 {
		return cutText(inc.Description, 80)
	}
	return strings.Join(parts, " — ")
}

// incidentField is the answer to one step, as shown (plain text).
func (r *Renderer) incidentField(inc *store.Incident, step string) string {
	switch step {
	case letter.StepDiscovered:
		return r.Date(inc.DiscoveredAt)
	case letter.StepSystem:
		return inc.System
	case letter.StepType:
		if inc.Type == "" {
			return ""
		}
		return r.T("inctype." + inc.Type)
	case letter.StepWhat:
		return inc.Description
	case letter.StepActions:
		return inc.Actions
	case letter.StepSupport:
		if inc.Support == "" {
			return ""
		}
		return r.T("inc.support_" + inc.Support)
	case letter.StepPhone:
		return inc.Phone
	}
	return ""
}

// incidentBody lists what the report says, one line per answered step,
// with the reporting times and, when late, by how much.
func (r *Renderer) incidentBody(inc *store.Incident, within time.Duration) []string {
	lines := []string{r.T("inc.times", r.Date(inc.DiscoveredAt), r.Date(inc.ReportedAt))}
	if inc.Late {
		lines = append(lines, r.T("inc.late", r.Age(inc.ReportedAt.Sub(inc.DiscoveredAt)), r.Age(within)))
	}
	for _, step := range letter.Steps[1:] {
		if v := r.incidentField(inc, step); v != "" {
			lines = append(lines, r.T("inc.field."+step)+": "+Esc(v))
		}
	}
	lines = append(lines, r.T("inc.reporter", Esc(inc.ReporterName)))
	return lines
}

// IncidentCard is the department's card of an incident: the report, its
// status and the latest of its timeline.
func (r *Renderer) IncidentCard(inc *store.Incident, within time.Duration) string {
	lines := []string{r.T("inc.card_title", inc.ID, Esc(inc.Agency), inc.ChatID)}
	lines = append(lines, r.incidentBody(inc, within)...)
	lines = append(lines, r.T("inc.status", r.T("incstatus."+string(inc.Status))))
	if tl := r.timeline(inc.Timeline, 5); len(tl) > 0 {
		lines = append(lines, "")
		lines = append(lines, tl...)
	}
	lines = append(lines, "", r.T("inc.card_hint", inc.ID))
	return FitHTML(strings.Join(lines, "\n"), MaxMessage)
}

// IncidentConfirm is the agency's receipt of its report, ending with the
// help line.
func (r *Renderer) IncidentConfirm(inc *store.Incident, within time.Duration) string {
	lines := []string{r.T("inc.confirm_title", inc.ID, Esc(r.deptName()))}
	lines = append(lines, r.incidentBody(inc, within)...)
	if letter.NextStep(inc) != "" {
		lines = append(lines, r.T("inc.confirm_missing"))
	}
	lines = append(lines, "", r.T("inc.confirm_hint", inc.ID))
	if line := r.HelpLine(); line != "" {
		lines = append(lines, line)
	}
	return FitHTML(strings.Join(lines, "\n"), MaxMessage)
}

// IncidentDetail is the whole report with its timeline (/incident 7).
func (r *Renderer) IncidentDetail(inc *store.Incident, within time.Duration) []string {
	lines := []string{r.T("inc.card_title", inc.ID, Esc(inc.Agency), inc.ChatID)}
	lines = append(lines, r.incidentBody(inc, within)...)
	lines = append(lines, r.T("inc.status", r.T("incstatus."+string(inc.Status))), "")
	lines = append(lines, r.timeline(inc.Timeline, 0)...)
	return Lines(lines)
}

// timeline renders the newest n events (all when n is 0), oldest first.
func (r *Renderer) timeline(events []store.IncidentEvent, n int) []string {
	if n > 0 && len(events) > n {
		events = events[len(events)-n:]
	}
	out := make([]string, 0, len(events))
	for _, e := range events {
		side := r.T("inc.side_agency")
		if e.Department {
			side = r.T("inc.side_dept")
		}
		what := r.T("inc.event." + e.Kind)
		if e.Text != "" {
			what += ": " + Esc(cutText(e.Text, 300))
		}
		out = append(out, r.T("inc.event", r.Date(e.At), Esc(e.Name), side, what))
	}
	return out
}

// Incidents lists incidents for the department, one line each.
func (r *Renderer) Incidents(list []store.Incident, all bool, now time.Time, within time.Duration) []string {
	if len(list) == 0 {
		return []string{r.T("incidents.none")}
	}
	title := "incidents.title"
	if all {
		title = "incidents.title_all"
	}
	lines := []string{r.T(title, len(list))}
	for _, inc := range list {
		line := r.T("incidents.row", inc.ID, Esc(inc.Agency), Esc(r.incidentTitle(&inc)), r.Date(inc.DiscoveredAt), r.Date(inc.ReportedAt),
			r.T("incstatus."+string(inc.Status)), r.Age(now.Sub(inc.UpdatedAt)))
		if inc.Late {
			line += " " + r.T("incidents.late")
		}
		lines = append(lines, line)
	}
	lines = append(lines, r.T("incidents.hint"))
	return Lines(lines)
}
