package bot

import (
	"github.com/canhbao/canhbao/store"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// englishWords are English words that have slipped into Vietnamese
// messages before, or could: state names, Telegram's errors, actions.
var englishWords = map[string]bool{
	"the": true, "and": true, "of": true, "to": true, "is": true, "for": true, "your": true, "you": true,
	"error": true, "failed": true, "sent": true, "queued": true, "pending": true, "approved": true,
	"rejected": true, "delivery": true, "delivered": true, "source": true, "sources": true, "alert": true,
	"alerts": true, "chat": true, "user": true, "filter": true, "report": true, "queue": true,
	"broadcast": true, "audit": true, "retry": true, "unknown": true, "none": true, "done": true,
	"forbidden": true, "bad": true, "request": true, "kicked": true, "blocked": true, "found": true,
	"not": true, "gave": true, "after": true, "please": true, "acknowledge": true, "acknowledged": true,
	"agency": true, "agencies": true, "department": true, "reminder": true, "overdue": true, "export": true,
}

var (
	tagOrEntity = regexp.MustCompile(`<[^>]*>|&[a-z]+;|%[-+# 0-9.]*[a-zA-Z%]|\{dept\}`)
	codeSpan    = regexp.MustCompile(`<code>[^<]*</code>`)
	slashCmd    = regexp.MustCompile(`/[a-z_]+`)
	envName     = regexp.MustCompile(`\b[A-Z][A-Z0-9_]{3,}\b`)
	// loneSo is "Sở" not followed by the name of one (a capital letter),
	// which an agency that is itself a Sở cannot tell from its own.
	loneSo = regexp.MustCompile(`Sở(\s*$|\s*[^\s\p{Lu}{]|\s+\p{Ll})`)
)

// TestVietnameseWording reads every Vietnamese sentence of the catalogue
// for what the style guide forbids: "bạn", "các bạn", "mình"; English
// words; a bare "Sở" where the department's name belongs.
func TestVietnameseWording(t *testing.T) {
	for key, tx := range catalog {
		vi := tx.vi
		words := strings.FieldsFunc(strings.ToLower(vi), func(r rune) bool { return !unicode.IsLetter(r) })
		for _, w := range words {
			if w == "bạn" || w == "mình" {
				t.Errorf("%s: %q addresses the reader informally (%q); write Quý đơn vị", key, vi, w)
			}
		}
		plain := slashCmd.ReplaceAllString(envName.ReplaceAllString(tagOrEntity.ReplaceAllString(codeSpan.ReplaceAllString(vi, ""), " "), " "), " ")
		for _, w := range strings.FieldsFunc(plain, func(r rune) bool { return !unicode.IsLetter(r) }) {
			if englishWords[strings.ToLower(w)] {
				t.Errorf("%s: English word %q inside Vietnamese %q", key, w, vi)
			}
		}
		if loneSo.MatchString(tagOrEntity.ReplaceAllString(vi, "{")) {
			t.Errorf("%s: a bare \"Sở\" in %q; use {dept}", key, vi)
		}
	}
}

// TestWordingCheckCatches: the checks above fail on the mistakes they
// are for.
func TestWordingCheckCatches(t *testing.T) {
	for s, want := range map[string]bool{
		"Đã gửi yêu cầu tới Sở.":       true,
		"cán bộ Sở duyệt":              true,
		"gửi Sở Khoa học và Công nghệ": false,
		"gửi {dept}.":                  false,
		"ví dụ /subscribe Sở Y tế":     false,
	} {
		if got := loneSo.MatchString(s); got != want {
			t.Errorf("loneSo(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestReasonsInVietnamese(t *testing.T) {
	r := NewRenderer(Vietnamese)
	tests := map[string]string{
		"403 Forbidden: bot was kicked from the group chat":                                      "bot đã bị xóa khỏi nhóm",
		"403 Forbidden: bot was blocked by the user":                                             "người nhận đã chặn bot",
		"400 Bad Request: chat not found":                                                        "không tìm thấy nhóm (nhóm đã bị xóa hoặc mã nhóm không đúng)",
		"400 Bad Request: not enough rights to send text messages":                               "bot không có quyền gửi tin trong nhóm",
		"429 Too Many Requests: retry after 5":                                                   "Telegram yêu cầu tạm dừng do gửi quá nhanh; tin sẽ được gửi lại",
		"502 Bad Gateway":                                                                        "máy chủ Telegram tạm thời gặp lỗi",
		"gave up after 24h0m0s: 502 Bad Gateway":                                                 "đã dừng thử lại sau 24 giờ: máy chủ Telegram tạm thời gặp lỗi",
		"gave up after 4s: Post \"https://api.telegram.org/bot…\": dial tcp: connection refused": "đã dừng thử lại sau 4 giây: không kết nối được tới Telegram",
		"bot kicked by Lê Chủ Nhóm":                                                              "Lê Chủ Nhóm đã xóa bot khỏi nhóm",
		"unsubscribed":                                                                           "đơn vị đã hủy đăng ký",
		"400 Bad Request: <weird>":                                                               "lỗi khác, chi tiết kỹ thuật: <code>400 Bad Request: &lt;weird&gt;</code>",
	}
	for in, want := range tests {
		if got := r.Reason(in); got != want {
			t.Errorf("Reason(%q) = %q, want %q", in, got, want)
		}
	}
	if got := NewRenderer(English).Reason("400 Bad Request: a < b"); got != "400 Bad Request: a &lt; b" {
		t.Errorf("English reason %q", got)
	}
}

func TestSourceErrorsInVietnamese(t *testing.T) {
	r := NewRenderer(Vietnamese)
	tests := map[string]string{
		"feeds: fetch https://x.example/feed: HTTP 404 Not Found":                     "máy chủ của nguồn trả lời lỗi.",
		"feeds: fetch https://x.example/: dial tcp: lookup x.example: no such host":   "không tìm thấy máy chủ của nguồn",
		`feeds: parse ncsc: item selector "li.x" matched nothing on the page (has …)`: "trang có thể đã đổi giao diện",
		"feeds: fetch https://x/: no complete answer within 1m0s":                     "máy chủ của nguồn không trả lời kịp.",
		"something new": "không đọc được nguồn.",
	}
	for in, want := range tests {
		got := r.SourceError(in)
		if !strings.HasPrefix(got, want) && !strings.Contains(got, want) || !strings.Contains(got, "<code>"+Esc(in)+"</code>") {
			t.Errorf("SourceError(%q) = %q, want %q and the detail", in, got, want)
		}
	}
}

func TestAuditActionsTranslated(t *testing.T) {
	r := NewRenderer(Vietnamese)
	for _, a := range []string{"broadcast", "export", "filter", "approved", "rejected", "source add", "source pause", "source resume", "source remove",
		"tag", "untag", "forget", store.AuditDashboardLink, store.AuditDashboardRefused, store.AuditDashboardSignIn,
		store.AuditDashboardBadLink, store.AuditDashboardLogout, store.AuditDashboardRevoked} {
		if got := r.AuditAction(a); got == a {
			t.Errorf("audit action %q has no Vietnamese name", a)
		}
	}
	if got := r.AuditAction("something new"); got != "something new" {
		t.Errorf("unknown action shown as %q", got)
	}
}
