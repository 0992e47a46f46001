// Package sqlstore holds every storage repository of authd once, in SQL that
// every engine runs, over a small Dialect per engine (placeholders, row locks,
// error classification, text cleaning, transaction options). An engine
// package (adapters/sqlite, adapters/mysql, ...) opens its pools, migrates its
// schema and describes its dialect; everything above that is here.
//
// The SQL avoids what the engines do not share: no RETURNING (a conditional
// update, its rows-affected count and a re-read in the same transaction carry
// the concurrency rules instead), row locks only through the dialect, unix
// milliseconds for every time. It imports no driver: only domain, ports and
// database/sql with sqlx.
package sqlstore
