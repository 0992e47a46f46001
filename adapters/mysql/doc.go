// Package mysql is the production store: every storage port on MySQL 8.x or
// MariaDB 10.11+ through sqlx and go-sql-driver/mysql, with its own versioned
// migrations. The SQL is plain on purpose (no RETURNING, no dialect-only
// functions); concurrency rules rest on conditional updates checked by rows
// affected and on SELECT ... FOR UPDATE SKIP LOCKED for outbox claims.
package mysql
