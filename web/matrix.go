package web

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/store"
	"github.com/canhbao/canhbao/workbook"
)

// MatrixPageSize is how many agencies one page of the matrix shows: 50
// alerts × 100 agencies is 5,000 cells, which a phone still scrolls.
const MatrixPageSize = 100

// matrixFilter is the matrix's query string, read leniently: a value that
// does not parse is ignored and shown back empty.
type matrixFilter struct {
	From, To string // YYYY-MM-DD, in the department's time zone
	Severity string
	Source   string
	Agency   string
	CVE      string
	Tag      string
	Sort     string // "late" (default) or "name"
	Page     int
}

func (s *Server) readFilter(v url.Values) (matrixFilter, store.MatrixQuery) {
	f := matrixFilter{Severity: v.Get("severity"), Source: strings.TrimSpace(v.Get("source")),
		Agency: strings.TrimSpace(v.Get("agency")), CVE: strings.ToUpper(strings.TrimSpace(v.Get("cve"))), Sort: v.Get("sort"),
		Tag: strings.TrimPrefix(strings.TrimSpace(v.Get("tag")), "@")}
	q := store.MatrixQuery{Source: f.Source, Agency: f.Agency, CVE: f.CVE, Tag: f.Tag, Alerts: 50}
	if sev, ok := store.ParseSeverity(f.Severity); ok {
		q.Severity = sev
	} else {
		f.Severity = ""
	}
	if t, err := time.ParseInLocation("2006-01-02", v.Get("from"), s.Render.Loc); err == nil {
		f.From, q.From = v.Get("from"), t
	}
	if t, err := time.ParseInLocation("2006-01-02", v.Get("to"), s.Render.Loc); err == nil {
		f.To, q.To = v.Get("to"), t.AddDate(0, 0, 1) // the whole last day
	}
	if f.Sort != "name" {
		f.Sort = "late"
	}
	f.Page, _ = strconv.Atoi(v.Get("page"))
	f.Page = max(f.Page, 1)
	return f, q
}

// matrixColumn is one alert of the matrix.
type matrixColumn struct {
	Alert    store.Alert
	Severity string
	Acked    int
	Total    int
}

// matrixLine is one agency of the matrix with its cells.
type matrixLine struct {
	Chat  store.Chat
	Cells []cell
	// Late is how many alerts it has left past the reminder deadline, and
	// Waited how long in all: the lateness the matrix sorts by.
	Late   int
	Waited time.Duration
	Acked  int
	Sent   int
	// standings are the cells before fill classifies them, which only
	// the rows shown need.
	standings []store.Standing
}

// fill classifies the cells of lines.
func (s *Server) fill(lines []matrixLine, alerts []store.Alert, now time.Time) {
	for i := range lines {
		l := &lines[i]
		l.Cells = make([]cell, len(l.standings))
		for j, st := range l.standings {
			l.Cells[j] = s.cellOf(&alerts[j], st, now)
		}
	}
}

type matrixData struct {
	Filter  matrixFilter
	Columns []matrixColumn
	Lines   []matrixLine
	// Agencies is the number of agencies on all pages.
	Agencies   int
	Page, Last int
	Sources    []string
	Severities []store.Severity
	Query      url.Values
	Live       liveRef
}

// alerts are the matrix's columns' alerts.
func (d *matrixData) alerts() []store.Alert {
	out := make([]store.Alert, len(d.Columns))
	for i := range d.Columns {
		out[i] = d.Columns[i].Alert
	}
	return out
}

// buildMatrix reads the matrix and sorts its agencies; cells are
// classified by fill, for the rows that are shown.
func (s *Server) buildMatrix(v url.Values) (matrixData, store.Matrix, error) {
	f, q := s.readFilter(v)
	now := s.now()
	var m store.Matrix
	var sources []store.Source
	err := s.Store.View(func(tx *store.Tx) (err error) {
		if m, err = tx.Matrix(q); err != nil {
			return err
		}
		sources, err = tx.Sources()
		return err
	})
	if err != nil {
		return matrixData{}, m, err
	}
	d := matrixData{Filter: f, Severities: store.Severities, Query: v}
	for _, src := range sources {
		d.Sources = append(d.Sources, src.Name)
	}
	d.Sources = append(d.Sources, store.DepartmentSource)
	d.Columns = make([]matrixColumn, len(m.Alerts))
	for i := range m.Alerts {
		d.Columns[i] = matrixColumn{Alert: m.Alerts[i], Severity: s.Render.Severity(m.Alerts[i].Severity)}
	}
	d.Lines = make([]matrixLine, len(m.Rows))
	for i, row := range m.Rows {
		line := matrixLine{Chat: row.Chat, standings: row.Cells}
		for j, st := range row.Cells {
			a := &m.Alerts[j]
			if st.ChatID == 0 {
				continue
			}
			d.Columns[j].Total++
			if st.Acked() {
				d.Columns[j].Acked++
				line.Acked++
			}
			if st.State == store.DeliverySent {
				line.Sent++
				if !st.Acked() {
					if over := now.Sub(st.SentAt) - s.Deadlines.RemindAfter(a.Severity); over > 0 {
						line.Late++
						line.Waited += over
					}
				}
			}
		}
		d.Lines[i] = line
	}
	slices.SortStableFunc(d.Lines, func(a, b matrixLine) int {
		if f.Sort == "late" {
			if c := cmp.Compare(b.Late, a.Late); c != 0 {
				return c
			}
			if c := cmp.Compare(b.Waited, a.Waited); c != 0 {
				return c
			}
		}
		return strings.Compare(a.Chat.Name(), b.Chat.Name())
	})
	return d, m, nil
}

func (s *Server) matrix(w http.ResponseWriter, r *http.Request) {
	version, done := s.unchanged(w, r)
	if done {
		return
	}
	v := r.URL.Query()
	d, _, err := s.buildMatrix(v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Agencies = len(d.Lines)
	d.Last = max(1, (len(d.Lines)+MatrixPageSize-1)/MatrixPageSize)
	d.Page = min(d.Filter.Page, d.Last)
	d.Lines = d.Lines[min((d.Page-1)*MatrixPageSize, len(d.Lines)):min(d.Page*MatrixPageSize, len(d.Lines))]
	s.fill(d.Lines, d.alerts(), s.now())
	if d.Live, done = s.liveBlock(w, r, "matrix", version, d); done {
		return
	}
	s.page(w, r, http.StatusOK, "matrix", view{Title: s.t("web.nav.matrix"), Nav: "matrix", Data: d})
}

// exportRows writes the matrix as it is filtered and sorted (every page),
// one row per agency × alert that went to it, after the header. Values
// are typed for the workbook: numbers, workbook.ID, time.Time (zero when
// none), strings.
func (s *Server) exportRows(v url.Values, header func([]string) error, write func([]any) error) error {
	d, m, err := s.buildMatrix(v)
	if err != nil {
		return err
	}
	s.fill(d.Lines, m.Alerts, s.now())
	if err := header(strings.Split(s.t("web.export.header"), "|")); err != nil {
		return err
	}
	row := make(map[int64]int, len(m.Rows))
	for i, r := range m.Rows {
		row[r.Chat.ID] = i
	}
	local := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.In(s.Render.Loc)
	}
	for _, line := range d.Lines {
		cells := m.Rows[row[line.Chat.ID]].Cells
		for j, st := range cells {
			if st.ChatID == 0 {
				continue
			}
			a := &m.Alerts[j]
			var by string
			var at time.Time
			var took any
			if st.First != nil {
				by, at, took = st.First.Name, st.First.At, int64(st.AckAfter()/time.Minute)
			}
			err := write([]any{a.ID, a.Title, s.Render.Severity(a.Severity), s.Render.SourceName(a), line.Chat.Name(),
				workbook.ID(line.Chat.ID), line.Cells[j].State, local(st.SentAt), by, local(at), took, st.Note})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) exportName(ext string) string {
	return "canhbao-matrix-" + s.now().In(s.Render.Loc).Format("20060102-1504") + "." + ext
}

func (s *Server) matrixCSV(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+s.exportName("csv")+`"`)
	io.WriteString(w, "\uFEFF") // Excel reads UTF-8 only with the mark
	cw := csv.NewWriter(w)
	rec := make([]string, 0, 12)
	err := s.exportRows(r.URL.Query(), cw.Write, func(row []any) error {
		rec = rec[:0]
		for _, v := range row {
			switch v := v.(type) {
			case nil:
				rec = append(rec, "")
			case string:
				rec = append(rec, bot.SafeCell(v))
			case time.Time:
				if v.IsZero() {
					rec = append(rec, "")
				} else {
					rec = append(rec, v.Format("2006-01-02 15:04"))
				}
			default:
				rec = append(rec, fmt.Sprint(v))
			}
		}
		return cw.Write(rec)
	})
	if err != nil {
		s.Log.Error("matrix csv", "error", err.Error())
		return
	}
	cw.Flush()
}

func (s *Server) matrixXLSX(w http.ResponseWriter, r *http.Request) {
	book := workbook.New()
	defer book.Close()
	err := s.exportRows(r.URL.Query(), func(titles []string) error {
		cols := make([]workbook.Column, len(titles))
		for i, t := range titles {
			cols[i] = workbook.Column{Title: t}
		}
		return book.Sheet(s.t("web.nav.matrix"), cols...)
	}, func(row []any) error { return book.Row(row...) })
	var buf bytes.Buffer
	if err == nil {
		_, err = book.WriteTo(&buf)
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("matrix xlsx: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+s.exportName("xlsx")+`"`)
	w.Write(buf.Bytes())
}
