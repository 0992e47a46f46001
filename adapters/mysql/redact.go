package mysql

import (
	"database/sql"
	"database/sql/driver"
	"strings"
)

func sqlOpenDB(c driver.Connector) *sql.DB { return sql.OpenDB(c) }

// redact removes the password from an error text before it is shown.
func redact(err error, password string) string {
	s := err.Error()
	if password != "" {
		s = strings.ReplaceAll(s, password, "*****")
	}
	return s
}
