package bot

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/canhbao/canhbao/letter"
	"github.com/canhbao/canhbao/store"
	"github.com/canhbao/canhbao/workbook"
)

// The tables of the export besides acknowledgements: the incident reports
// (/export sự cố, canhbao export -incidents) and the duty rosters of watch
// periods (/export trực, canhbao export -duty).
const (
	SheetIncidents = "incidents"
	SheetDuty      = "duty"
)

// exportSheet reads the table /export names: "sự cố" or "incidents",
// "trực" or "duty"; "" for anything else.
func exportSheet(arg string) string {
	switch letter.Fold(arg) {
	case "su co", "su-co", "suco", "incidents", "incident":
		return SheetIncidents
	case "truc", "lich truc", "duty", "roster":
		return SheetDuty
	}
	return ""
}

var incidentHeader = map[Lang][]string{
	Vietnamese: {"Số sự cố", "Đơn vị", "Mã nhóm", "Người báo cáo", "Điện thoại liên hệ", "Thời điểm phát hiện", "Thời điểm báo cáo",
		"Báo cáo muộn", "Hệ thống bị ảnh hưởng", "Loại sự cố", "Diễn biến, ảnh hưởng", "Đã xử lý", "Đề nghị hỗ trợ", "Trạng thái",
		"Cập nhật gần nhất", "Diễn biến xử lý"},
	English: {"Incident", "Agency", "Chat id", "Reported by", "Contact phone", "Discovered at", "Reported at",
		"Late", "Affected system", "Type", "What happened, impact", "Done so far", "Support requested", "Status",
		"Last update", "Timeline"},
}

// writeLetterCSV writes the incidents or duty table q names, in the same
// CSV form as the acknowledgement export (text defused for spreadsheets).
func writeLetterCSV(w io.Writer, st *store.Store, r *Renderer, q store.ExportQuery) error {
	cw := csv.NewWriter(w)
	emit := func(row []string) error {
		for i := range row {
			if _, err := strconv.ParseInt(row[i], 10, 64); err != nil {
				row[i] = cell(row[i]) // numbers (chat ids) stay numbers
			}
		}
		return cw.Write(row)
	}
	err := st.View(func(tx *store.Tx) error {
		if err := emit(r.letterHeader(q.Sheet)); err != nil {
			return err
		}
		return r.letterRows(tx, q, q.Sheet, emit)
	})
	if err != nil {
		return fmt.Errorf("export %s: %w", q.Sheet, err)
	}
	cw.Flush()
	return cw.Error()
}

// letterSheets adds the incidents and duty tables to the workbook, one
// sheet each; not to the workbook of one alert (the list under /report).
func (r *Renderer) letterSheets(tx *store.Tx, wb *workbook.Writer, q store.ExportQuery) error {
	if q.AlertID != 0 {
		return nil
	}
	for _, sheet := range []string{SheetIncidents, SheetDuty} {
		if err := wb.Sheet(r.T("export.sheet_"+sheet), columns(r.letterHeader(sheet), 10, 30, 16, 24, 16, 17, 17)...); err != nil {
			return err
		}
		err := r.letterRows(tx, q, sheet, func(row []string) error {
			values := make([]any, len(row))
			for i, v := range row {
				values[i] = v
			}
			return wb.Row(values...)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// letterHeader is the header row of a table.
func (r *Renderer) letterHeader(sheet string) []string {
	if sheet == SheetDuty {
		return append([]string(nil), dutyHeader[r.Lang]...)
	}
	return append([]string(nil), incidentHeader[r.Lang]...)
}

// letterRows passes each row of the incidents or duty table to emit, as
// plain text, limited to q's tag.
func (r *Renderer) letterRows(tx *store.Tx, q store.ExportQuery, sheet string, emit func([]string) error) error {
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(r.Loc).Format("2006-01-02 15:04:05")
	}
	inTag := func(chat int64) (bool, error) {
		if q.Tag == "" {
			return true, nil
		}
		c, _, err := tx.Chat(chat)
		return c.HasTag(q.Tag), err
	}
	switch sheet {
	case SheetIncidents:
		return r.incidentRows(tx, q, inTag, date, emit)
	case SheetDuty:
		return r.dutyRows(tx, inTag, date, emit)
	}
	return fmt.Errorf("unknown table %q", sheet)
}

func (r *Renderer) incidentRows(tx *store.Tx, q store.ExportQuery, inTag func(int64) (bool, error), date func(time.Time) string, emit func([]string) error) error {
	list, err := tx.Incidents()
	if err != nil {
		return err
	}
	for _, inc := range list {
		if inc.Status == store.IncidentDraft || !q.From.IsZero() && inc.ReportedAt.Before(q.From) || !q.To.IsZero() && !inc.ReportedAt.Before(q.To) {
			continue
		}
		if ok, err := inTag(inc.ChatID); err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		var timeline []string
		for _, line := range r.timeline(inc.Timeline, 0) {
			timeline = append(timeline, PlainText(line))
		}
		late := r.T("inc.support_no")
		if inc.Late {
			late = r.T("inc.support_yes")
		}
		typ := ""
		if inc.Type != "" {
			typ = r.T("inctype." + inc.Type)
		}
		err := emit([]string{"SC-" + strconv.FormatUint(inc.ID, 10), inc.Agency, strconv.FormatInt(inc.ChatID, 10),
			inc.ReporterName, inc.Phone, date(inc.DiscoveredAt), date(inc.ReportedAt), late, inc.System, typ,
			inc.Description, inc.Actions, r.incidentField(&inc, letter.StepSupport), r.T("incstatus." + string(inc.Status)),
			date(inc.UpdatedAt), strings.Join(timeline, "\n")})
		if err != nil {
			return err
		}
	}
	return nil
}

var dutyHeader = map[Lang][]string{
	Vietnamese: {"Đợt trực", "Tiêu đề", "Từ ngày", "Đến ngày", "Đơn vị", "Mã nhóm", "Đề nghị lúc", "Đăng ký lúc", "Người đăng ký",
		"Ngày trực", "Cán bộ trực", "Điện thoại", "Mã người dùng Telegram"},
	English: {"Period", "Title", "From", "To", "Agency", "Chat id", "Asked at", "Registered at", "Registered by",
		"Day", "On duty", "Phone", "Telegram user id"},
}

// dutyRows writes one row per period × agency × person on duty; an agency
// that registered nobody has one row without people.
func (r *Renderer) dutyRows(tx *store.Tx, inTag func(int64) (bool, error), date func(time.Time) string, emit func([]string) error) error {
	periods, err := tx.DutyPeriods()
	if err != nil {
		return err
	}
	for _, p := range periods {
		for _, dc := range p.Chats {
			if ok, err := inTag(dc.ChatID); err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
			base := []string{strconv.FormatUint(p.ID, 10), p.Title, r.localDay(p.From), r.localDay(p.To.AddDate(0, 0, -1)),
				dc.Agency, strconv.FormatInt(dc.ChatID, 10), date(dc.AskedAt), date(dc.RegisteredAt), dc.RegisteredBy}
			if len(dc.People) == 0 {
				if err := emit(append(base, "", "", "", "")); err != nil {
					return err
				}
				continue
			}
			for _, person := range dc.People {
				day, user := r.T("duty.whole"), ""
				if !person.Day.IsZero() {
					day = r.localDay(person.Day)
				}
				if person.UserID != 0 {
					user = strconv.FormatInt(person.UserID, 10)
				}
				if err := emit(append(base[:len(base):len(base)], day, person.Name, person.Phone, user)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
