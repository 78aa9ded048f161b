package feeds

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/canhbao/canhbao/store"
)

// kevCatalog is CISA's Known Exploited Vulnerabilities catalogue
// (https://www.cisa.gov/known-exploited-vulnerabilities-catalog).
type kevCatalog struct {
	Title           string     `json:"title"`
	CatalogVersion  string     `json:"catalogVersion"`
	Vulnerabilities []kevEntry `json:"vulnerabilities"`
}

type kevEntry struct {
	CVEID                      string `json:"cveID"`
	VendorProject              string `json:"vendorProject"`
	Product                    string `json:"product"`
	VulnerabilityName          string `json:"vulnerabilityName"`
	DateAdded                  string `json:"dateAdded"`
	ShortDescription           string `json:"shortDescription"`
	RequiredAction             string `json:"requiredAction"`
	DueDate                    string `json:"dueDate"`
	KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
}

// parseKEV reads the KEV catalogue. Every entry is exploited by definition,
// so it is at least high; one known to be used by ransomware campaigns is
// critical.
func parseKEV(body []byte, contentType string) ([]rawItem, error) {
	if err := notHTML(contentType, body, "the KEV JSON catalogue"); err != nil {
		return nil, err
	}
	body, err := toUTF8(body, contentType)
	if err != nil {
		return nil, err
	}
	if err := checkJSONShape(body, jsonLimits); err != nil {
		return nil, err
	}
	var cat kevCatalog
	if err := json.Unmarshal(body, &cat); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("KEV catalogue is not valid JSON at byte %d: %w", syn.Offset, err)
		}
		return nil, fmt.Errorf("KEV catalogue: %w", err)
	}
	if cat.Vulnerabilities == nil {
		return nil, fmt.Errorf("%w: no \"vulnerabilities\" array, so not the CISA KEV catalogue", ErrNotFeed)
	}
	items := make([]rawItem, 0, len(cat.Vulnerabilities))
	for _, v := range cat.Vulnerabilities {
		id := strings.ToUpper(strings.TrimSpace(v.CVEID))
		if id == "" {
			continue
		}
		name := strings.TrimSpace(v.VulnerabilityName)
		title := id
		if name != "" {
			title = name + " (" + id + ")"
		}
		floor := store.SeverityHigh
		facts := &kevFacts{action: strings.TrimSpace(v.RequiredAction)}
		if strings.EqualFold(v.KnownRansomwareCampaignUse, "Known") {
			facts.ransomware = true
			floor = store.SeverityCritical
		}
		if t, err := time.Parse(time.DateOnly, strings.TrimSpace(v.DueDate)); err == nil {
			facts.due = t
		}
		// The ransomware use and the required action are not part of the
		// text: the card says them in its own language.
		it := rawItem{
			guid:      id,
			link:      "https://nvd.nist.gov/vuln/detail/" + id,
			title:     title,
			summary:   strings.TrimSpace(v.ShortDescription),
			exploited: true,
			floor:     floor,
			extra:     id,
			kev:       facts,
		}
		for _, s := range []string{v.VendorProject, v.Product} {
			if s = strings.TrimSpace(s); s != "" && !strings.HasPrefix(strings.ToLower(s), "multiple") {
				it.vendors = append(it.vendors, s)
			}
		}
		if t, err := time.Parse(time.DateOnly, strings.TrimSpace(v.DateAdded)); err == nil {
			it.published = t
			facts.added = t
		}
		items = append(items, it)
	}
	return items, nil
}

// kevFacts are a KEV entry's own fields, kept apart from its text.
type kevFacts struct {
	ransomware bool
	action     string
	due, added time.Time
}
