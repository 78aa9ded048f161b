package bot

import (
	"fmt"
	"time"

	"github.com/canhbao/canhbao/store"
)

// Lang is the language of every message the bot sends.
type Lang string

// The supported languages. Vietnamese is the default: the readers are
// Vietnamese civil servants.
const (
	Vietnamese Lang = "vi"
	English    Lang = "en"
)

// text is one message in both languages. Arguments are HTML-escaped by the
// caller before they are formatted in.
type text struct{ vi, en string }

// catalog holds every user-facing sentence, so that a reviewer can read the
// Vietnamese wording in one place.
var catalog = map[string]text{
	"ack.button":                {"✅ Đã nhận", "✅ Acknowledge"},
	"card.source":               {"Nguồn: %s", "Source: %s"},
	"card.published":            {"Thời gian công bố: %s", "Published: %s"},
	"card.cve":                  {"CVE: %s", "CVE: %s"},
	"card.vendors":              {"Hãng/sản phẩm: %s", "Vendors/products: %s"},
	"card.exploited":            {"⚠️ <b>Đang bị khai thác trong thực tế</b>", "⚠️ <b>Exploited in the wild</b>"},
	"card.kev":                  {"⚠️ <b>%s có trong danh mục KEV</b> (danh mục lỗ hổng đã bị khai thác của CISA)", "⚠️ <b>%s is in the KEV catalogue</b> (CISA's known exploited vulnerabilities)"},
	"card.ransomware":           {"☠️ <b>Đã được dùng trong các chiến dịch mã độc tống tiền</b>", "☠️ <b>Known to be used in ransomware campaigns</b>"},
	"card.required":             {"Yêu cầu: %s", "Required action: %s"},
	"card.required_due":         {"Yêu cầu: %s (hạn %s)", "Required action: %s (due %s)"},
	"card.default_severity":     {"mức mặc định của nguồn", "source's default level"},
	"card.news":                 {"TIN TỨC/THÔNG TIN", "NEWS/INFORMATION"},
	"card.news_action":          {"Đề nghị các đơn vị bấm <b>Đã nhận</b> hoặc gửi /ack %d để xác nhận đã đọc.", "Please press <b>Acknowledge</b> or send /ack %d to confirm you have read it."},
	"kev.action.mitigate":       {"áp dụng biện pháp giảm thiểu theo hướng dẫn của hãng, tuân theo hướng dẫn BOD 22-01 đối với dịch vụ đám mây, hoặc ngừng sử dụng sản phẩm nếu không có biện pháp giảm thiểu", "Apply mitigations per vendor instructions, follow applicable BOD 22-01 guidance for cloud services, or discontinue use of the product if mitigations are unavailable."},
	"kev.action.mitigate_short": {"áp dụng biện pháp giảm thiểu theo hướng dẫn của hãng hoặc ngừng sử dụng sản phẩm nếu không có biện pháp giảm thiểu", "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable."},
	"kev.action.update":         {"cập nhật bản vá theo hướng dẫn của hãng", "Apply updates per vendor instructions."},
	"kev.action.eol":            {"sản phẩm đã hết vòng đời hỗ trợ, cần ngắt kết nối nếu còn sử dụng", "The impacted product is end-of-life and should be disconnected if still in use."},
	"kev.action.update_or_stop": {"cập nhật bản vá theo hướng dẫn của hãng hoặc ngừng sử dụng sản phẩm nếu không có bản cập nhật", "Apply updates per vendor instructions or discontinue use of the product if updates are unavailable."},
	"kev.action.other":          {"thực hiện biện pháp khắc phục theo hướng dẫn của CISA và của hãng", "Follow CISA's and the vendor's remediation instructions."},
	"card.required_quote":       {"<i>Nguyên văn yêu cầu: %s</i>", "<i>As written: %s</i>"},
	"date.day":                  {"02/01/2006", "02 Jan 2006"},
	"card.department":           {"Sở Thông tin và Truyền thông", "Department of Information and Communications"},
	"card.link":                 {"Xem chi tiết", "Details"},
	"card.acked":                {"✅ Đã nhận: %s", "✅ Acknowledged: %s"},
	"card.action":               {"Đề nghị các đơn vị kiểm tra, rà soát hệ thống và bấm <b>Đã nhận</b> hoặc gửi /ack %d.", "Please check your systems and press <b>Acknowledge</b> or send /ack %d."},
	"digest.title":              {"📋 <b>Tổng hợp %d cảnh báo mới từ %s</b>", "📋 <b>%d new alerts from %s</b>"},
	"digest.count":              {"%s: %d", "%s: %d"},
	"digest.more":               {"… và %d cảnh báo khác: /pending", "… and %d more: /pending"},
	"digest.hint":               {"Bấm <b>Đã nhận</b> để xác nhận tất cả cảnh báo trong bản tổng hợp này.", "Press <b>Acknowledge</b> to acknowledge every alert in this digest."},
	"followup":                  {"🔁 %s · %s\n%s\n%sCùng lỗ hổng với cảnh báo #%d (%s) mà đơn vị đã nhận.", "🔁 %s · %s\n%s\n%sSame vulnerability as alert #%d (%s), which you already received."},
	"ack.button_done":           {"✅ Đã nhận (%d): %s", "✅ Acknowledged (%d): %s"},
	"sev.critical":              {"Nghiêm trọng", "Critical"},
	"sev.high":                  {"Cao", "High"},
	"sev.medium":                {"Trung bình", "Medium"},
	"sev.low":                   {"Thấp", "Low"},
	"sev.unknown":               {"Chưa xác định", "Unknown"},
	"date.layout":               {"15:04 02/01/2006", "02 Jan 2006 15:04"},
	"time.layout":               {"15:04 02/01", "15:04 02 Jan"},
	"age.minutes":               {"%d phút", "%d min"},
	"age.hours":                 {"%d giờ", "%d h"},
	"age.days":                  {"%d ngày", "%d days"},
	"age.dayshours":             {"%d ngày %d giờ", "%d days %d h"},
	"help.intro":                {"🛡 <b>canhbao</b> chuyển cảnh báo an toàn thông tin của Sở tới nhóm Telegram của các cơ quan, đơn vị và ghi nhận đơn vị nào đã nhận.", "🛡 <b>canhbao</b> relays the department's cybersecurity warnings to agencies' Telegram groups and records who has acknowledged them."},
	"help.agency":               {"<b>Lệnh cho đơn vị</b>", "<b>Commands for agencies</b>"},
	"help.admin":                {"<b>Lệnh cho cán bộ Sở</b>", "<b>Commands for department staff</b>"},
	"cmd.subscribe":             {"/subscribe &lt;tên đơn vị&gt; — đăng ký nhận cảnh báo cho nhóm này", "/subscribe &lt;agency name&gt; — subscribe this group"},
	"cmd.ack":                   {"/ack &lt;số&gt; — xác nhận đã nhận cảnh báo (hoặc trả lời /ack vào tin cảnh báo)", "/ack &lt;number&gt; — acknowledge an alert (or reply /ack to it)"},
	"cmd.done":                  {"/done &lt;số&gt; &lt;nội dung&gt; — báo cáo kết quả xử lý (đồng thời xác nhận đã nhận)", "/done &lt;number&gt; &lt;text&gt; — report what was done (also acknowledges)"},
	"cmd.pending":               {"/pending — cảnh báo nhóm chưa xác nhận", "/pending — alerts this group has not acknowledged"},
	"cmd.filter":                {"/filter — xem và đặt bộ lọc cảnh báo của nhóm", "/filter — show or set this group's filter"},
	"cmd.unsubscribe":           {"/unsubscribe — ngừng nhận cảnh báo (quản trị nhóm)", "/unsubscribe — stop receiving alerts (group admins)"},
	"cmd.id":                    {"/id — mã nhóm và mã người dùng của bạn", "/id — this chat's id and your user id"},
	"id":                        {"Mã cuộc trò chuyện (chat id): <code>%d</code>\nMã người dùng của bạn (user id): <code>%d</code>", "Chat id: <code>%d</code>\nYour user id: <code>%d</code>"},
	"menu.ack":                  {"Xác nhận đã nhận cảnh báo", "Acknowledge an alert"},
	"menu.done":                 {"Báo cáo kết quả xử lý cảnh báo", "Report what was done about an alert"},
	"menu.pending":              {"Cảnh báo nhóm chưa xác nhận", "Alerts not yet acknowledged here"},
	"menu.subscribe":            {"Đăng ký nhận cảnh báo cho nhóm", "Subscribe this group"},
	"menu.filter":               {"Xem, đặt bộ lọc cảnh báo", "Show or set the filter"},
	"menu.unsubscribe":          {"Ngừng nhận cảnh báo", "Stop receiving alerts"},
	"menu.id":                   {"Mã nhóm và mã người dùng", "Chat id and user id"},
	"menu.help":                 {"Hướng dẫn sử dụng", "Help"},
	"menu.report":               {"Đơn vị nào đã nhận một cảnh báo", "Who acknowledged an alert"},
	"menu.overdue":              {"Đơn vị quá hạn xác nhận", "Agencies past their deadline"},
	"menu.alerts":               {"Cảnh báo gần đây", "Recent alerts"},
	"menu.agencies":             {"Danh sách đơn vị", "Agencies"},
	"menu.queue":                {"Hàng đợi gửi tin", "Delivery queue"},
	"menu.approve":              {"Duyệt đăng ký của một nhóm", "Approve a chat"},
	"menu.reject":               {"Từ chối đăng ký của một nhóm", "Reject a chat"},
	"menu.broadcast":            {"Phát hành cảnh báo của Sở", "Publish a department advisory"},
	"menu.export":               {"Xuất báo cáo CSV", "CSV export"},
	"menu.audit":                {"Nhật ký thao tác quản trị", "Admin action log"},
	"menu.sources":              {"Tình trạng các nguồn cảnh báo", "Source health"},
	"menu.source":               {"Thêm, tạm dừng, xóa nguồn", "Add, pause or remove a source"},
	"cmd.help":                  {"/help — hướng dẫn", "/help — this help"},
	"cmd.approve":               {"/approve &lt;chat_id&gt;, /reject &lt;chat_id&gt; — duyệt hoặc từ chối đăng ký", "/approve &lt;chat_id&gt;, /reject &lt;chat_id&gt; — decide a subscription"},
	"cmd.report":                {"/report &lt;số&gt; — đơn vị nào đã nhận cảnh báo", "/report &lt;number&gt; — who has acknowledged an alert"},
	"cmd.agencies":              {"/agencies — danh sách đơn vị", "/agencies — list agencies"},
	"cmd.alerts":                {"/alerts — cảnh báo gần đây", "/alerts — recent alerts"},
	"cmd.queue":                 {"/queue — hàng đợi gửi tin", "/queue — the delivery queue"},
	"cmd.overdue":               {"/overdue — đơn vị quá hạn xác nhận", "/overdue — agencies past their deadline"},
	"cmd.broadcast":             {"/broadcast &lt;nội dung&gt; — phát hành cảnh báo của Sở", "/broadcast &lt;text&gt; — publish a department advisory"},
	"cmd.export":                {"/export [số] — xuất báo cáo CSV", "/export [number] — CSV export"},
	"cmd.audit":                 {"/audit — nhật ký thao tác quản trị", "/audit — admin action log"},
	"cmd.sources":               {"/sources, /source add|pause|resume|remove — nguồn cảnh báo", "/sources, /source add|pause|resume|remove — alert sources"},
	"err.unknown_cmd":           {"Lệnh không hợp lệ. Gõ /help để xem các lệnh.", "Unknown command. Send /help for the list."},
	"err.admin_only":            {"⛔ Lệnh này chỉ dành cho cán bộ Sở.", "⛔ This command is for department staff only."},
	"err.private_only":          {"⛔ Lệnh này chỉ dùng trong nhóm của Sở hoặc tin nhắn riêng với bot.", "⛔ Use this command in the department's chat or in a private chat with the bot."},
	"err.chat_admin":            {"⛔ Chỉ quản trị viên của nhóm hoặc cán bộ Sở mới được thực hiện thao tác này.", "⛔ Only a group administrator or department staff may do this."},
	"err.bad_id":                {"Số cảnh báo không hợp lệ: %s. Ví dụ: /ack 12", "Not a valid alert number: %s. Example: /ack 12"},
	"err.no_alert":              {"Không tìm thấy cảnh báo #%d.", "There is no alert #%d."},
	"err.not_delivered":         {"Cảnh báo #%d chưa được gửi tới nhóm này.", "Alert #%d has not been delivered to this chat."},
	"err.bad_chat":              {"Mã nhóm không hợp lệ: %s. Ví dụ: /approve -1001234567890", "Not a valid chat id: %s. Example: /approve -1001234567890"},
	"err.no_chat":               {"Không tìm thấy nhóm %d trong danh sách đăng ký.", "Chat %d has not asked to subscribe."},
	"err.slow_down":             {"⏳ Đã nhận nhiều lệnh liên tiếp. Các lệnh vẫn được thực hiện, nhưng trong một phút tới bot sẽ không trả lời thêm; đề nghị chờ giây lát rồi gửi lại nếu cần.", "⏳ Many commands in a row. They are still carried out, but the bot will not answer more of them for a minute; please wait a moment and send again if needed."},
	"err.internal":              {"⚠️ Có lỗi khi xử lý yêu cầu. Vui lòng thử lại sau.", "⚠️ Something went wrong. Please try again later."},
	"err.not_subscribed":        {"Nhóm này chưa đăng ký nhận cảnh báo. Gửi /subscribe &lt;tên đơn vị&gt; để đăng ký.", "This chat is not subscribed. Send /subscribe &lt;agency name&gt;."},
	"ack.usage":                 {"Cách dùng: /ack &lt;số cảnh báo&gt;, ví dụ /ack 12, hoặc trả lời /ack vào tin cảnh báo.", "Usage: /ack &lt;alert number&gt;, e.g. /ack 12, or reply /ack to the alert."},
	"ack.done":                  {"✅ %s đã xác nhận cảnh báo %s lúc %s.", "✅ %s acknowledged alert %s at %s."},
	"ack.again":                 {"ℹ️ %s đã xác nhận cảnh báo %s trước đó.", "ℹ️ %s had already acknowledged alert %s."},
	"ack.toast":                 {"Đã ghi nhận xác nhận.", "Acknowledgement recorded."},
	"ack.toast_again":           {"Cảnh báo này đã được xác nhận trước đó.", "This alert was already acknowledged."},
	"ack.toast_unknown":         {"Tin nhắn này không gắn với cảnh báo nào.", "This message carries no alert."},
	"ack.reply_unknown":         {"Tin nhắn được trả lời không gắn với cảnh báo nào. Dùng /ack &lt;số&gt;.", "The message you replied to carries no alert. Use /ack &lt;number&gt;."},
	"done.usage":                {"Cách dùng: /done &lt;số cảnh báo&gt; &lt;kết quả xử lý&gt;, ví dụ /done 12 đã vá 40/42 máy; hoặc trả lời tin cảnh báo bằng /done &lt;kết quả xử lý&gt;.", "Usage: /done &lt;alert number&gt; &lt;what was done&gt;, e.g. /done 12 patched 40/42 machines; or reply to the alert with /done &lt;what was done&gt;."},
	"done.updated":              {"📝 Đã cập nhật báo cáo xử lý cho %s.", "📝 Remediation report updated for %s."},
	"pending.none":              {"✅ Nhóm đã xác nhận tất cả cảnh báo.", "✅ This chat has acknowledged every alert."},
	"pending.title":             {"<b>Cảnh báo chưa xác nhận (%d)</b>", "<b>Unacknowledged alerts (%d)</b>"},
	"pending.hint":              {"Gửi /ack &lt;số&gt; để xác nhận.", "Send /ack &lt;number&gt; to acknowledge."},
	"sub.usage":                 {"Cách dùng: /subscribe &lt;tên đơn vị&gt;, ví dụ /subscribe Sở Y tế", "Usage: /subscribe &lt;agency name&gt;, e.g. /subscribe Department of Health"},
	"sub.pending":               {"📨 Đã gửi yêu cầu đăng ký của <b>%s</b> tới Sở. Nhóm sẽ nhận cảnh báo sau khi được duyệt.", "📨 The request for <b>%s</b> was sent to the department. Alerts start once it is approved."},
	"sub.already_pending":       {"Yêu cầu đăng ký của nhóm đang chờ Sở duyệt.", "This chat's request is waiting for the department's approval."},
	"sub.rejected_wait":         {"Sở đã từ chối yêu cầu đăng ký trước của nhóm. Nhóm có thể gửi lại yêu cầu từ %s; nếu cần sớm hơn, đề nghị liên hệ trực tiếp với Sở.", "The department declined this chat's last request. The chat may ask again from %s; contact the department directly if it cannot wait."},
	"sub.already":               {"Nhóm đã đăng ký nhận cảnh báo (<b>%s</b>).", "This chat is already subscribed (<b>%s</b>)."},
	"sub.restored":              {"✅ Đã khôi phục đăng ký của <b>%s</b>. Nhóm tiếp tục nhận cảnh báo.", "✅ The subscription of <b>%s</b> is restored."},
	"verb.add":                  {"thêm", "added"},
	"verb.pause":                {"tạm dừng", "paused"},
	"verb.resume":               {"tiếp tục", "resumed"},
	"verb.remove":               {"xóa", "removed"},
	"sub.approved_group":        {"✅ Sở đã duyệt đăng ký của <b>%s</b>. Từ nay, nhóm sẽ nhận cảnh báo an toàn thông tin.\nBấm <b>Đã nhận</b> dưới mỗi cảnh báo hoặc gửi /ack &lt;số&gt;.", "✅ The department approved <b>%s</b>. This chat now receives cybersecurity alerts.\nPress <b>Acknowledge</b> under each alert or send /ack &lt;number&gt;."},
	"sub.rejected_group":        {"Sở đã từ chối yêu cầu đăng ký của nhóm. Liên hệ Sở nếu cần.", "The department declined this chat's request. Contact the department if needed."},
	"sub.unsubscribed":          {"Đã ngừng gửi cảnh báo tới nhóm. Lịch sử được giữ lại; gửi /subscribe để đăng ký lại.", "Alerts to this chat are stopped. History is kept; send /subscribe to subscribe again."},
	"admin.approved":            {"✅ Đã duyệt %s (%d).", "✅ Approved %s (%d)."},
	"admin.rejected":            {"❌ Đã từ chối %s (%d).", "❌ Rejected %s (%d)."},
	"admin.already":             {"%s (%d) đang ở trạng thái: %s.", "%s (%d) is already %s."},
	"btn.approve":               {"✅ Duyệt %s", "✅ Approve %s"},
	"btn.reject":                {"❌ Từ chối", "❌ Reject"},
	"status.pending":            {"chờ duyệt", "pending"},
	"status.approved":           {"đã duyệt", "approved"},
	"status.rejected":           {"bị từ chối", "rejected"},
	"status.unsubscribed":       {"đã hủy đăng ký", "unsubscribed"},
	"status.gone":               {"không gửi được", "unreachable"},
	"notice.subscribe_request":  {"📨 <b>Yêu cầu đăng ký</b>: %s\nNhóm: %s (<code>%d</code>)\nNgười gửi: %s (<code>%d</code>)\nDuyệt: /approve %d — Từ chối: /reject %d", "📨 <b>Subscription request</b>: %s\nChat: %s (<code>%d</code>)\nFrom: %s (<code>%d</code>)\nApprove: /approve %d — Reject: /reject %d"},
	"notice.approved":           {"✅ %s đã duyệt %s (<code>%d</code>).", "✅ %s approved %s (<code>%d</code>)."},
	"notice.rejected":           {"❌ %s đã từ chối %s (<code>%d</code>).", "❌ %s rejected %s (<code>%d</code>)."},
	"notice.unsubscribed":       {"🔕 %s (<code>%d</code>) đã hủy nhận cảnh báo, do %s (<code>%d</code>) thực hiện.", "🔕 %s (<code>%d</code>) unsubscribed, by %s (<code>%d</code>)."},
	"notice.restored":           {"🔔 %s (<code>%d</code>) đã đăng ký lại và được khôi phục.", "🔔 %s (<code>%d</code>) subscribed again and was restored."},
	"notice.chat_gone":          {"🚫 <b>Không gửi được tới %s</b> (<code>%d</code>): %s. Các tin đang chờ đã bị hủy; đơn vị cần thêm lại bot và gửi /subscribe.", "🚫 <b>Cannot reach %s</b> (<code>%d</code>): %s. Its queued messages were dropped; the agency must re-add the bot and send /subscribe."},
	"notice.migrated":           {"ℹ️ Nhóm %s đã chuyển thành siêu nhóm: %s → <code>%d</code>. Đăng ký và lịch sử đã được chuyển theo.", "ℹ️ %s became a supergroup: %s → <code>%d</code>. Subscription and history moved with it."},
	"notice.delivery_failed":    {"⚠️ <b>Gửi thất bại</b> %s tới %s (<code>%d</code>): %s", "⚠️ <b>Delivery failed</b>: %s to %s (<code>%d</code>): %s"},
	"notice.source_down":        {"📡 <b>Nguồn %s gặp lỗi</b> từ %s: %s", "📡 <b>Source %s failing</b> since %s: %s"},
	"notice.source_up":          {"📡 Nguồn %s đã hoạt động trở lại.", "📡 Source %s is working again."},
	"notice.escalation":         {"🚨 <b>Cảnh báo #%d chưa được xác nhận sau %s</b>\n%s\nĐơn vị chưa xác nhận (%d): %s", "🚨 <b>Alert #%d unacknowledged after %s</b>\n%s\nAgencies that have not acknowledged (%d): %s"},
	"notice.ingest_held":        {"📥 <b>Nguồn %s có %d cảnh báo mới trong một lần đọc</b>. Để tránh gửi dồn dập, chỉ %d cảnh báo có mức độ cao nhất và mới nhất được gửi tới các đơn vị; %d cảnh báo còn lại đã được lưu nhưng không gửi. Đề nghị kiểm tra nguồn (nguồn có thể đã đổi cách đánh mã tin) và xem các cảnh báo bằng /alerts.", "📥 <b>Source %s brought %d new alerts in one poll</b>. To avoid a flood, only the %d most severe and newest were sent to the agencies; the other %d were stored but not sent. Please check the source (it may have changed how it identifies items) and see the alerts with /alerts."},
	"report.title":              {"📊 <b>Báo cáo cảnh báo #%d</b>\n%s", "📊 <b>Report for alert #%d</b>\n%s"},
	"report.total":              {"<b>%d/%d đã xác nhận</b>", "<b>%d/%d acknowledged</b>"},
	"report.states":             {"Đã gửi %d · đang chờ %d · thất bại %d", "Sent %d · queued %d · failed %d"},
	"report.acked":              {"✅ %s — %s: %s", "✅ %s — %s: %s"},
	"report.by":                 {"%s lúc %s", "%s at %s"},
	"report.not_acked":          {"⏳ %s — chưa nhận (%s)", "⏳ %s — not acknowledged (%s)"},
	"report.note":               {"   📝 %s, %s: %s", "   📝 %s, %s: %s"},
	"report.none":               {"Cảnh báo #%d chưa được gửi tới đơn vị nào.", "Alert #%d has not been sent to any agency."},
	"state.queued":              {"đang chờ gửi", "queued"},
	"state.sent":                {"đã gửi lúc %s", "delivered %s"},
	"state.failed":              {"gửi thất bại: %s", "failed: %s"},
	"agencies.title":            {"<b>Đơn vị (%d)</b>", "<b>Agencies (%d)</b>"},
	"agencies.none":             {"Chưa có đơn vị nào đăng ký.", "No agency has subscribed yet."},
	"agencies.row":              {"%s %s — <code>%d</code> — %s", "%s %s — <code>%d</code> — %s"},
	"alerts.title":              {"<b>Cảnh báo gần đây</b>", "<b>Recent alerts</b>"},
	"alerts.none":               {"Chưa có cảnh báo nào.", "No alerts yet."},
	"alerts.row":                {"#%d %s %s — %d/%d đã xác nhận", "#%d %s %s — %d/%d acknowledged"},
	"welcome.group":             {"👋 Xin chào! Tôi là bot cảnh báo an toàn thông tin của Sở.\nĐể nhận cảnh báo, gửi /subscribe &lt;tên đơn vị&gt;, ví dụ: /subscribe Sở Y tế", "👋 Hello! I relay the department's cybersecurity warnings.\nTo receive them, send /subscribe &lt;agency name&gt;."},
	"broadcast.usage":           {"Cách dùng: /broadcast &lt;nội dung&gt; (dòng đầu là tiêu đề; mức độ đặt ở đầu, ví dụ: /broadcast [cao] Cảnh báo … hoặc /broadcast nghiêm trọng: Cảnh báo …), hoặc trả lời /broadcast vào tin có văn bản, ảnh.", "Usage: /broadcast &lt;text&gt; (the first line is the title; a severity may lead it, e.g. /broadcast [high] Warning … or /broadcast critical: Warning …), or reply /broadcast to a message with a document or photo."},
	"broadcast.untitled":        {"Văn bản của Sở", "Department advisory"},
	"broadcast.done":            {"📢 Đã phát hành cảnh báo #%d “%s” tới %d đơn vị.", "📢 Published alert #%d “%s” to %d agencies."},
	"overdue.none":              {"✅ Không có đơn vị nào quá hạn xác nhận.", "✅ No agency is past its deadline."},
	"overdue.title":             {"<b>Đơn vị quá hạn xác nhận (%d)</b>", "<b>Agencies past their deadline (%d)</b>"},
	"overdue.row":               {"⏳ %s (<code>%d</code>) — %d cảnh báo: %s — lâu nhất %s", "⏳ %s (<code>%d</code>) — %d alerts: %s — oldest %s"},
	"export.caption":            {"📎 Báo cáo xác nhận cảnh báo (CSV, mở được bằng Excel)", "📎 Acknowledgement report (CSV, opens in Excel)"},
	"audit.none":                {"Chưa có thao tác quản trị nào.", "No admin action yet."},
	"audit.title":               {"<b>Nhật ký thao tác quản trị</b>", "<b>Admin actions</b>"},
	"queue.title":               {"<b>Hàng đợi gửi tin</b>", "<b>Delivery queue</b>"},
	"queue.counts":              {"Đang chờ: %d · Đang thử lại: %d", "Waiting: %d · Retrying: %d"},
	"queue.retry":               {"🔁 %s%s → <code>%d</code>: lần %d, lỗi %s; thử lại lúc %s", "🔁 %s%s → <code>%d</code>: attempt %d, %s; next %s"},
	"queue.waiting_row":         {"🕓 %s%s → <code>%d</code>, chờ %s", "🕓 %s%s → <code>%d</code>, waiting %s"},
	"queue.more":                {"… và %d mục khác", "… and %d more"},
	"queue.failed":              {"<b>Gửi thất bại trong 7 ngày (%d)</b>", "<b>Failed in the last 7 days (%d)</b>"},
	"queue.failed_row":          {"❌ #%d → %s (<code>%d</code>): %s", "❌ #%d → %s (<code>%d</code>): %s"},
	"kind.alert":                {"cảnh báo", "alert"},
	"kind.digest":               {"tổng hợp", "digest"},
	"kind.followup":             {"bổ sung", "follow-up"},
	"kind.copy":                 {"văn bản", "document"},
	"kind.edit":                 {"cập nhật", "edit"},
	"kind.reminder":             {"nhắc việc", "reminder"},
	"kind.notice":               {"thông báo", "notice"},
	"kind.text":                 {"trả lời", "reply"},
	"kind.document":             {"tệp", "file"},
	"filter.view":               {"<b>Bộ lọc của %s</b>\nMức độ: %s\nTừ khóa/hãng: %s\nNguồn: %s", "<b>Filter of %s</b>\nSeverity: %s\nKeywords/vendors: %s\nSources: %s"},
	"filter.any":                {"tất cả", "any"},
	"filter.from":               {"từ %s trở lên", "%s and above"},
	"filter.usage":              {"Đặt bộ lọc: /filter mức cao · /filter từ khóa microsoft, fortinet · /filter nguồn cisa msrc · /filter xóa\n(bỏ trống giá trị để bỏ phần đó; cảnh báo của Sở luôn được gửi)", "Set: /filter min high · /filter keywords microsoft, fortinet · /filter sources cisa msrc · /filter reset\n(no value clears that part; department advisories always pass)"},
	"sources.none":              {"Chưa có nguồn nào.", "No sources."},
	"sources.title":             {"<b>Nguồn cảnh báo (%d)</b>", "<b>Sources (%d)</b>"},
	"sources.row":               {"%s <b>%s</b> (%s, mặc định %s) — lần đọc thành công gần nhất %s, %d mục — lần tới %s", "%s <b>%s</b> (%s, default %s) — last success %s, %d items — next %s"},
	"sources.error":             {"lỗi %s: %s", "error %s: %s"},
	"source.usage":              {"Cách dùng: /source add TÊN URL · /source pause TÊN · /source resume TÊN · /source remove TÊN", "Usage: /source add NAME URL · /source pause NAME · /source resume NAME · /source remove NAME"},
	"source.bad":                {"Nguồn không hợp lệ: %s", "Invalid source: %s"},
	"source.unknown":            {"Không có nguồn %s. Xem /sources.", "There is no source %s. See /sources."},
	"source.done":               {"✅ Đã %s nguồn %s.", "✅ Done (%s): source %s."},
	"ack.button_count":          {"✅ Đã nhận (%d)", "✅ Acknowledged (%d)"},
	"ack.button_all":            {"✅ Đã nhận tất cả (%d)", "✅ Acknowledge all (%d)"},
	"note.button":               {"📝 Báo cáo xử lý", "📝 Report what was done"},
	"notused.button":            {"➖ Không sử dụng", "➖ Not used here"},
	"note.prompt":               {"📝 %s, đề nghị trả lời tin nhắn này bằng kết quả xử lý cảnh báo #%d (ví dụ: đã cập nhật bản vá cho 40/42 máy).", "📝 %s, please reply to this message with what was done about alert #%d (e.g. patched 40 of 42 machines)."},
	"note.placeholder":          {"Kết quả xử lý", "What was done"},
	"note.toast":                {"Đề nghị trả lời tin nhắn yêu cầu báo cáo trong nhóm.", "Please answer the request in the group with what was done."},
	"notused.toast":             {"Đã ghi nhận: đơn vị không sử dụng sản phẩm này.", "Recorded: this agency does not use the product."},
	"done.noted":                {"📝 Đã ghi nhận báo cáo xử lý của %s cho cảnh báo %s lúc %s: %s", "📝 Recorded %s's report on alert %s at %s: %s"},
	"reminder.one":              {"⏰ <b>Nhắc việc:</b> cảnh báo #%d đã gửi được %s nhưng Quý đơn vị chưa xác nhận.", "⏰ <b>Reminder:</b> alert #%d was sent %s ago and has not been acknowledged."},
	"reminder.many":             {"⏰ <b>Nhắc việc:</b> Quý đơn vị chưa xác nhận %d cảnh báo:", "⏰ <b>Reminder:</b> %d alerts have not been acknowledged:"},
	"reminder.contact":          {"Đầu mối: %s", "Contact: %s"},
	"reminder.how":              {"Đề nghị Quý đơn vị kiểm tra, rà soát và bấm <b>Đã nhận</b> dưới tin này, trả lời tin này bằng “đã nhận”, hoặc gửi <code>/ack %s</code>.", "Please check and press <b>Acknowledge</b> below, reply “ok” to this message, or send <code>/ack %s</code>."},
	"ackstatus.open":            {"chưa nhận", "not acknowledged"},
	"ackstatus.acknowledged":    {"đã nhận", "acknowledged"},
	"ackstatus.remediated":      {"đã xử lý", "remediated"},
	"ackstatus.not_used":        {"không sử dụng", "not used"},
	"card.notused":              {"➖ Không sử dụng: %s", "➖ Not used: %s"},
	"card.noted":                {"📝 Đã xử lý: %s", "📝 Remediated: %s"},
	"escalation.title":          {"🚨 <b>%d cảnh báo chưa được xác nhận sau %s</b> (%d đơn vị)", "🚨 <b>%d alerts unacknowledged after %s</b> (%d agencies)"},
	"escalation.count":          {"%d đơn vị chưa xác nhận", "%d agencies have not acknowledged"},
	"escalation.more":           {"Danh sách đầy đủ: /overdue", "Full list: /overdue"},
	// The dashboard: sign-in in Telegram, then the web pages (plain text:
	// html/template escapes them).
	"cmd.dashboard":                      {"/dashboard — đường dẫn đăng nhập trang theo dõi (tin nhắn riêng); /dashboard logout — đăng xuất", "/dashboard — a sign-in link to the dashboard (private chat); /dashboard logout — sign out"},
	"menu.dashboard":                     {"Đăng nhập trang theo dõi trên web", "Sign in to the web dashboard"},
	"cmd.summary":                        {"/summary — biểu đồ tổng hợp 7 ngày qua", "/summary — the last 7 days in a chart"},
	"menu.summary":                       {"Biểu đồ tổng hợp tuần", "Weekly summary chart"},
	"dash.link":                          {"🔐 Đường dẫn đăng nhập trang theo dõi (chỉ dùng một lần, hiệu lực %[2]d phút):\n%[1]s\nĐề nghị không chuyển tiếp đường dẫn này.", "🔐 Your dashboard sign-in link (works once, for %[2]d minutes):\n%[1]s\nDo not forward it."},
	"dash.private":                       {"⛔ Vì lý do bảo mật, đường dẫn đăng nhập chỉ được gửi trong tin nhắn riêng. Đề nghị nhắn riêng cho bot lệnh /dashboard.", "⛔ For security, sign-in links are sent only in a private chat. Please send /dashboard to the bot privately."},
	"dash.staff_only":                    {"⛔ Trang theo dõi chỉ dành cho cán bộ Sở.", "⛔ The dashboard is for department staff only."},
	"dash.off":                           {"Trang theo dõi trên web chưa được bật trên máy chủ.", "The web dashboard is not enabled on the server."},
	"dash.too_many":                      {"⏳ Đã gửi nhiều đường dẫn đăng nhập trong 10 phút qua. Đề nghị dùng đường dẫn đã nhận hoặc thử lại sau ít phút.", "⏳ Several sign-in links were sent in the last 10 minutes. Use one of them or try again in a few minutes."},
	"dash.logout":                        {"🔒 Đã kết thúc %d phiên đăng nhập trang theo dõi.", "🔒 Ended %d dashboard sessions."},
	"web.nav.overview":                   {"Tổng quan", "Overview"},
	"web.nav.matrix":                     {"Ma trận xác nhận", "Matrix"},
	"web.nav.agencies":                   {"Đơn vị", "Agencies"},
	"web.nav.sources":                    {"Nguồn cảnh báo", "Sources"},
	"web.nav.audit":                      {"Nhật ký", "Audit"},
	"web.footer":                         {"Trang chỉ để xem. Mọi thao tác thực hiện qua bot Telegram.", "Read only. Every change is made through the Telegram bot."},
	"web.notfound.title":                 {"Không tìm thấy", "Not found"},
	"web.notfound":                       {"Không có trang này.", "There is no such page."},
	"web.error.title":                    {"Có lỗi", "Error"},
	"web.error":                          {"Có lỗi khi đọc dữ liệu. Đề nghị thử lại sau ít phút.", "Something went wrong reading the data. Please try again in a few minutes."},
	"web.signin.title":                   {"Đăng nhập", "Sign in"},
	"web.signin.needed":                  {"Để xem trang theo dõi, đề nghị nhắn riêng cho bot lệnh /dashboard và mở đường dẫn bot gửi.", "To see the dashboard, send /dashboard to the bot in a private chat and open the link it sends."},
	"web.signin.ended":                   {"Phiên đăng nhập đã kết thúc. Đề nghị nhắn riêng cho bot lệnh /dashboard để nhận đường dẫn mới.", "Your session has ended. Send /dashboard to the bot in a private chat for a new link."},
	"web.signin.stale":                   {"Đường dẫn này đã được sử dụng hoặc đã hết hạn. Đề nghị nhắn riêng cho bot lệnh /dashboard để nhận đường dẫn mới.", "This link has been used or has expired. Send /dashboard to the bot in a private chat for a new one."},
	"web.signin.refused":                 {"Tài khoản này không còn trong danh sách cán bộ Sở.", "This account is no longer on the department staff list."},
	"web.signin.slow":                    {"Có quá nhiều lần đăng nhập từ địa chỉ này. Đề nghị thử lại sau một phút.", "Too many sign-in attempts from this address. Please try again in a minute."},
	"web.signin.confirm":                 {"Bấm nút dưới đây để đăng nhập trang theo dõi. Đường dẫn chỉ dùng được một lần.", "Press the button to sign in to the dashboard. The link works once."},
	"web.signin.button":                  {"Đăng nhập", "Sign in"},
	"web.state.wait":                     {"chưa nhận", "not acknowledged"},
	"web.state.late":                     {"chưa nhận, quá hạn", "not acknowledged, overdue"},
	"web.state.ack":                      {"đã nhận", "acknowledged"},
	"web.state.done":                     {"đã xử lý", "handled"},
	"web.state.na":                       {"không sử dụng", "not in use"},
	"web.state.fail":                     {"lỗi gửi", "delivery failed"},
	"web.state.queued":                   {"đang chờ gửi", "queued"},
	"web.reminder.sent":                  {"đã nhắc việc %s", "reminded %s"},
	"web.reminder.due":                   {"nhắc việc lúc %s", "reminder due %s"},
	"web.escalation.sent":                {"đã báo cáo Sở %s", "escalated %s"},
	"web.export.header":                  {"Số cảnh báo|Tiêu đề|Mức độ|Nguồn|Đơn vị|Mã nhóm|Trạng thái|Thời điểm gửi|Người xác nhận|Thời điểm xác nhận|Thời gian đến khi xác nhận (phút)|Báo cáo xử lý", "Alert|Title|Severity|Source|Agency|Chat id|State|Delivered at|Acknowledged by|Acknowledged at|Minutes to acknowledge|Remediation note"},
	"web.percent":                        {"%d%% (%d/%d)", "%d%% (%d/%d)"},
	"web.chart.week":                     {"Tuần %s", "Week of %s"},
	"web.chart.nothing":                  {"chưa có số liệu", "no data"},
	"web.chart.weekly":                   {"Tỷ lệ xác nhận trong thời hạn nhắc việc, theo tuần", "Acknowledged within the reminder time, by week"},
	"web.chart.weekly_note":              {"(12 tuần gần nhất)", "(last 12 weeks)"},
	"web.chart.spread":                   {"Thời gian đến khi xác nhận", "Time to acknowledge"},
	"web.chart.spread_note":              {"(số lượt gửi, 30 ngày qua)", "(deliveries, last 30 days)"},
	"web.chart.under":                    {"dưới %s", "under %s"},
	"web.chart.between":                  {"%s – %s", "%s – %s"},
	"web.chart.over":                     {"trên %s", "over %s"},
	"web.chart.slowest":                  {"Đơn vị xác nhận chậm nhất", "Slowest agencies"},
	"web.chart.slowest_note":             {"(tỷ lệ đã nhận, trung vị thời gian; 30 ngày qua)", "(share acknowledged, median time; last 30 days)"},
	"web.chart.agency":                   {"%d%% (%d/%d), trung vị %s", "%d%% (%d/%d), median %s"},
	"web.overview.this_week":             {"Tuần này", "This week"},
	"web.overview.last_week":             {"Tuần trước", "Last week"},
	"web.overview.alerts":                {"Cảnh báo đã gửi", "Alerts sent"},
	"web.overview.in_time":               {"Xác nhận trong thời hạn nhắc việc", "Acknowledged within reminder time"},
	"web.overview.failed":                {"Lượt gửi thất bại", "Failed deliveries"},
	"web.overview.overdue":               {"Quá hạn xác nhận hiện nay: %d lượt, %d đơn vị", "Overdue now: %d deliveries, %d agencies"},
	"web.overview.failing":               {"Nguồn đang lỗi: %d", "Failing sources: %d"},
	"web.overview.incidents":             {"Sự cố đang mở: %d", "Open incidents: %d"},
	"web.filter.from":                    {"Từ ngày", "From"},
	"web.filter.to":                      {"Đến ngày", "To"},
	"web.filter.severity":                {"Mức độ từ", "Severity from"},
	"web.filter.any":                     {"tất cả", "any"},
	"web.filter.source":                  {"Nguồn", "Source"},
	"web.filter.agency":                  {"Đơn vị", "Agency"},
	"web.filter.sort":                    {"Sắp xếp", "Sort"},
	"web.filter.sort_late":               {"quá hạn nhiều nhất", "most overdue"},
	"web.filter.sort_name":               {"theo tên", "by name"},
	"web.filter.apply":                   {"Lọc", "Filter"},
	"web.matrix.agency":                  {"Đơn vị", "Agency"},
	"web.matrix.page":                    {"Trang %d/%d (%d đơn vị)", "Page %d of %d (%d agencies)"},
	"web.matrix.empty":                   {"Không có cảnh báo nào phù hợp.", "No alert matches."},
	"web.alert.severity":                 {"Mức độ", "Severity"},
	"web.alert.exploited":                {"đang bị khai thác trong thực tế", "exploited in the wild"},
	"web.alert.source":                   {"Nguồn", "Source"},
	"web.alert.seen":                     {"Thời điểm ghi nhận", "First seen"},
	"web.alert.link":                     {"Chi tiết", "Details"},
	"web.alert.total":                    {"%d/%d đơn vị đã xác nhận", "%d/%d agencies acknowledged"},
	"web.alert.state":                    {"Trạng thái", "State"},
	"web.alert.who":                      {"Người xác nhận, thời điểm", "Acknowledged by, at"},
	"web.alert.note":                     {"Báo cáo xử lý", "Remediation note"},
	"web.alert.reminders":                {"Nhắc việc, báo cáo Sở", "Reminders, escalations"},
	"web.agencies.note":                  {"Tỷ lệ xác nhận và trung vị thời gian tính trên 90 ngày qua.", "Acknowledgement rate and median time over the last 90 days."},
	"web.agency.status":                  {"Tình trạng", "Status"},
	"web.agency.rate":                    {"Tỷ lệ đã nhận", "Acknowledged"},
	"web.agency.median":                  {"Trung vị thời gian xác nhận", "Median time to acknowledge"},
	"web.agency.chat":                    {"Nhóm Telegram", "Telegram chat"},
	"web.agency.contacts":                {"Đầu mối liên hệ", "Contacts"},
	"web.agency.requested":               {"Người đăng ký: %s", "Subscribed by %s"},
	"web.agency.in_time":                 {"%d lượt trong thời hạn", "%d within the reminder time"},
	"web.agency.gone":                    {"Lý do không gửi được", "Why it is unreachable"},
	"web.agency.notes":                   {"Báo cáo xử lý", "Remediation notes"},
	"web.agency.history":                 {"Lịch sử cảnh báo", "History"},
	"web.agency.alert":                   {"Cảnh báo", "Alert"},
	"web.sources.name":                   {"Nguồn", "Source"},
	"web.sources.health":                 {"Tình trạng", "Health"},
	"web.sources.success":                {"Đọc thành công gần nhất", "Last success"},
	"web.sources.error":                  {"Lỗi gần nhất", "Last error"},
	"web.sources.items":                  {"Số mục", "Items"},
	"web.sources.next":                   {"Lần đọc tới", "Next poll"},
	"web.sources.paused":                 {"tạm dừng", "paused"},
	"web.sources.ok":                     {"hoạt động", "working"},
	"web.sources.failing":                {"lỗi từ %s", "failing since %s"},
	"web.audit.when":                     {"Thời điểm", "When"},
	"web.audit.who":                      {"Người thực hiện", "Who"},
	"web.audit.action":                   {"Thao tác", "Action"},
	"web.audit.detail":                   {"Chi tiết", "Detail"},
	"web.audit.none":                     {"Chưa có thao tác nào.", "No action yet."},
	"web.audit.older":                    {"Cũ hơn", "Older"},
	"web.audit.newest":                   {"Mới nhất", "Newest"},
	"web.audit.approved":                 {"duyệt đăng ký", "approved"},
	"web.audit.rejected":                 {"từ chối đăng ký", "rejected"},
	"web.audit.broadcast":                {"phát hành cảnh báo", "broadcast"},
	"web.audit.export":                   {"xuất báo cáo", "export"},
	"web.audit.filter":                   {"đặt bộ lọc", "filter"},
	"web.audit.source add":               {"thêm nguồn", "source added"},
	"web.audit.source pause":             {"tạm dừng nguồn", "source paused"},
	"web.audit.source resume":            {"tiếp tục nguồn", "source resumed"},
	"web.audit.source remove":            {"xóa nguồn", "source removed"},
	"web.audit.dashboard_link":           {"nhận đường dẫn đăng nhập", "sign-in link sent"},
	"web.audit.dashboard_refused":        {"từ chối gửi đường dẫn đăng nhập", "sign-in link refused"},
	"web.audit.dashboard_signin":         {"đăng nhập trang theo dõi", "signed in to the dashboard"},
	"web.audit.dashboard_signin_refused": {"từ chối đăng nhập", "sign-in refused"},
	"web.audit.dashboard_logout":         {"đăng xuất trang theo dõi", "signed out of the dashboard"},
	"web.audit.dashboard_revoked":        {"kết thúc phiên (không còn là cán bộ Sở)", "session ended (no longer staff)"},
}

// T formats the sentence key in the renderer's language.
func (r *Renderer) T(key string, args ...any) string {
	t, ok := catalog[key]
	if !ok {
		return key
	}
	s := t.vi
	if r.Lang == English {
		s = t.en
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Severity names a severity in the renderer's language.
func (r *Renderer) Severity(s store.Severity) string { return r.T("sev." + string(s.Normal())) }

// Date formats t in the department's time zone.
func (r *Renderer) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(r.Loc).Format(r.T("date.layout"))
}

// Day formats a date without a time of day (a source that gives only a
// calendar day): the day as the source wrote it, never shifted by a zone.
func (r *Renderer) Day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(r.T("date.day"))
}

// Clock formats t as time of day and day, for acknowledgement lists.
func (r *Renderer) Clock(t time.Time) string { return t.In(r.Loc).Format(r.T("time.layout")) }

// Age formats a duration the way people say it: minutes, hours or days.
func (r *Renderer) Age(d time.Duration) string {
	switch {
	case d < time.Hour:
		return r.T("age.minutes", int(d/time.Minute))
	case d < 48*time.Hour:
		return r.T("age.hours", int(d/time.Hour))
	case d%(24*time.Hour) < time.Hour:
		return r.T("age.days", int(d/(24*time.Hour)))
	}
	return r.T("age.dayshours", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// letterCatalog holds the sentences of the department letter's features
// (contacts, tags, incidents, duty rosters). It is part of the one
// catalogue, kept as its own block so that it reads as one piece.
var letterCatalog = map[string]text{
	"cmd.contacts":        {"/contacts — đầu mối liên hệ hỗ trợ ứng cứu sự cố", "/contacts — emergency contact points"},
	"menu.contacts":       {"Đầu mối liên hệ hỗ trợ ứng cứu sự cố", "Emergency contact points"},
	"contacts.title":      {"📞 <b>Đầu mối liên hệ hỗ trợ ứng cứu sự cố</b>", "📞 <b>Emergency contact points</b>"},
	"contacts.dept":       {"Đầu mối của Sở", "The department's contact point"},
	"contacts.person":     {"Cán bộ đầu mối: %s", "Officer: %s"},
	"contacts.phone":      {"Điện thoại: %s", "Phone: %s"},
	"contacts.hotline":    {"Đường dây nóng: %s", "Hotline: %s"},
	"contacts.email":      {"Thư điện tử: %s", "E-mail: %s"},
	"contacts.unset":      {"Chưa cấu hình (CANHBAO_CONTACTS).", "Not configured (CANHBAO_CONTACTS)."},
	"contacts.help":       {"🆘 Cần hỗ trợ: %s", "🆘 Need help: %s"},
	"notice.config":       {"⚠️ <b>Cấu hình chưa đúng</b>: %s", "⚠️ <b>Configuration problem</b>: %s"},
	"cmd.tag":             {"/tag &lt;chat_id&gt; &lt;nhóm&gt;…, /untag, /tags — phân nhóm đơn vị (ví dụ so-ban-nganh, ubnd-huyen)", "/tag &lt;chat_id&gt; &lt;tag&gt;…, /untag, /tags — group agencies (e.g. so-ban-nganh, ubnd-huyen)"},
	"menu.tag":            {"Gắn nhóm cho đơn vị", "Tag an agency"},
	"menu.untag":          {"Bỏ nhóm của đơn vị", "Untag an agency"},
	"menu.tags":           {"Danh sách nhóm đơn vị", "Agency tags"},
	"tag.usage":           {"Cách dùng: /tag &lt;chat_id&gt; so-ban-nganh ubnd-huyen · /untag &lt;chat_id&gt; [nhóm…] · /tags\nTên nhóm gồm chữ không dấu, chữ số và dấu gạch ngang; dùng @nhóm trong /broadcast, /duty, /report, /overdue, /export.", "Usage: /tag &lt;chat_id&gt; so-ban-nganh ubnd-huyen · /untag &lt;chat_id&gt; [tags…] · /tags\nTags are letters, digits and dashes; use @tag in /broadcast, /duty, /report, /overdue, /export."},
	"tag.bad":             {"Tên nhóm không hợp lệ: %s. Tên nhóm gồm chữ, chữ số và dấu gạch ngang, ví dụ so-ban-nganh.", "Not a valid tag: %s. Tags are letters, digits and dashes, e.g. so-ban-nganh."},
	"tag.unknown":         {"Chưa có đơn vị nào thuộc nhóm @%s. Xem /tags; chưa phát hành.", "No agency has the tag @%s. See /tags; nothing was published."},
	"tag.done":            {"🏷 %s (<code>%d</code>): %s", "🏷 %s (<code>%d</code>): %s"},
	"tag.none":            {"chưa thuộc nhóm nào", "no tags"},
	"tags.none":           {"Chưa có đơn vị nào được gắn nhóm.", "No agency is tagged yet."},
	"tags.title":          {"🏷 <b>Nhóm đơn vị (%d)</b>", "🏷 <b>Agency tags (%d)</b>"},
	"tags.row":            {"<b>@%s</b> (%d): %s", "<b>@%s</b> (%d): %s"},
	"tags.untagged":       {"Chưa thuộc nhóm nào (%d): %s", "Untagged (%d): %s"},
	"broadcast.done_tags": {"📢 Đã phát hành cảnh báo #%d “%s” tới %d đơn vị thuộc nhóm %s.", "📢 Published alert #%d “%s” to %d agencies tagged %s."},
}

// privacyCatalog holds the sentences of personal data erasure (Decree
// 13/2023/NĐ-CP) and the settings checks.
var privacyCatalog = map[string]text{
	"person.erased": {"người đã xoá dữ liệu", "person whose data was erased"},
	"note.erased":   {"(nội dung đã xoá để bảo vệ dữ liệu cá nhân)", "(text erased to protect personal data)"},
	"cmd.forget": {"/forget &lt;mã người dùng&gt; — xoá dữ liệu cá nhân (tên, mã, ghi chú) của một người theo yêu cầu",
		"/forget &lt;user id&gt; — erase one person's personal data (name, id, notes) on request"},
	"menu.forget": {"Xoá dữ liệu cá nhân của một người", "Erase one person's personal data"},
	"forget.usage": {"Đề nghị ghi mã người dùng Telegram cần xoá dữ liệu, ví dụ: /forget 123456789 (người đó gửi /id cho bot để biết mã của mình).",
		"Give the Telegram user id whose data is to be erased, e.g. /forget 123456789 (the person sends /id to the bot to learn it)."},
	"forget.done": {"🗑 Đã xoá dữ liệu cá nhân theo yêu cầu: %d lượt xác nhận (%d ghi chú xử lý), %d nhóm, %d văn bản của Sở, %d mục nhật ký, %d thông báo đang chờ. Các lượt xác nhận vẫn được tính cho đơn vị, hiển thị là “người đã xoá dữ liệu”.",
		"🗑 Personal data erased on request: %d acknowledgements (%d remediation notes), %d chats, %d department advisories, %d audit entries, %d pending notices. The acknowledgements still count for their agencies, shown as “person whose data was erased”."},
	"forget.audit": {"%d lượt xác nhận, %d ghi chú, %d nhóm, %d văn bản, %d mục nhật ký, %d thông báo",
		"%d acknowledgements, %d notes, %d chats, %d advisories, %d audit entries, %d notices"},
	"forget.none": {"Không có dữ liệu cá nhân nào của người dùng này.", "No personal data of this user is stored."},
	"audit.cli":   {"quản trị viên máy chủ", "server administrator"},
}

func init() {
	for _, extra := range []map[string]text{letterCatalog, privacyCatalog} {
		for k, v := range extra {
			if _, dup := catalog[k]; dup {
				panic("bot: catalogue key " + k + " defined twice")
			}
			catalog[k] = v
		}
	}
}
