package password

import (
	_ "embed" // the common-password list is compiled into the binary
	"strings"
	"sync"

	"authd/domain"
)

// commonList is SecLists' 10k-most-common.txt, byte for byte (CRLF lines); see
// data/README.md for its source, licence and hash.
//
//go:embed data/10k-most-common.txt
var commonList string

// CommonList is the domain's CommonPasswords: a set of passwords that attackers
// try first, matched after NFKC normalisation and case folding, so "PassWord1"
// and fullwidth "ｐａｓｓｗｏｒｄ１" are as common as "password1".
type CommonList struct {
	set map[string]struct{}
}

var _ domain.CommonPasswords = (*CommonList)(nil)

var embeddedList = sync.OnceValue(func() *CommonList { return parseCommonList(commonList) })

// CommonPasswords returns the embedded list of the 10,000 most common passwords,
// parsed on first use and shared, since it never changes while the process runs.
func CommonPasswords() *CommonList { return embeddedList() }

// parseCommonList reads a list with one password per line (LF or CRLF), storing
// each entry in the form Contains compares.
func parseCommonList(text string) *CommonList {
	l := &CommonList{set: make(map[string]struct{}, strings.Count(text, "\n")+1)}
	for line := range strings.Lines(text) {
		if w := strings.TrimRight(line, "\r\n"); w != "" {
			l.set[canonical(w)] = struct{}{}
		}
	}
	return l
}

// Contains reports whether password is on the list, compared case-insensitively
// after NFKC normalisation.
func (l *CommonList) Contains(password string) bool {
	_, ok := l.set[canonical(password)]
	return ok
}

// Len is the number of distinct entries once folded, so tests and operators can
// see how much of the list is in force.
func (l *CommonList) Len() int { return len(l.set) }
