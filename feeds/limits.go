package feeds

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// Shape limits of a source document, checked before any parser builds
// anything from it. The size cap (16 MiB) alone does not bound the cost of
// parsing: a document nested millions of levels deep overflows the stack
// of the recursive parsers behind gofeed (a fatal error, which no recover
// catches), and 16 MiB of tiny elements made gofeed and goquery allocate 1
// to 2 GB. Real sources are far inside these limits: MSRC's feed, the
// largest, has about 4,700 items in 2.4 MB; feeds nest
// a handful of levels (an Atom entry's XHTML content a few dozen), KEV and
// JSON Feed three to five.
const (
	// MaxXMLDepth is the deepest element nesting an XML feed may have.
	MaxXMLDepth = 256
	// MaxJSONDepth is the deepest nesting of objects and arrays a JSON
	// Feed or the KEV catalogue may have.
	MaxJSONDepth = 64
	// MaxElements is how many elements an XML feed, or values a JSON
	// document, may have.
	MaxElements = 200_000
	// MaxPageElements is how many tags and texts an HTML page may have:
	// a page becomes a tree of nodes, and each entry is queried with
	// selectors, which costs more per element than a feed. A news
	// listing page has a few thousand.
	MaxPageElements = 100_000
	// MaxEntries is how many items (RSS item, Atom entry) an XML feed,
	// or objects a JSON document, may have.
	MaxEntries = 20_000
	// MaxFieldBytes is the largest one field of an XML feed (a title, a
	// description, a content, with any markup inside) or one string of a
	// JSON document (a title, a content_html, a key) may be, as written in
	// the document: gofeed reads each as one string and parses item
	// descriptions as HTML documents (looking for an image), which for 16
	// MB of escaped tags took 14 s and 230 MB, and every text is cleaned
	// as HTML after. A long advisory is about 100 KB; the longest string of
	// the whole KEV catalogue is under 1 KB.
	MaxFieldBytes = 1 << 20
)

// ErrTooDeep is wrapped by the error for a document nested deeper than
// MaxXMLDepth or MaxJSONDepth.
var ErrTooDeep = errors.New("document nested too deeply")

// ErrFieldTooLarge is wrapped by the error for an XML feed with a field,
// or a JSON document with a string, larger than MaxFieldBytes.
var ErrFieldTooLarge = errors.New("document field too large")

// ErrTooMany is wrapped by the error for a document with more than
// MaxElements elements or MaxEntries entries.
var ErrTooMany = errors.New("document has too many elements")

// shapeLimits are what one kind of document is checked against.
type shapeLimits struct {
	depth, elements, entries int
	field                    int64 // XML fields and JSON strings; 0 for pages
}

var (
	xmlLimits  = shapeLimits{MaxXMLDepth, MaxElements, MaxEntries, MaxFieldBytes}
	jsonLimits = shapeLimits{MaxJSONDepth, MaxElements, MaxEntries, MaxFieldBytes}
	pageLimits = shapeLimits{depth: 512, elements: MaxPageElements, entries: MaxEntries} // depth: x/net/html's own
)

// containers are the XML elements made of other elements, which may be as
// large as the document; every other element is a field.
var containers = map[string]bool{"rss": true, "rdf": true, "feed": true, "channel": true, "item": true, "entry": true, "items": true, "seq": true}

// checkFeedShape refuses a feed that is too deep or too large in elements,
// reading it as gofeed will: a document whose first character is '{' or
// '[' is JSON, anything else XML.
func checkFeedShape(body []byte) error {
	switch rootName(body) {
	case "{", "[":
		return checkJSONShape(body, jsonLimits)
	}
	return checkXMLShape(body, xmlLimits)
}

// checkXMLShape refuses an XML feed past the limits, counting its elements
// as gofeed's decoder will read them (see scanXMLShape). quickXMLShape
// reads an ordinary document several times faster with the same answer,
// and defers to scanXMLShape for any other.
func checkXMLShape(body []byte, lim shapeLimits) error {
	if err, ok := quickXMLShape(body, lim); ok {
		return err
	}
	return scanXMLShape(body, lim)
}

// scanXMLShape scans the document's elements with encoding/xml's own
// tokenizer, configured as gofeed configures it (non-strict, C0 controls
// dropped first), so that it sees exactly the elements the parser would.
// RawToken keeps no element stack and this loop counts instead of
// recursing, so the scan costs the same at any depth and stops at the
// first element past a limit. A syntax error ends the scan: the parser
// stops at the same place.
func scanXMLShape(body []byte, lim shapeLimits) error {
	d := xml.NewDecoder(&controlCharFilter{r: bytes.NewReader(body)})
	d.Strict = false
	// The body is UTF-8 by now (toUTF8); a declaration naming another
	// encoding must not stop the scan before the parser's own run.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	c := xmlCount{lim: lim}
	fieldName := ""
	for {
		start := d.InputOffset()
		tok, err := d.RawToken()
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(t.Name.Local)
			field, err := c.open(containers[name], name == "item" || name == "entry", start, d.InputOffset())
			if field {
				fieldName = t.Name.Local
			}
			if err != nil {
				return err
			}
		case xml.EndElement:
			c.close()
		}
		if c.fieldOver(d.InputOffset()) {
			return c.fieldError(fieldName)
		}
	}
}

// xmlCount counts the elements of an XML document against its limits, as
// a scan reads them.
type xmlCount struct {
	lim                      shapeLimits
	depth, elements, entries int
	// The outermost open field: its depth (0 when none) and where it
	// started. Fields inside it count towards its size.
	fieldDepth int
	fieldStart int64
}

// open counts a start tag that takes the bytes from start to end; a
// container (see containers) is made of other elements, an entry is an
// item. It reports whether the element opens a field.
func (c *xmlCount) open(container, entry bool, start, end int64) (field bool, err error) {
	c.depth++
	c.elements++
	if entry {
		c.entries++
	}
	if c.fieldDepth == 0 && !container {
		c.fieldDepth, c.fieldStart, field = c.depth, start, true
	}
	switch {
	case c.depth > c.lim.depth:
		return field, fmt.Errorf("%w: elements nested more than %d levels deep (at byte %d)", ErrTooDeep, c.lim.depth, end)
	case c.elements > c.lim.elements:
		return field, fmt.Errorf("%w: more than %d elements (at byte %d)", ErrTooMany, c.lim.elements, end)
	case c.entries > c.lim.entries:
		return field, fmt.Errorf("%w: more than %d items (at byte %d)", ErrTooMany, c.lim.entries, end)
	}
	return field, nil
}

// close counts an end tag.
func (c *xmlCount) close() {
	if c.depth == c.fieldDepth {
		c.fieldDepth = 0
	}
	c.depth = max(c.depth-1, 0)
}

// fieldOver reports whether the open field, read up to byte end, is
// larger than the limit.
func (c *xmlCount) fieldOver(end int64) bool {
	return c.fieldDepth > 0 && end-c.fieldStart > c.lim.field
}

func (c *xmlCount) fieldError(name string) error {
	return fmt.Errorf("%w: <%s> of more than %s (at byte %d)", ErrFieldTooLarge, name, byteSize(c.lim.field), c.fieldStart)
}

// controlCharFilter drops the C0 control bytes that XML forbids (all below
// 0x20 but tab, LF and CR), as gofeed does before its parser sees a
// document: the shape scan must read the same bytes.
type controlCharFilter struct{ r io.Reader }

func (c *controlCharFilter) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		w := 0
		for _, b := range p[:n] {
			if b < 0x20 && b != '\t' && b != '\n' && b != '\r' {
				continue
			}
			p[w] = b
			w++
		}
		if w > 0 || err != nil {
			return w, err
		}
	}
}

// checkJSONShape counts open objects and arrays outside strings (JSON has
// no other way to nest), objects (a feed's items), and values by their
// separators, and measures each string as written (escapes included).
// Go's encoding/json stops at 10,000 levels, but each level and each
// value still costs the decoder.
func checkJSONShape(body []byte, lim shapeLimits) error {
	depth, values, objects := 0, 1, 0
	inString, escaped, stringStart := false, false, 0
	for i, b := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
			if int64(i-stringStart) > lim.field {
				return fmt.Errorf("%w: a string of more than %s (at byte %d)", ErrFieldTooLarge, byteSize(lim.field), stringStart)
			}
			continue
		case b == '"':
			inString, stringStart = true, i
		case b == '{' || b == '[':
			depth++
			values++
			if b == '{' {
				objects++
			}
		case b == '}' || b == ']':
			depth = max(depth-1, 0)
		case b == ',':
			values++
		default:
			continue
		}
		switch {
		case depth > lim.depth:
			return fmt.Errorf("%w: objects and arrays nested more than %d levels deep (at byte %d)", ErrTooDeep, lim.depth, i)
		case values > lim.elements:
			return fmt.Errorf("%w: more than %d values (at byte %d)", ErrTooMany, lim.elements, i)
		case objects > lim.entries:
			return fmt.Errorf("%w: more than %d objects (at byte %d)", ErrTooMany, lim.entries, i)
		}
	}
	return nil
}

// checkHTMLShape counts a page's tags and text runs with x/net/html's own
// tokenizer, which the parser behind goquery uses, so that a page of
// millions of tiny elements is refused before it becomes millions of
// nodes. Depth needs no check here: that parser refuses more than 512
// open elements.
func checkHTMLShape(body []byte, lim shapeLimits) error {
	z := html.NewTokenizer(bytes.NewReader(body))
	tokens := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return nil
		case html.StartTagToken, html.SelfClosingTagToken, html.TextToken, html.CommentToken:
			tokens++
			if tokens > lim.elements {
				return fmt.Errorf("%w: more than %d elements and texts", ErrTooMany, lim.elements)
			}
		}
	}
}
