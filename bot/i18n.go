package bot

import (
	"fmt"
	"strings"
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
	"card.department":           {"Sở Khoa học và Công nghệ", "Department of Science and Technology"},
	"card.link":                 {"Xem chi tiết", "Details"},
	"card.acked":                {"✅ Đã nhận: %s", "✅ Acknowledged: %s"},
	"card.action":               {"Đề nghị Quý đơn vị kiểm tra, rà soát hệ thống và bấm <b>Đã nhận</b> hoặc gửi /ack %d.", "Please check your systems and press <b>Acknowledge</b> or send /ack %d."},
	"digest.title":              {"📋 <b>Tổng hợp %d cảnh báo mới từ %s</b>", "📋 <b>%d new alerts from %s</b>"},
	"digest.count":              {"%s: %d", "%s: %d"},
	"digest.more":               {"… và %d cảnh báo khác: /pending", "… and %d more: /pending"},
	"digest.hint":               {"Bấm <b>Đã nhận</b> để xác nhận tất cả cảnh báo trong bản tổng hợp này.", "Press <b>Acknowledge</b> to acknowledge every alert in this digest."},
	"followup":                  {"🔁 %s · %s\n%s\n%sCùng lỗ hổng với cảnh báo #%d (%s) mà đơn vị đã nhận.", "🔁 %s · %s\n%s\n%sSame vulnerability as alert #%d (%s), which you already received."},
	"reminder":                  {"⏰ <b>Nhắc việc:</b> cảnh báo %s đã gửi được %s nhưng Quý đơn vị chưa xác nhận. Đề nghị Quý đơn vị kiểm tra và bấm <b>Đã nhận</b> hoặc gửi /ack %s.", "⏰ <b>Reminder:</b> alert %s was sent %s ago and has not been acknowledged. Please check and press <b>Acknowledge</b> or send /ack %s."},
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
	"help.intro":                {"🛡 <b>canhbao</b> chuyển cảnh báo an toàn thông tin của {dept} tới nhóm Telegram của các cơ quan, đơn vị và ghi nhận đơn vị nào đã nhận.", "🛡 <b>canhbao</b> relays the cybersecurity warnings of {dept} to agencies' Telegram groups and records who has acknowledged them."},
	"help.agency":               {"<b>Lệnh cho đơn vị</b>", "<b>Commands for agencies</b>"},
	"help.admin":                {"<b>Lệnh cho cán bộ {dept}</b>", "<b>Commands for staff of {dept}</b>"},
	"cmd.subscribe":             {"/subscribe &lt;tên đơn vị&gt; — đăng ký nhận cảnh báo cho nhóm này", "/subscribe &lt;agency name&gt; — subscribe this group"},
	"cmd.ack":                   {"/ack &lt;số&gt; — xác nhận đã nhận cảnh báo (hoặc trả lời /ack vào tin cảnh báo)", "/ack &lt;number&gt; — acknowledge an alert (or reply /ack to it)"},
	"cmd.done":                  {"/done &lt;số&gt; &lt;nội dung&gt; — báo cáo kết quả xử lý (đồng thời xác nhận đã nhận)", "/done &lt;number&gt; &lt;text&gt; — report what was done (also acknowledges)"},
	"cmd.pending":               {"/pending — cảnh báo nhóm chưa xác nhận", "/pending — alerts this group has not acknowledged"},
	"cmd.filter":                {"/filter — xem và đặt bộ lọc cảnh báo của nhóm", "/filter — show or set this group's filter"},
	"cmd.unsubscribe":           {"/unsubscribe — ngừng nhận cảnh báo (quản trị nhóm)", "/unsubscribe — stop receiving alerts (group admins)"},
	"cmd.id":                    {"/id — mã nhóm và mã người dùng của người gửi lệnh", "/id — this chat's id and your user id"},
	"id":                        {"Mã nhóm (dùng cho CANHBAO_ADMIN_CHAT_ID): <code>%d</code>\nMã người dùng của người gửi lệnh (dùng cho CANHBAO_ADMIN_IDS): <code>%d</code>", "Chat id (for CANHBAO_ADMIN_CHAT_ID): <code>%d</code>\nYour user id (for CANHBAO_ADMIN_IDS): <code>%d</code>"},
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
	"menu.broadcast":            {"Phát hành cảnh báo, văn bản tới các đơn vị", "Publish a department advisory"},
	"menu.export":               {"Xuất báo cáo Excel hoặc CSV", "Excel or CSV export"},
	"menu.audit":                {"Nhật ký thao tác quản trị", "Admin action log"},
	"menu.sources":              {"Tình trạng các nguồn cảnh báo", "Source health"},
	"menu.source":               {"Thêm, tạm dừng, xóa nguồn", "Add, pause or remove a source"},
	"cmd.help":                  {"/help — hướng dẫn", "/help — this help"},
	"cmd.approve":               {"/approve &lt;mã nhóm&gt;, /reject &lt;mã nhóm&gt; — duyệt hoặc từ chối đăng ký", "/approve &lt;chat_id&gt;, /reject &lt;chat_id&gt; — decide a subscription"},
	"cmd.report":                {"/report &lt;số&gt; — đơn vị nào đã nhận cảnh báo", "/report &lt;number&gt; — who has acknowledged an alert"},
	"cmd.agencies":              {"/agencies — danh sách đơn vị", "/agencies — list agencies"},
	"cmd.alerts":                {"/alerts — cảnh báo gần đây", "/alerts — recent alerts"},
	"cmd.queue":                 {"/queue — hàng đợi gửi tin", "/queue — the delivery queue"},
	"cmd.overdue":               {"/overdue — đơn vị quá hạn xác nhận", "/overdue — agencies past their deadline"},
	"cmd.broadcast":             {"/broadcast &lt;nội dung&gt; — phát hành cảnh báo, văn bản tới các đơn vị", "/broadcast &lt;text&gt; — publish a department advisory"},
	"cmd.export":                {"/export [số] [csv] — xuất báo cáo Excel (thêm csv để nhận tệp CSV)", "/export [number] [csv] — Excel export (add csv for a CSV file)"},
	"cmd.audit":                 {"/audit — nhật ký thao tác quản trị", "/audit — admin action log"},
	"cmd.sources":               {"/sources, /source add|pause|resume|remove — nguồn cảnh báo", "/sources, /source add|pause|resume|remove — alert sources"},
	"err.unknown_cmd":           {"Lệnh không hợp lệ. Gõ /help để xem các lệnh.", "Unknown command. Send /help for the list."},
	"err.admin_only":            {"⛔ Lệnh này chỉ dành cho cán bộ {dept}.", "⛔ This command is for staff of {dept} only."},
	"err.private_only":          {"⛔ Lệnh này chỉ dùng trong nhóm trực của {dept} hoặc tin nhắn riêng với bot.", "⛔ Use this command in the duty chat of {dept} or in a private chat with the bot."},
	"err.chat_admin":            {"⛔ Chỉ quản trị viên của nhóm hoặc cán bộ {dept} mới được thực hiện thao tác này.", "⛔ Only a group administrator or staff of {dept} may do this."},
	"err.bad_id":                {"Số cảnh báo không hợp lệ: %s. Ví dụ: /ack 12", "Not a valid alert number: %s. Example: /ack 12"},
	"err.no_alert":              {"Không tìm thấy cảnh báo #%d.", "There is no alert #%d."},
	"err.not_delivered":         {"Cảnh báo #%d chưa được gửi tới nhóm này.", "Alert #%d has not been delivered to this chat."},
	"err.bad_chat":              {"Mã nhóm không hợp lệ: %s. Ví dụ: /approve -1001234567890", "Not a valid chat id: %s. Example: /approve -1001234567890"},
	"err.no_chat":               {"Không tìm thấy nhóm %d trong danh sách đăng ký.", "Chat %d has not asked to subscribe."},
	"err.slow_down":             {"⏳ Đã nhận nhiều lệnh liên tiếp. Các lệnh vẫn được thực hiện, nhưng trong một phút tới bot sẽ không trả lời thêm; đề nghị chờ giây lát rồi gửi lại nếu cần.", "⏳ Many commands in a row. They are still carried out, but the bot will not answer more of them for a minute; please wait a moment and send again if needed."},
	"err.internal":              {"⚠️ Có lỗi khi xử lý yêu cầu. Đề nghị thử lại sau ít phút.", "⚠️ Something went wrong. Please try again later."},
	"err.not_subscribed":        {"Nhóm này chưa đăng ký nhận cảnh báo. Gửi /subscribe &lt;tên đơn vị&gt; để đăng ký.", "This chat is not subscribed. Send /subscribe &lt;agency name&gt;."},
	"ack.usage":                 {"Cách dùng: /ack &lt;số cảnh báo&gt;, ví dụ /ack 12, hoặc trả lời /ack vào tin cảnh báo.", "Usage: /ack &lt;alert number&gt;, e.g. /ack 12, or reply /ack to the alert."},
	"ack.done":                  {"✅ %s đã xác nhận cảnh báo %s lúc %s.", "✅ %s acknowledged alert %s at %s."},
	"ack.again":                 {"Cảnh báo %s đã được xác nhận trước đó, không ghi nhận lại. Trân trọng cảm ơn.", "You have already acknowledged alert %s, thank you."},
	"ack.toast":                 {"Đã ghi nhận xác nhận. Trân trọng cảm ơn.", "Your acknowledgement is recorded."},
	"ack.toast_again":           {"Cảnh báo này đã được xác nhận trước đó.", "You had already acknowledged this alert."},
	"ack.toast_unknown":         {"Tin nhắn này không gắn với cảnh báo nào.", "This message carries no alert."},
	"ack.reply_unknown":         {"Tin nhắn được trả lời không phải là cảnh báo. Dùng /ack &lt;số&gt;.", "The message you replied to is not an alert. Use /ack &lt;number&gt;."},
	"done.usage":                {"Cách dùng: /done &lt;số cảnh báo&gt; &lt;kết quả xử lý&gt;, ví dụ /done 12 đã vá 40/42 máy", "Usage: /done &lt;alert number&gt; &lt;what was done&gt;, e.g. /done 12 patched 40/42 machines"},
	"done.updated":              {"📝 Đã cập nhật báo cáo xử lý cho %s.", "📝 Remediation report updated for %s."},
	"pending.none":              {"✅ Nhóm đã xác nhận tất cả cảnh báo.", "✅ This chat has acknowledged every alert."},
	"pending.title":             {"<b>Cảnh báo chưa xác nhận (%d)</b>", "<b>Unacknowledged alerts (%d)</b>"},
	"pending.hint":              {"Gửi /ack &lt;số&gt; để xác nhận.", "Send /ack &lt;number&gt; to acknowledge."},
	"sub.usage":                 {"Cách dùng: /subscribe &lt;tên đơn vị&gt;, ví dụ /subscribe Sở Y tế", "Usage: /subscribe &lt;agency name&gt;, e.g. /subscribe Department of Health"},
	"sub.pending":               {"📨 Yêu cầu đăng ký của <b>%s</b> đã được gửi {dept}. Nhóm sẽ nhận cảnh báo sau khi được duyệt.", "📨 The request for <b>%s</b> was sent to {dept}. Alerts start once it is approved."},
	"sub.already_pending":       {"Yêu cầu đăng ký của nhóm đang chờ {dept} duyệt.", "This chat's request is waiting for the approval of {dept}."},
	"sub.rejected_wait":         {"{dept} đã từ chối yêu cầu đăng ký trước của nhóm. Nhóm có thể gửi lại yêu cầu từ %s; nếu cần sớm hơn, đề nghị liên hệ trực tiếp với {dept}.", "The department declined this chat's last request. The chat may ask again from %s; contact the department directly if it cannot wait."},
	"sub.already":               {"Nhóm đã đăng ký nhận cảnh báo (<b>%s</b>).", "This chat is already subscribed (<b>%s</b>)."},
	"sub.restored":              {"✅ Đã khôi phục đăng ký của <b>%s</b>. Nhóm tiếp tục nhận cảnh báo.", "✅ The subscription of <b>%s</b> is restored."},
	"verb.add":                  {"thêm", "added"},
	"verb.pause":                {"tạm dừng", "paused"},
	"verb.resume":               {"tiếp tục", "resumed"},
	"verb.remove":               {"xóa", "removed"},
	"sub.approved_group":        {"✅ {dept} đã duyệt đăng ký của <b>%s</b>. Từ nay, nhóm sẽ nhận cảnh báo an toàn thông tin.\nĐề nghị Quý đơn vị bấm <b>Đã nhận</b> dưới mỗi cảnh báo hoặc gửi /ack &lt;số&gt;.", "✅ {dept} approved <b>%s</b>. This chat now receives cybersecurity alerts.\nPress <b>Acknowledge</b> under each alert or send /ack &lt;number&gt;."},
	"sub.rejected_group":        {"{dept} đã từ chối yêu cầu đăng ký của nhóm. Đề nghị Quý đơn vị liên hệ {dept} nếu cần trao đổi thêm.", "{dept} declined this chat's request. Contact {dept} if needed."},
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
	"report.acked":              {"✅ %s — %s", "✅ %s — %s"},
	"report.by":                 {"%s lúc %s", "%s at %s"},
	"report.not_acked":          {"⏳ %s — chưa xác nhận (%s)", "⏳ %s — not acknowledged (%s)"},
	"report.note":               {"   📝 %s", "   📝 %s"},
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
	"welcome.group":             {"👋 Kính chào Quý đơn vị. Đây là hệ thống cảnh báo an toàn thông tin của {dept}.\nĐể nhận cảnh báo, đề nghị gửi /subscribe &lt;tên đơn vị&gt;, ví dụ: /subscribe Sở Y tế", "👋 Hello! This bot relays the cybersecurity warnings of {dept}.\nTo receive them, send /subscribe &lt;agency name&gt;."},
	"broadcast.usage":           {"Cách dùng: /broadcast &lt;nội dung&gt; (dòng đầu là tiêu đề; mức độ đặt ở đầu, ví dụ: /broadcast [cao] Cảnh báo … hoặc /broadcast nghiêm trọng: Cảnh báo …), hoặc trả lời /broadcast vào tin có văn bản, ảnh.", "Usage: /broadcast &lt;text&gt; (the first line is the title; a severity may lead it, e.g. /broadcast [high] Warning … or /broadcast critical: Warning …), or reply /broadcast to a message with a document or photo."},
	"broadcast.untitled":        {"Văn bản của {dept}", "Advisory of {dept}"},
	"broadcast.done":            {"📢 Đã phát hành cảnh báo #%d “%s” tới %d đơn vị.", "📢 Published alert #%d “%s” to %d agencies."},
	"overdue.none":              {"✅ Không có đơn vị nào quá hạn xác nhận.", "✅ No agency is past its deadline."},
	"overdue.title":             {"<b>Đơn vị quá hạn xác nhận (%d)</b>", "<b>Agencies past their deadline (%d)</b>"},
	"overdue.row":               {"⏳ %s (<code>%d</code>) — %d cảnh báo: %s — lâu nhất %s", "⏳ %s (<code>%d</code>) — %d alerts: %s — oldest %s"},
	"export.caption":            {"📎 Báo cáo xác nhận cảnh báo (tệp CSV)", "📎 Acknowledgement report (CSV)"},
	"export.caption_xlsx":       {"📎 Báo cáo xác nhận cảnh báo (tệp Excel: cảnh báo × đơn vị, đơn vị, nhật ký quản trị)", "📎 Acknowledgement report (Excel: alerts × agencies, agencies, admin log)"},
	"export.sheet_alerts":       {"Cảnh báo × đơn vị", "Alerts × agencies"},
	"export.sheet_agencies":     {"Đơn vị", "Agencies"},
	"export.sheet_audit":        {"Nhật ký quản trị", "Admin log"},
	"export.agencies_header":    {"Đơn vị|Mã nhóm|Tên nhóm Telegram|Trạng thái|Người đăng ký|Thời điểm đăng ký|Thời điểm duyệt|Bộ lọc|Số cảnh báo trong tệp|Đã xác nhận|Chưa xác nhận|Gửi thất bại", "Agency|Chat id|Telegram group|Status|Requested by|Requested at|Decided at|Filter|Alerts in this file|Acknowledged|Not acknowledged|Failed"},
	"export.audit_header":       {"Thời điểm|Người thực hiện|Mã người dùng|Thao tác|Nội dung", "Time|By|User id|Action|Detail"},
	"export.state.queued":       {"đang chờ gửi", "queued"},
	"export.state.sent":         {"đã gửi", "sent"},
	"export.state.failed":       {"gửi thất bại", "failed"},
	"action.broadcast":          {"phát hành cảnh báo", "broadcast"},
	"action.publish":            {"phát hành cảnh báo", "publish"},
	"action.export":             {"xuất báo cáo", "export"},
	"action.filter":             {"đặt bộ lọc", "filter"},
	"action.approved":           {"duyệt đăng ký", "approved"},
	"action.rejected":           {"từ chối đăng ký", "rejected"},
	"action.source_add":         {"thêm nguồn", "source add"},
	"action.source_pause":       {"tạm dừng nguồn", "source pause"},
	"action.source_resume":      {"tiếp tục nguồn", "source resume"},
	"action.source_remove":      {"xóa nguồn", "source remove"},
	"reason.gave_up":            {"đã dừng thử lại sau %s: %s", "gave up after %s: %s"},
	"reason.removed_by":         {"%s đã xóa bot khỏi nhóm", "%s removed the bot from the group"},
	"reason.bad_answer":         {"Telegram trả lời không đúng định dạng (có thể do máy chủ trung gian)", "Telegram's answer was malformed (perhaps a proxy)"},
	"age.seconds":               {"%d giây", "%d s"},
	"reason.kicked":             {"bot đã bị xóa khỏi nhóm", "the bot was removed from the group"},
	"reason.blocked":            {"người nhận đã chặn bot", "the user blocked the bot"},
	"reason.not_member":         {"bot không còn là thành viên của nhóm", "the bot is no longer a member of the group"},
	"reason.user_deactivated":   {"tài khoản người nhận đã bị xóa", "the user's account was deleted"},
	"reason.group_deactivated":  {"nhóm đã bị xóa hoặc đã chuyển thành siêu nhóm", "the group was deleted or became a supergroup"},
	"reason.chat_not_found":     {"không tìm thấy nhóm (nhóm đã bị xóa hoặc mã nhóm không đúng)", "chat not found (deleted, or a wrong id)"},
	"reason.no_rights":          {"bot không có quyền gửi tin trong nhóm", "the bot may not post in the group"},
	"reason.flood":              {"Telegram yêu cầu tạm dừng do gửi quá nhanh; tin sẽ được gửi lại", "Telegram's flood limit; the message will be sent again"},
	"reason.too_long":           {"tin nhắn dài quá mức Telegram cho phép", "the message is longer than Telegram allows"},
	"reason.bad_html":           {"Telegram không đọc được định dạng của tin nhắn", "Telegram could not read the message's formatting"},
	"reason.edit":               {"không sửa được tin đã gửi (tin đã bị xóa hoặc quá cũ)", "the sent message can no longer be edited"},
	"reason.reply":              {"tin được trả lời đã bị xóa", "the message replied to was deleted"},
	"reason.too_large":          {"tệp lớn quá mức Telegram cho phép", "the file is larger than Telegram allows"},
	"reason.unauthorized":       {"Telegram không chấp nhận mã truy cập của bot (kiểm tra TELEGRAM_BOT_TOKEN)", "Telegram refused the bot's token (check TELEGRAM_BOT_TOKEN)"},
	"reason.server":             {"máy chủ Telegram tạm thời gặp lỗi", "Telegram's servers failed"},
	"reason.timeout":            {"quá thời gian chờ Telegram trả lời", "Telegram did not answer in time"},
	"reason.network":            {"không kết nối được tới Telegram", "could not connect to Telegram"},
	"reason.unsubscribed":       {"đơn vị đã hủy đăng ký", "the agency unsubscribed"},
	"reason.rejected":           {"đăng ký của đơn vị bị từ chối", "the agency's request was rejected"},
	"reason.other":              {"lỗi khác, chi tiết kỹ thuật: <code>%s</code>", "%s"},
	"source_error.timeout":      {"máy chủ của nguồn không trả lời kịp.", "the source's server did not answer in time."},
	"source_error.dns":          {"không tìm thấy máy chủ của nguồn (tên miền sai hoặc lỗi phân giải tên miền).", "the source's host was not found."},
	"source_error.refused":      {"máy chủ của nguồn từ chối kết nối.", "the source's server refused the connection."},
	"source_error.tls":          {"chứng chỉ bảo mật của nguồn không hợp lệ.", "the source's TLS certificate is not valid."},
	"source_error.too_large":    {"dữ liệu của nguồn vượt quá giới hạn dung lượng.", "the source's answer is over the size limit."},
	"source_error.redirect":     {"nguồn chuyển hướng không hợp lệ hoặc quá nhiều lần.", "the source redirects wrongly or too often."},
	"source_error.layout":       {"không tìm thấy mục nào trên trang (trang có thể đã đổi giao diện).", "no entry found on the page (the site may have changed its layout)."},
	"source_error.not_feed":     {"địa chỉ không trả về nguồn tin hợp lệ.", "the address does not serve a valid feed."},
	"source_error.http":         {"máy chủ của nguồn trả lời lỗi.", "the source's server answered with an error."},
	"source_error.other":        {"không đọc được nguồn.", "the source could not be read."},
	"source_error.detail":       {"Chi tiết kỹ thuật: <code>%s</code>", "Detail: <code>%s</code>"},
	"filter.combine":            {"Nhóm nhận cảnh báo thỏa mãn đồng thời: %s.", "This chat receives alerts that match all of: %s."},
	"filter.none":               {"Nhóm nhận tất cả cảnh báo (chưa đặt bộ lọc).", "This chat receives every alert (no filter)."},
	"filter.and":                {" và ", " and "},
	"filter.and_html":           {" <b>và</b> ", " <b>and</b> "},
	"filter.part_keywords":      {"có một trong các từ khóa %s", "containing one of the keywords %s"},
	"filter.part_sources":       {"từ nguồn %s", "from the sources %s"},
	"filter.always":             {"Luôn được gửi, bất kể bộ lọc: văn bản, cảnh báo của {dept}; cảnh báo mức <b>Nghiêm trọng</b> đang bị khai thác trong thực tế được gửi bất kể từ khóa.", "Always sent, whatever the filter: advisories of {dept}; a <b>Critical</b> alert exploited in the wild is sent whatever the keywords."},
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
	"filter.view":               {"<b>Bộ lọc của %s</b>\n%s", "<b>Filter of %s</b>\n%s"},
	"filter.any":                {"tất cả cảnh báo", "every alert"},
	"filter.from":               {"mức từ %s trở lên", "severity %s or above"},
	"filter.usage":              {"Đặt bộ lọc: /filter mức cao · /filter từ khóa microsoft, fortinet · /filter nguồn cisa msrc · /filter xóa\n(bỏ trống giá trị để bỏ phần đó)", "Set: /filter min high · /filter keywords microsoft, fortinet · /filter sources cisa msrc · /filter reset\n(no value clears that part)"},
	"sources.none":              {"Chưa có nguồn nào.", "No sources."},
	"sources.title":             {"<b>Nguồn cảnh báo (%d)</b>", "<b>Sources (%d)</b>"},
	"sources.row":               {"%s <b>%s</b> (%s, mặc định %s) — lần đọc thành công gần nhất %s, %d mục — lần tới %s", "%s <b>%s</b> (%s, default %s) — last success %s, %d items — next %s"},
	"sources.error":             {"lỗi %s: %s", "error %s: %s"},
	"source.usage":              {"Cách dùng: /source add TÊN URL · /source pause TÊN · /source resume TÊN · /source remove TÊN", "Usage: /source add NAME URL · /source pause NAME · /source resume NAME · /source remove NAME"},
	"source.bad":                {"Nguồn không hợp lệ. Chi tiết kỹ thuật: <code>%s</code>", "Invalid source: %s"},
	"source.unknown":            {"Không có nguồn %s. Xem /sources.", "There is no source %s. See /sources."},
	"source.done":               {"✅ Đã %s nguồn %s.", "✅ Done (%s): source %s."},
}

// T formats the sentence key in the renderer's language. {dept} in a
// sentence stands for the department's name (HTML-escaped).
func (r *Renderer) T(key string, args ...any) string {
	t, ok := catalog[key]
	if !ok {
		return key
	}
	s := t.vi
	if r.Lang == English {
		s = t.en
	}
	if strings.Contains(s, "{dept}") {
		// The department's configured name, never an ambiguous "Sở".
		dept := Esc(r.Dept())
		if len(args) > 0 {
			dept = strings.ReplaceAll(dept, "%", "%%")
		}
		s = strings.ReplaceAll(s, "{dept}", dept)
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
	"contacts.dept":       {"Đầu mối liên hệ của {dept}", "The department's contact point"},
	"contacts.person":     {"Cán bộ đầu mối: %s", "Officer: %s"},
	"contacts.phone":      {"Điện thoại: %s", "Phone: %s"},
	"contacts.hotline":    {"Đường dây nóng: %s", "Hotline: %s"},
	"contacts.email":      {"Thư điện tử: %s", "E-mail: %s"},
	"contacts.unset":      {"Chưa cấu hình (CANHBAO_CONTACTS).", "Not configured (CANHBAO_CONTACTS)."},
	"contacts.help":       {"🆘 Cần hỗ trợ: %s", "🆘 Need help: %s"},
	"notice.config":       {"⚠️ <b>Cấu hình chưa đúng</b>: %s", "⚠️ <b>Configuration problem</b>: %s"},
	"cmd.tag":             {"/tag &lt;mã nhóm&gt; &lt;nhóm&gt;…, /untag, /tags — phân nhóm đơn vị (ví dụ so-ban-nganh, ubnd-huyen)", "/tag &lt;chat_id&gt; &lt;tag&gt;…, /untag, /tags — group agencies (e.g. so-ban-nganh, ubnd-huyen)"},
	"menu.tag":            {"Gắn nhóm cho đơn vị", "Tag an agency"},
	"menu.untag":          {"Bỏ nhóm của đơn vị", "Untag an agency"},
	"menu.tags":           {"Danh sách nhóm đơn vị", "Agency tags"},
	"tag.usage":           {"Cách dùng: /tag &lt;mã nhóm&gt; so-ban-nganh ubnd-huyen · /untag &lt;mã nhóm&gt; [nhóm…] · /tags\nTên nhóm gồm chữ không dấu, chữ số và dấu gạch ngang; dùng @nhóm trong /broadcast, /duty, /report, /overdue, /export.", "Usage: /tag &lt;chat_id&gt; so-ban-nganh ubnd-huyen · /untag &lt;chat_id&gt; [tags…] · /tags\nTags are letters, digits and dashes; use @tag in /broadcast, /duty, /report, /overdue, /export."},
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

func init() {
	for k, v := range letterCatalog {
		if _, dup := catalog[k]; dup {
			panic("bot: catalogue key " + k + " defined twice")
		}
		catalog[k] = v
	}
}
