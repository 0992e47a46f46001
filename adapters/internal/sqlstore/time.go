package sqlstore

import (
	"database/sql"
	"time"
)

// ms is how every time is stored: unix milliseconds, which keep comparisons in
// SQL plain integer comparisons on every engine, whatever the caller's time zone.
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
