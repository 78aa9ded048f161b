package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pageSize is bbolt's page size on the test machine (the OS page size).
var pageSize = os.Getpagesize()

// filledDB writes a database with a few hundred alerts delivered to ten
// chats (a few hundred pages, branch pages, a free list) and closes it.
func filledDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "canhbao.db")
	s, err := Open(path, Options{})
	must(t, err)
	approve(t, s, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10)
	markPolled(t, s, "cisa")
	for batch := range 6 {
		var items []Alert
		for i := range 50 {
			n := batch*50 + i
			items = append(items, Alert{Key: fmt.Sprintf("k%d", n), Title: fmt.Sprintf("Lỗ hổng %d trong sản phẩm", n),
				Summary: strings.Repeat("Mô tả chi tiết. ", 10), Severity: SeverityHigh, Published: t0})
		}
		_, err := s.Ingest("cisa", items, IngestOptions{Now: t0})
		must(t, err)
	}
	// Sending frees pages, so that the free list is not empty.
	sendAll(t, s, t0)
	must(t, s.Close())
	return path
}

// page is one page header of a bbolt file.
type page struct {
	id    uint64
	flags uint16
	count uint16
}

const (
	branchPage   = 0x01
	leafPage     = 0x02
	freelistPage = 0x10
)

func readPages(t *testing.T, path string) (data []byte, pages []page) {
	t.Helper()
	data, err := os.ReadFile(path)
	must(t, err)
	for off := 0; off+16 <= len(data); off += pageSize {
		pages = append(pages, page{id: binary.LittleEndian.Uint64(data[off:]),
			flags: binary.LittleEndian.Uint16(data[off+8:]), count: binary.LittleEndian.Uint16(data[off+10:])})
	}
	return data, pages
}

// activeFreelist is the free list page of the meta page with the higher
// transaction id: the one bbolt uses.
func activeFreelist(data []byte) uint64 {
	var best, txid uint64
	for _, m := range []int{0, pageSize} {
		body := data[m+16:]
		if tx := binary.LittleEndian.Uint64(body[48:]); tx >= txid {
			txid, best = tx, binary.LittleEndian.Uint64(body[32:])
		}
	}
	return best
}

func writePage(t *testing.T, path string, id uint64, content []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt(content, int64(id)*int64(pageSize))
	must(t, err)
}

// TestOpenRefusesDamagedFiles damages real database files the ways they
// break (bad pages, pages of 0xFF, a half-copied file, flipped bits, an
// empty file) and checks that opening them, for the service or read-only
// for backup and export, gives one ErrDamaged error and never a panic.
func TestOpenRefusesDamagedFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := func() []byte {
		b := make([]byte, pageSize)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"three bad pages", func(t *testing.T, path string) {
			data, pages := readPages(t, path)
			writePage(t, path, activeFreelist(data), garbage())
			n := 0
			for _, p := range pages {
				if p.flags == leafPage && n < 2 {
					writePage(t, path, p.id, garbage())
					n++
				}
			}
		}},
		{"twenty pages of 0xFF", func(t *testing.T, path string) {
			_, pages := readPages(t, path)
			ff := make([]byte, 20*pageSize)
			for i := range ff {
				ff[i] = 0xFF
			}
			writePage(t, path, uint64(len(pages)/2), ff)
		}},
		{"truncated to half", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			must(t, err)
			must(t, os.Truncate(path, fi.Size()/2))
		}},
		{"flipped bits in page headers and element tables", func(t *testing.T, path string) {
			data, pages := readPages(t, path)
			for _, p := range pages {
				if p.flags != leafPage && p.flags != branchPage || p.count == 0 {
					continue
				}
				off := int(p.id)*pageSize + rng.IntN(16+int(p.count)*16)
				data[off] ^= 1 << rng.IntN(8)
			}
			must(t, os.WriteFile(path, data, 0o600))
		}},
		{"empty file", func(t *testing.T, path string) {
			must(t, os.WriteFile(path, nil, 0o600))
		}},
		{"not a database", func(t *testing.T, path string) {
			must(t, os.WriteFile(path, []byte(strings.Repeat("TELEGRAM_BOT_TOKEN=x\n", 400)), 0o600))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filledDB(t)
			c.damage(t, path)
			before, err := os.ReadFile(path)
			must(t, err)
			for _, ro := range []bool{false, true} {
				s, err := Open(path, Options{ReadOnly: ro})
				if err == nil {
					s.Close()
					t.Fatalf("read-only %v: the damaged file opened", ro)
				}
				if !errors.Is(err, ErrDamaged) || strings.Contains(err.Error(), "\n") ||
					!strings.HasPrefix(err.Error(), "database damaged: restore from a backup, see README (") {
					t.Fatalf("read-only %v: got %q, want one ErrDamaged line", ro, err)
				}
				t.Logf("read-only %v: %v", ro, err)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Error("opening the damaged file changed it")
			}
			if err := Check(path); !errors.Is(err, ErrDamaged) {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

// TestOpenAcceptsSoundFiles: the check passes a database that was used,
// closed and reopened, and a new one.
func TestOpenAcceptsSoundFiles(t *testing.T) {
	path := filledDB(t)
	must(t, Check(path))
	s, err := Open(path, Options{})
	must(t, err)
	must(t, s.Close())
	fresh := filepath.Join(t.TempDir(), "new", "canhbao.db")
	s, err = Open(fresh, Options{})
	must(t, err)
	must(t, s.Close())
	must(t, Check(fresh))
}

// TestDamageWhileRunningStopsTransactions: pages damaged under a running
// service (a failing disk, another program writing the file) make the
// next transaction return ErrDamaged instead of panicking, every later
// one too, and Damaged is closed so that the service stops.
func TestDamageWhileRunningStopsTransactions(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, path string, pages []page)
	}{
		{"pages of 0xFF", func(t *testing.T, path string, pages []page) {
			ff := make([]byte, pageSize)
			for i := range ff {
				ff[i] = 0xFF
			}
			for _, p := range pages {
				if p.flags == leafPage || p.flags == branchPage {
					writePage(t, path, p.id, ff)
				}
			}
		}},
		// Reading pages past the end of a shortened file raises SIGBUS.
		{"truncated", func(t *testing.T, path string, _ []page) { must(t, os.Truncate(path, int64(4*pageSize))) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filledDB(t)
			s, err := Open(path, Options{})
			must(t, err)
			defer s.Close()
			_, pages := readPages(t, path)
			c.damage(t, path, pages)
			err = s.View(func(tx *Tx) error {
				for id := tx.LastAlertID(); id > 0; id-- {
					if _, err := tx.Report(id); err != nil {
						return err
					}
				}
				_, err := tx.Outbox()
				return err
			})
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("reading damaged pages: %v", err)
			}
			select {
			case <-s.Damaged():
			case <-time.After(time.Second):
				t.Fatal("Damaged not closed")
			}
			if err := s.Update(func(tx *Tx) error { return tx.PutChat(Chat{ID: -77}) }); !errors.Is(err, ErrDamaged) {
				t.Errorf("a write after the damage: %v", err)
			}
			if !errors.Is(s.Err(), ErrDamaged) {
				t.Errorf("Err: %v", s.Err())
			}
		})
	}
}

// TestPanicsOutsideBboltStayPanics: a bug in a transaction's own code is
// not mistaken for a damaged file.
func TestPanicsOutsideBboltStayPanics(t *testing.T) {
	s := openTest(t)
	defer func() {
		if r := recover(); r == nil {
			t.Error("the panic was swallowed")
		}
		if s.Err() != nil {
			t.Errorf("a bug marked the file damaged: %v", s.Err())
		}
	}()
	_ = s.View(func(*Tx) error {
		var m map[string]int
		m["x"] = 1
		return nil
	})
}
