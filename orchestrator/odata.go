package orchestrator

import (
	"strconv"
	"strings"
)

// quote writes s as an OData string literal: in single quotes, with each
// single quote doubled ("O'Neil" becomes 'O”Neil').
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// eq is the filter term `field eq 'value'`.
func eq(field, value string) string { return field + " eq " + quote(value) }

// query is an ordered list of query parameters. Its encoding escapes
// every byte but the unreserved ones (RFC 3986), so a space is %20 (not +)
// and text is percent-encoded UTF-8, as OData servers expect.
type query [][2]string

func (q query) add(key, value string) query { return append(q, [2]string{key, value}) }

func (q query) encode() string {
	parts := make([]string, 0, len(q))
	for _, kv := range q {
		parts = append(parts, escapeKey(kv[0])+"="+escape(kv[1]))
	}
	return strings.Join(parts, "&")
}

// escapeKey keeps the $ of system query options ($filter, $top).
func escapeKey(k string) string {
	if strings.HasPrefix(k, "$") {
		return "$" + escape(k[1:])
	}
	return escape(k)
}

func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// pathKey writes an OData key in a path, e.g. (key='InvoiceBot:1.0.2'):
// quoted as a literal, then percent-encoded.
func pathKey(name, value string) string {
	return "(" + name + "=" + escape(quote(value)) + ")"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
