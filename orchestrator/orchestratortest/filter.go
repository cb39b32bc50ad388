package orchestratortest

import (
	"fmt"
	"strconv"
	"strings"
)

// filter is a parsed OData $filter: comparisons (eq ne gt ge lt le, in)
// joined by and, or, not and parentheses. It supports what clients of
// the Orchestrator send (spec §2.4).
type filter interface {
	match(row map[string]any) bool
}

type orFilter []filter
type andFilter []filter
type notFilter struct{ f filter }
type cmpFilter struct {
	field, op string
	values    []any // one, or the list of "in"
}

func (o orFilter) match(r map[string]any) bool {
	for _, f := range o {
		if f.match(r) {
			return true
		}
	}
	return false
}

func (a andFilter) match(r map[string]any) bool {
	for _, f := range a {
		if !f.match(r) {
			return false
		}
	}
	return true
}

func (n notFilter) match(r map[string]any) bool { return !n.f.match(r) }

func (c cmpFilter) match(r map[string]any) bool {
	v, ok := r[c.field]
	if !ok {
		return false
	}
	if c.op == "in" {
		for _, want := range c.values {
			if compare(v, want) == 0 {
				return true
			}
		}
		return false
	}
	d := compare(v, c.values[0])
	switch c.op {
	case "eq":
		return d == 0
	case "ne":
		return d != 0
	case "gt":
		return d > 0
	case "ge":
		return d >= 0
	case "lt":
		return d < 0
	case "le":
		return d <= 0
	}
	return false
}

// compare orders a row value and a literal: numbers numerically, text
// case-insensitively (like the server's SQL collation); -2 when the types
// do not compare.
func compare(v, lit any) int {
	switch lv := lit.(type) {
	case float64:
		n, ok := toFloat(v)
		if !ok {
			return -2
		}
		switch {
		case n < lv:
			return -1
		case n > lv:
			return 1
		}
		return 0
	case string:
		s, ok := v.(string)
		if !ok {
			return -2
		}
		return strings.Compare(strings.ToLower(s), strings.ToLower(lv))
	case nil:
		if v == nil {
			return 0
		}
		return 1
	}
	return -2
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// parseFilter parses s and counts its comparisons (each "in" value
// counts as one), which the server limits.
func parseFilter(s string) (filter, int, error) {
	p := &parser{toks: tokenize(s)}
	f, err := p.or()
	if err != nil {
		return nil, 0, err
	}
	if p.i < len(p.toks) {
		return nil, 0, fmt.Errorf("unexpected %q", p.toks[p.i])
	}
	return f, p.count, nil
}

type parser struct {
	toks  []string
	i     int
	count int
}

func (p *parser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *parser) next() string { t := p.peek(); p.i++; return t }

func (p *parser) or() (filter, error) {
	var list orFilter
	for {
		f, err := p.and()
		if err != nil {
			return nil, err
		}
		list = append(list, f)
		if !strings.EqualFold(p.peek(), "or") {
			break
		}
		p.next()
	}
	if len(list) == 1 {
		return list[0], nil
	}
	return list, nil
}

func (p *parser) and() (filter, error) {
	var list andFilter
	for {
		f, err := p.unary()
		if err != nil {
			return nil, err
		}
		list = append(list, f)
		if !strings.EqualFold(p.peek(), "and") {
			break
		}
		p.next()
	}
	if len(list) == 1 {
		return list[0], nil
	}
	return list, nil
}

func (p *parser) unary() (filter, error) {
	switch t := p.peek(); {
	case strings.EqualFold(t, "not"):
		p.next()
		f, err := p.unary()
		return notFilter{f}, err
	case t == "(":
		p.next()
		f, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next() != ")" {
			return nil, fmt.Errorf("missing )")
		}
		return f, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (filter, error) {
	field, op := p.next(), strings.ToLower(p.next())
	if field == "" || !isIdent(field) {
		return nil, fmt.Errorf("expected a property name, got %q", field)
	}
	switch op {
	case "eq", "ne", "gt", "ge", "lt", "le":
		v, err := literal(p.next())
		p.count++
		return cmpFilter{field: field, op: op, values: []any{v}}, err
	case "in":
		return p.inList(field)
	}
	return nil, fmt.Errorf("unknown operator %q after %s", op, field)
}

func (p *parser) inList(field string) (filter, error) {
	if p.next() != "(" {
		return nil, fmt.Errorf("expected ( after in")
	}
	c := cmpFilter{field: field, op: "in"}
	for {
		v, err := literal(p.next())
		if err != nil {
			return nil, err
		}
		c.values = append(c.values, v)
		p.count++
		switch p.next() {
		case ",":
			continue
		case ")":
			return c, nil
		default:
			return nil, fmt.Errorf("expected , or ) in the in list")
		}
	}
}

func isIdent(s string) bool {
	for _, r := range s {
		if !(r == '_' || r == '/' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
			r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// literal reads a quoted string (with ” for a quote), a number, null,
// true/false, or an unquoted date or GUID (kept as text).
func literal(t string) (any, error) {
	switch {
	case t == "":
		return nil, fmt.Errorf("missing value")
	case strings.HasPrefix(t, "'"):
		if len(t) < 2 || !strings.HasSuffix(t, "'") {
			return nil, fmt.Errorf("unterminated string %s", t)
		}
		return strings.ReplaceAll(t[1:len(t)-1], "''", "'"), nil
	case t == "null":
		return nil, nil
	}
	if n, err := strconv.ParseFloat(t, 64); err == nil {
		return n, nil
	}
	return t, nil
}

func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, string(c))
			i++
		case c == '\'':
			j := i + 1
			for j < len(s) {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			toks = append(toks, s[i:min(j+1, len(s))])
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" (),", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}
