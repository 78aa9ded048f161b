package main

import (
	"testing"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// TestEnglish: CANHBAO_LANG=en switches every message, dates included.
func TestEnglish(t *testing.T) {
	tg := telegramtest.New(t)
	doc := readTestdata(t, "cisa-all-advisories-first2.xml")
	feed := newFeedServer(t, doc)
	cfg := testConfig(t, tg, store.Source{Name: "cisa", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	cfg.Lang = bot.English
	group := telegramtest.Group(-8001, "Health")
	seedChats(t, cfg.DB, store.Chat{ID: group.ID, Agency: "Department of Health"})
	start(t, tg, cfg)
	waitText(t, tg, group.ID, "#2 · HIGH", "Source: cisa", "Published: 31 Aug 2026 19:00", "Details")
	tg.SendText(group, telegramtest.NewUser(5, "Ann"), "/ack 2")
	waitText(t, tg, group.ID, "Ann acknowledged alert #2")
	tg.SendText(group, telegramtest.NewUser(5, "Ann"), "/report 2")
	waitText(t, tg, group.ID, "This command is for staff of Department of Science and Technology only.")
}
