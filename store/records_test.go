package store

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestAlertJSONIsEncodingJSONs: the JSON an alert is stored as, written
// without reflection, is byte for byte what encoding/json writes, for
// alerts with every field set or not, strings with characters JSON
// escapes (HTML, control characters, U+2028, invalid UTF-8), times in
// several zones and scores of every size; the alerts it leaves to
// encoding/json are those encoding/json writes in its rarer forms or
// refuses.
func TestAlertJSONIsEncodingJSONs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", "a", "Lỗ hổng", "<b>&amp;</b>", "\"q\"", `\`, "\n\r\t\b\f", "\x00\x1f\x7f", "\u2028\u2029",
		"\xff", "\xe2\x80", "日本語", "é", "CVE-2026-1234", "https://example.org/?a=1&b=2", " ", "\U0001F600"}
	str := func() string {
		var s string
		for range r.IntN(4) {
			s += pieces[r.IntN(len(pieces))]
		}
		return s
	}
	strs := func() []string {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+r.IntN(3))
		for i := range out {
			out[i] = str()
		}
		return out
	}
	zones := []*time.Location{time.UTC, time.FixedZone("ICT", 7*3600), time.FixedZone("", -(3*3600 + 30*60)),
		time.FixedZone("odd", 5*3600+45*60+30), time.FixedZone("far", 25*3600), time.Local}
	when := func() time.Time {
		switch r.IntN(20) {
		case 0:
			return time.Time{}
		case 1:
			return time.Date(10000+r.IntN(5), 1, 1, 0, 0, 0, 0, time.UTC) // refused by encoding/json
		case 2:
			return time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		return time.Unix(r.Int64N(1<<34), r.Int64N(1e9)*int64(r.IntN(2))).In(zones[r.IntN(len(zones))])
	}
	scores := []float64{0, 9.8, 7, 0.1, 1e-7, 1e-6, 1e20, 1e21, 123456789.125, -2.5, math.NaN(), math.Inf(1)}
	fast := 0
	for i := range 20000 {
		a := Alert{V: r.IntN(3), ID: r.Uint64N(1 << 40), Source: str(), SourceTitle: str(), Key: str(), Title: str(),
			Summary: str(), Link: str(), Published: when(), FirstSeen: when(), Severity: Severity(str()),
			Score: scores[r.IntN(len(scores))], CVEs: strs(), Vendors: strs(), Exploited: r.IntN(2) == 0,
			SeverityDefault: r.IntN(2) == 0, News: r.IntN(2) == 0, KEV: strs(), Related: strs(), DateOnly: r.IntN(2) == 0,
			Ransomware: r.IntN(2) == 0, Action: str(), Due: when(), Hash: str(), Author: r.Int64N(3) - 1,
			AuthorName: str(), Audience: strs(), Pushed: r.IntN(2) == 0}
		if i%50 == 0 {
			a.Updates = []AlertUpdate{{At: when(), Kind: UpdateExploited}}
		}
		if i%70 == 0 {
			a.Copy = &MessageRef{ChatID: -5, MessageID: 9}
		}
		want, wantErr := json.Marshal(&a)
		got, ok := a.appendJSON(nil)
		switch {
		case ok && (wantErr != nil || !bytes.Equal(got, want)):
			t.Fatalf("alert %+v:\n got  %s\n want %s (%v)", a, got, want, wantErr)
		case !ok && len(a.Updates) == 0 && a.Copy == nil && wantErr == nil && plainFloat(a.Score) &&
			!bytes.Contains(want, []byte(`"1000`)) && !bytes.Contains(want, []byte(`"-`)):
			t.Fatalf("alert %+v left to encoding/json, which writes it plainly: %s", a, want)
		case ok:
			fast++
		}
	}
	if fast < 5000 {
		t.Fatalf("only %d of 20,000 alerts written without reflection", fast)
	}
}

// TestAlertJSONKnowsEveryField: an alert with every field set (each by
// reflection, so a field added to Alert later is set too) is written
// without reflection exactly as encoding/json writes it, or left to
// encoding/json. A field the hand-written form does not know would
// otherwise be dropped from every newly stored alert.
func TestAlertJSONKnowsEveryField(t *testing.T) {
	var a Alert
	v := reflect.ValueOf(&a).Elem()
	at := time.Date(2026, 11, 29, 8, 30, 0, 0, time.FixedZone("ICT", 7*3600))
	for i := range v.NumField() {
		f := v.Field(i)
		switch name := v.Type().Field(i).Name; {
		case name == "Updates" || name == "Copy":
			continue // alerts with these are left to encoding/json
		case f.Type() == reflect.TypeOf(time.Time{}):
			f.Set(reflect.ValueOf(at))
		case f.Kind() == reflect.String:
			f.SetString("x")
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.CanInt():
			f.SetInt(1)
		case f.CanUint():
			f.SetUint(1)
		case f.CanFloat():
			f.SetFloat(7.5)
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
			f.Set(reflect.ValueOf([]string{"x"}).Convert(f.Type()))
		default:
			t.Fatalf("Alert.%s (%s): set it here and teach Alert.appendJSON to write it", name, f.Type())
		}
	}
	got, ok := a.appendJSON(nil)
	if !ok {
		t.Fatal("an alert with every plain field set was left to encoding/json")
	}
	want, err := json.Marshal(&a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("written without reflection:\n%s\nencoding/json:\n%s", got, want)
	}
}
