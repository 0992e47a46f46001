package test

import (
	"testing"

	"authd/test/contract"
)

// The multi-factor sign-in stores pass one suite on every engine and on the fakes.

func TestSQLiteMFA(t *testing.T)   { t.Parallel(); contract.MFA(t, newSQLiteStore) }
func TestMySQLMFA(t *testing.T)    { contract.MFA(t, newMySQLStore) }
func TestPostgresMFA(t *testing.T) { contract.MFA(t, newPostgresStore) }
func TestFakeMFA(t *testing.T)     { t.Parallel(); contract.MFA(t, newFakeStore) }
