package bot

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/canhbao/canhbao/store"
	"github.com/canhbao/canhbao/workbook"
)

// utf8BOM makes Excel open the CSV as UTF-8, so that Vietnamese shows.
const utf8BOM = "\uFEFF"

// The export formats: CSV for scripts, an Excel workbook for people.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// csvHeader names the columns of the alerts × agencies view.
var csvHeader = map[Lang][]string{
	Vietnamese: {"Số cảnh báo", "Tiêu đề", "Mức độ", "Nguồn", "Đơn vị", "Mã nhóm", "Trạng thái gửi", "Thời điểm gửi",
		"Người xác nhận", "Thời điểm xác nhận", "Thời gian đến khi xác nhận (phút)", "Báo cáo xử lý", "Tình trạng"},
	English: {"Alert", "Title", "Severity", "Source", "Agency", "Chat id", "Delivery", "Delivered at",
		"Acknowledged by", "Acknowledged at", "Minutes to acknowledge", "Remediation note", "Status"},
}

// agencyTally counts, per agency, the alerts of an export by status, and
// the failed deliveries: what the agencies sheet shows next to each
// agency.
type agencyTally struct {
	alerts, failed int
	status         map[store.AckStatus]int
}

// tallyStatuses are the status columns of the agencies sheet, in order.
var tallyStatuses = []store.AckStatus{store.StatusOpen, store.StatusAcknowledged, store.StatusRemediated, store.StatusNotUsed}

// eachAlertRow calls fn with one row per alert × agency (and per
// acknowledging person when several acknowledged), typed for a
// spreadsheet: numbers, times, workbook.ID and text. tally, when not nil,
// counts each agency's alerts.
func (r *Renderer) eachAlertRow(tx *store.Tx, q store.ExportQuery, tally map[int64]*agencyTally, fn func(row []any) error) error {
	return tx.EachReport(q, func(rep store.Report) error {
		a := rep.Alert
		for _, row := range rep.Rows {
			if tally != nil {
				t := tally[row.Chat.ID]
				if t == nil {
					t = &agencyTally{status: make(map[store.AckStatus]int)}
					tally[row.Chat.ID] = t
				}
				t.alerts++
				t.status[row.Status()]++
				if row.Delivery.State == store.DeliveryFailed {
					t.failed++
				}
			}
			base := []any{a.ID, a.Title, r.Severity(a.Severity), r.SourceName(&a),
				row.Chat.Name(), workbook.ID(row.Chat.ID), r.T("export.state." + string(row.Delivery.State)), row.Delivery.SentAt.In(r.Loc)}
			status := r.AckStatus(row.Status())
			if len(row.Acks) == 0 {
				if err := fn(append(base, "", nil, nil, "", status)); err != nil {
					return err
				}
				continue
			}
			for _, k := range row.Acks {
				var took any
				if !row.Delivery.SentAt.IsZero() {
					took = int64(k.At.Sub(row.Delivery.SentAt) / time.Minute)
				}
				if err := fn(append(base, k.Name, k.At.In(r.Loc), took, r.noteText(k), status)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// WriteCSV writes the alerts × agencies view as CSV, for scripts and for
// the department's records.
func WriteCSV(w io.Writer, st *store.Store, r *Renderer, q store.ExportQuery) error {
	if q.Sheet != "" {
		if _, err := io.WriteString(w, utf8BOM); err != nil {
			return err
		}
		return writeLetterCSV(w, st, r, q)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(utf8BOM); err != nil {
		return err
	}
	header := make([]any, len(csvHeader[r.Lang]))
	for i, h := range csvHeader[r.Lang] {
		header[i] = h
	}
	if err := writeCSVRecord(bw, header, r.Loc); err != nil {
		return err
	}
	err := st.View(func(tx *store.Tx) error {
		return r.eachAlertRow(tx, q, nil, func(row []any) error { return writeCSVRecord(bw, row, r.Loc) })
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return bw.Flush()
}

// writeCSVRecord writes one CSV line (RFC 4180, CRLF-free). Text is
// defused for spreadsheets (see cell) and quoted whenever it holds either
// list separator Excel may use (',' or ';' with Vietnamese regional
// settings), so a cell is never split into a second cell that a
// spreadsheet would read as a formula.
func writeCSVRecord(w *bufio.Writer, row []any, loc *time.Location) error {
	for i, v := range row {
		if i > 0 {
			w.WriteByte(',')
		}
		var s string
		switch v := v.(type) {
		case nil:
		case string:
			s = cell(v)
		case time.Time:
			if !v.IsZero() {
				s = v.In(loc).Format("2006-01-02 15:04:05")
			}
		case uint64:
			s = strconv.FormatUint(v, 10)
		case int64:
			s = strconv.FormatInt(v, 10)
		case int:
			s = strconv.Itoa(v)
		case workbook.ID:
			s = strconv.FormatInt(int64(v), 10)
		default:
			s = cell(fmt.Sprint(v))
		}
		if strings.ContainsAny(s, ",;\"\r\n") || s != strings.TrimSpace(s) {
			w.WriteByte('"')
			w.WriteString(strings.ReplaceAll(s, `"`, `""`))
			w.WriteByte('"')
		} else {
			w.WriteString(s)
		}
	}
	_, err := w.WriteString("\n")
	return err
}

// WriteXLSX writes the export as an Excel workbook with one sheet per
// view: alerts × agencies, agencies, and the audit log. All three come
// from one read transaction, so they agree with each other.
func WriteXLSX(w io.Writer, st *store.Store, r *Renderer, q store.ExportQuery) error {
	wb := workbook.New()
	defer wb.Close()
	err := st.View(func(tx *store.Tx) error {
		tally := make(map[int64]*agencyTally)
		if err := wb.Sheet(r.T("export.sheet_alerts"), columns(csvHeader[r.Lang], 10, 50, 14, 14, 30, 16, 16, 17, 24, 17, 14, 50, 14)...); err != nil {
			return err
		}
		if err := r.eachAlertRow(tx, q, tally, func(row []any) error { return wb.Row(row...) }); err != nil {
			return err
		}
		head := strings.Split(r.T("export.agencies_header"), "|")
		for _, s := range tallyStatuses {
			head = append(head, r.AckStatus(s))
		}
		head = append(head, r.T("export.state.failed"))
		if err := wb.Sheet(r.T("export.sheet_agencies"), columns(head, 30, 16, 30, 16, 24, 17, 17, 40, 12, 12, 12, 12, 12, 12)...); err != nil {
			return err
		}
		if err := r.agencyRows(tx, q, tally, func(row []any) error { return wb.Row(row...) }); err != nil {
			return err
		}
		if err := wb.Sheet(r.T("export.sheet_audit"), columns(strings.Split(r.T("export.audit_header"), "|"), 17, 24, 14, 24, 80)...); err != nil {
			return err
		}
		if err := r.auditRows(tx, q, func(row []any) error { return wb.Row(row...) }); err != nil {
			return err
		}
		return r.letterSheets(tx, wb, q)
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := wb.WriteTo(w); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// columns pairs titles with widths; titles beyond the widths get a width
// from their length.
func columns(titles []string, widths ...float64) []workbook.Column {
	cols := make([]workbook.Column, len(titles))
	for i, t := range titles {
		cols[i].Title = t
		if i < len(widths) {
			cols[i].Width = widths[i]
		}
	}
	return cols
}

// agencyRows writes one row per agency (chats that migrated are shown
// under their new id only; with a tag, the agencies that carry it): its subscription, its filter, and what the
// export counted for it.
func (r *Renderer) agencyRows(tx *store.Tx, q store.ExportQuery, tally map[int64]*agencyTally, fn func(row []any) error) error {
	chats, err := tx.Chats()
	if err != nil {
		return err
	}
	for _, c := range chats {
		if c.MigratedTo != 0 || q.Tag != "" && !c.HasTag(q.Tag) {
			continue
		}
		t := tally[c.ID]
		if t == nil {
			t = &agencyTally{}
		}
		row := []any{c.Name(), workbook.ID(c.ID), c.Title, r.T("status." + string(c.Status)), c.RequestedByName,
			c.RequestedAt.In(r.Loc), c.DecidedAt.In(r.Loc), r.FilterSummary(c.Filter), t.alerts}
		for _, s := range tallyStatuses {
			row = append(row, t.status[s])
		}
		if err := fn(append(row, t.failed)); err != nil {
			return err
		}
	}
	return nil
}

// auditRows writes the audit log entries the query's time range covers,
// oldest first; an export of one alert covers the time since the alert
// arrived.
func (r *Renderer) auditRows(tx *store.Tx, q store.ExportQuery, fn func(row []any) error) error {
	from, to := q.From, q.To
	if q.AlertID != 0 {
		a, err := tx.Alert(q.AlertID)
		if err != nil {
			return err
		}
		from = a.FirstSeen
	}
	list, err := tx.AuditLog(1 << 30)
	if err != nil {
		return err
	}
	for i := len(list) - 1; i >= 0; i-- {
		e := list[i]
		if !from.IsZero() && e.At.Before(from) || !to.IsZero() && !e.At.Before(to) {
			continue
		}
		if err := fn([]any{e.At.In(r.Loc), e.UserName, workbook.ID(e.UserID), r.AuditAction(e.Action), e.Detail}); err != nil {
			return err
		}
	}
	return nil
}

// noteText joins a person's remediation notes for one cell, each with
// its time, oldest first.
func (r *Renderer) noteText(k store.Ack) string {
	if len(k.Notes) == 0 {
		return k.Note
	}
	parts := make([]string, len(k.Notes))
	for i, n := range k.Notes {
		parts[i] = n.At.In(r.Loc).Format("2006-01-02 15:04") + ": " + n.Text
	}
	return strings.Join(parts, "\n")
}

// ExportFile builds an export as a named file for /export and for the
// full list under /report: a workbook when q asks for xlsx, else CSV.
func ExportFile(st *store.Store, r *Renderer, q store.ExportQuery) (string, []byte, error) {
	var buf bytes.Buffer
	write, ext := WriteCSV, ".csv"
	if q.Format == FormatXLSX && q.Sheet == "" {
		write, ext = WriteXLSX, ".xlsx"
	}
	if err := write(&buf, st, r, q); err != nil {
		return "", nil, err
	}
	name := "canhbao-" + time.Now().In(r.Loc).Format("20060102-1504")
	if q.AlertID != 0 {
		name += fmt.Sprintf("-%d", q.AlertID)
	}
	if q.Sheet != "" {
		name += "-" + q.Sheet
	}
	return strings.ToLower(name) + ext, buf.Bytes(), nil
}

// cell keeps text typed by users or feeds from being read as a formula by
// Excel or LibreOffice (CSV injection). A spreadsheet may split a line at
// a comma or, with Vietnamese regional settings, at a semicolon (where
// quoting made for commas no longer holds), and at line breaks, so every
// place where a cell may begin is checked: when its first visible
// character is = + - @ (or their full-width forms) an apostrophe is put
// before it, which makes it text. Tabs become spaces: a tab splits cells
// when the text is pasted or read as tab-separated.
func cell(s string) string {
	if strings.IndexAny(s, "=+-@\t＝＋－＠") < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	atStart := true
	for _, r := range s {
		switch {
		case r == '\t':
			r = ' '
		case atStart && strings.ContainsRune("=+-@＝＋－＠", r):
			b.WriteByte('\'')
			atStart = false
		case strings.ContainsRune(",;\r\n", r):
			atStart = true
		case atStart && (r == ' ' || r == '"'):
		default:
			atStart = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
