package bot

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/canhbao/canhbao/store"
)

// utf8BOM makes Excel open the CSV as UTF-8, so that Vietnamese shows.
const utf8BOM = "\uFEFF"

// csvHeader names the columns of the export.
var csvHeader = map[Lang][]string{
	Vietnamese: {"Số cảnh báo", "Tiêu đề", "Mức độ", "Nguồn", "Đơn vị", "Mã nhóm", "Trạng thái gửi", "Thời điểm gửi",
		"Người xác nhận", "Thời điểm xác nhận", "Thời gian đến khi xác nhận (phút)", "Báo cáo xử lý", "Tình trạng"},
	English: {"Alert", "Title", "Severity", "Source", "Agency", "Chat id", "Delivery", "Delivered at",
		"Acknowledged by", "Acknowledged at", "Minutes to acknowledge", "Remediation note", "Status"},
}

// WriteCSV writes one row per alert × agency (and per acknowledging
// person when several acknowledged), for the department's records.
func WriteCSV(w io.Writer, st *store.Store, r *Renderer, q store.ExportQuery) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return err
	}
	if q.Sheet != "" {
		return writeLetterCSV(w, st, r, q)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader[r.Lang]); err != nil {
		return err
	}
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(r.Loc).Format("2006-01-02 15:04:05")
	}
	err := st.View(func(tx *store.Tx) error {
		return tx.EachReport(q, func(rep store.Report) error {
			a := rep.Alert
			for _, row := range rep.Rows {
				base := []string{strconv.FormatUint(a.ID, 10), cell(a.Title), r.Severity(a.Severity), cell(r.SourceName(&a)),
					cell(row.Chat.Name()), strconv.FormatInt(row.Chat.ID, 10), string(row.Delivery.State), date(row.Delivery.SentAt)}
				if len(row.Acks) == 0 {
					if err := cw.Write(append(base, "", "", "", "", r.AckStatus(row.Status()))); err != nil {
						return err
					}
					continue
				}
				for _, k := range row.Acks {
					took := ""
					if !row.Delivery.SentAt.IsZero() {
						took = strconv.FormatInt(int64(k.At.Sub(row.Delivery.SentAt)/time.Minute), 10)
					}
					if err := cw.Write(append(base, cell(k.Name), date(k.At), took, cell(noteText(k, date)), r.AckStatus(row.Status()))); err != nil {
						return err
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	cw.Flush()
	return cw.Error()
}

// noteText joins a person's remediation notes for one cell, each with
// its time, oldest first.
func noteText(k store.Ack, date func(time.Time) string) string {
	parts := make([]string, len(k.Notes))
	for i, n := range k.Notes {
		parts[i] = date(n.At) + ": " + n.Text
	}
	return strings.Join(parts, "\n")
}

// ExportFile builds the CSV as a named file for /export.
func ExportFile(st *store.Store, r *Renderer, q store.ExportQuery) (string, []byte, error) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, st, r, q); err != nil {
		return "", nil, err
	}
	name := "canhbao-" + time.Now().In(r.Loc).Format("20060102-1504")
	if q.AlertID != 0 {
		name += fmt.Sprintf("-%d", q.AlertID)
	}
	if q.Sheet != "" {
		name += "-" + q.Sheet
	}
	return strings.ToLower(name) + ".csv", buf.Bytes(), nil
}

// cell keeps text typed by users or feeds from being read as a formula by
// Excel or LibreOffice (CSV injection): a leading =, +, -, @, tab or
// carriage return is prefixed with an apostrophe, which spreadsheets hide.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
