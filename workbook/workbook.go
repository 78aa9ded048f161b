// Package workbook writes .xlsx workbooks: one sheet per table, a frozen
// bold header with filter buttons, dates as real dates and text as text.
// It streams rows (excelize's StreamWriter), so a sheet of a million rows
// costs little memory. It knows nothing of alerts or agencies: the bot's
// exports and the dashboard's downloads describe their own columns.
package workbook

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// ID is a whole number shown in full, without scientific notation or
// thousands separators: Telegram chat ids such as -1001234567890, which
// Excel's General format would show as -1.00123E+12.
type ID int64

// Column describes one column: its title in the header row and its width
// in characters (0 picks one from the title).
type Column struct {
	Title string
	Width float64
}

// The cell styles the writer creates on demand.
type format int

const (
	header format = iota
	dateTime
	wholeID
)

// MaxSheetRows is the most rows a sheet can hold, header included
// (Excel's limit).
const MaxSheetRows = excelize.TotalRows

// Writer builds a workbook one sheet at a time. Call Sheet, then Row for
// each row, then Sheet again for the next table; WriteTo ends the last
// sheet and writes the file. Close releases the temporary files of large
// sheets.
type Writer struct {
	f       *excelize.File
	sw      *excelize.StreamWriter
	cols    []Column
	styles  map[format]int
	header  int
	row     int
	sheets  int
	cells   []any
	written bool
}

// New starts an empty workbook.
func New() *Writer {
	return &Writer{f: excelize.NewFile(), styles: make(map[format]int)}
}

// Sheet ends the current sheet and starts a new one named name (at most
// 31 characters; characters Excel forbids in sheet names are replaced)
// with a header row of cols.
func (w *Writer) Sheet(name string, cols ...Column) error {
	if err := w.endSheet(); err != nil {
		return err
	}
	name = SheetName(name)
	if w.sheets == 0 {
		if err := w.f.SetSheetName(w.f.GetSheetName(0), name); err != nil {
			return fmt.Errorf("workbook: sheet %q: %w", name, err)
		}
	} else if _, err := w.f.NewSheet(name); err != nil {
		return fmt.Errorf("workbook: sheet %q: %w", name, err)
	}
	w.sheets++
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("workbook: sheet %q: %w", name, err)
	}
	w.sw, w.cols, w.row = sw, cols, 1
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("workbook: sheet %q: %w", name, err)
	}
	for i, c := range cols {
		width := c.Width
		if width == 0 {
			width = min(max(float64(utf8.RuneCountInString(c.Title))+4, 10), 40)
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return fmt.Errorf("workbook: sheet %q: %w", name, err)
		}
	}
	head, err := w.style(header)
	if err != nil {
		return err
	}
	titles := make([]any, len(cols))
	for i, c := range cols {
		titles[i] = excelize.Cell{StyleID: head, Value: Clean(c.Title)}
	}
	if err := sw.SetRow("A1", titles, excelize.RowOpts{StyleID: head}); err != nil {
		return fmt.Errorf("workbook: sheet %q: %w", name, err)
	}
	return nil
}

// ErrTooManyRows is returned by Row when a sheet is full.
var ErrTooManyRows = errors.New("workbook: more rows than a sheet can hold")

// Row appends one row to the current sheet. Values may be strings
// (stored as text cells, which spreadsheets never evaluate as formulas),
// numbers, ID, time.Time (shown as dd/mm/yyyy hh:mm in the zone it
// carries; the zero time leaves the cell empty) or nil.
func (w *Writer) Row(values ...any) error {
	if w.sw == nil {
		return errors.New("workbook: Row before Sheet")
	}
	if w.row >= MaxSheetRows {
		return ErrTooManyRows
	}
	w.row++
	w.cells = w.cells[:0]
	for _, v := range values {
		c, err := w.cell(v)
		if err != nil {
			return err
		}
		w.cells = append(w.cells, c)
	}
	cell, _ := excelize.CoordinatesToCellName(1, w.row)
	if err := w.sw.SetRow(cell, w.cells); err != nil {
		return fmt.Errorf("workbook: row %d: %w", w.row, err)
	}
	return nil
}

func (w *Writer) cell(v any) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if v == "" {
			return nil, nil
		}
		return Clean(v), nil
	case time.Time:
		if v.IsZero() {
			return nil, nil
		}
		s, err := w.style(dateTime)
		return excelize.Cell{StyleID: s, Value: v}, err
	case ID:
		s, err := w.style(wholeID)
		return excelize.Cell{StyleID: s, Value: int64(v)}, err
	case int, int64, uint64, int32, uint32, uint, float64:
		return v, nil
	}
	return Clean(fmt.Sprint(v)), nil
}

// style returns the id of a style, creating it on first use.
func (w *Writer) style(f format) (int, error) {
	if id, ok := w.styles[f]; ok {
		return id, nil
	}
	var st excelize.Style
	switch f {
	case header:
		st = excelize.Style{Font: &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}
	case dateTime:
		layout := "dd/mm/yyyy hh:mm"
		st = excelize.Style{CustomNumFmt: &layout}
	case wholeID:
		st = excelize.Style{NumFmt: 1} // "0"
	}
	id, err := w.f.NewStyle(&st)
	if err != nil {
		return 0, fmt.Errorf("workbook: style: %w", err)
	}
	w.styles[f] = id
	return id, nil
}

func (w *Writer) endSheet() error {
	if w.sw == nil {
		return nil
	}
	sw := w.sw
	w.sw = nil
	if len(w.cols) > 0 {
		last, _ := excelize.CoordinatesToCellName(len(w.cols), max(w.row, 2))
		if err := sw.AddTable(&excelize.Table{Range: "A1:" + last, Name: fmt.Sprintf("Table%d", w.sheets),
			StyleName: "TableStyleLight9", ShowRowStripes: boolPtr(true)}); err != nil {
			return fmt.Errorf("workbook: table: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	return nil
}

func boolPtr(b bool) *bool { return &b }

// WriteTo ends the last sheet and writes the workbook to out. A Writer
// is written once.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	if w.written {
		return 0, errors.New("workbook: written twice")
	}
	w.written = true
	if err := w.endSheet(); err != nil {
		return 0, err
	}
	// The first sheet is active already; SetActiveSheet would read every
	// streamed sheet back into memory.
	n, err := w.f.WriteTo(out)
	if err != nil {
		return n, fmt.Errorf("workbook: write: %w", err)
	}
	return n, nil
}

// Close releases the temporary files of large sheets.
func (w *Writer) Close() error { return w.f.Close() }

// SheetName makes name acceptable to Excel as a sheet name: the
// characters : \ / ? * [ ] become spaces and it is cut to 31 characters.
func SheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(strings.TrimSpace(name), "'")
	if r := []rune(name); len(r) > 31 {
		name = strings.TrimSpace(string(r[:31]))
	}
	if name == "" {
		name = "Sheet"
	}
	return name
}

// Clean makes text safe to store in a cell: tabs become spaces (a pasted
// tab splits cells), other control characters except line breaks are
// dropped (XML cannot hold them), and text is cut to Excel's 32,767
// characters. A leading = + - @ stays as written: a text cell is never a
// formula.
func Clean(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r == '\t' || unicode.IsControl(r) && r != '\n' }) >= 0 {
		s = strings.Map(func(r rune) rune {
			switch {
			case r == '\t':
				return ' '
			case r == '\r':
				return -1
			case unicode.IsControl(r) && r != '\n':
				return -1
			}
			return r
		}, s)
	}
	if utf8.RuneCountInString(s) > excelize.TotalCellChars {
		s = string([]rune(s)[:excelize.TotalCellChars])
	}
	return s
}
