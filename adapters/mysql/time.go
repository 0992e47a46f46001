package mysql

import (
	"database/sql"
	"time"
)

// ms is how every time is stored: BIGINT unix milliseconds, which keep
// comparisons in SQL plain integer comparisons whatever the time zone of the
// caller, the connection or the server (and match the SQLite store exactly).
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS is the inverse of ms; times come back in UTC.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// nullMS stores an optional time; nil is NULL.
func nullMS(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(*t), Valid: true}
}

// fromNullMS is the inverse of nullMS.
func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}
