package mysql

import (
	"strings"
	"unicode/utf8"
)

// validUTF8 replaces invalid UTF-8 in text that comes from outside (a user
// agent header, a mail server's error): a utf8mb4 column under strict SQL mode
// refuses it, where SQLite would store the bytes as they are.
func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// maxText is the capacity in bytes of a TEXT column.
const maxText = 65535

// fitText makes s storable in a utf8mb4 TEXT column under strict SQL mode:
// valid UTF-8, cut at a character boundary to the column's capacity, so that
// an odd error message from a mail server cannot make recording it fail.
func fitText(s string) string {
	s = validUTF8(s)
	if len(s) <= maxText {
		return s
	}
	cut := maxText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
