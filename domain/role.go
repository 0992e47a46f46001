package domain

import (
	"slices"
	"strings"
)

// Role is a lower-case authorisation label carried in access tokens.
type Role string

// RolePolicy says which roles a user may choose at sign-up; every other role
// (admin included) is granted by operators, never self-assigned.
type RolePolicy struct {
	SignupRoles []Role
	Default     Role
}

// DefaultRolePolicy is the contract's default: customer or retailer, customer by default.
var DefaultRolePolicy = RolePolicy{SignupRoles: []Role{"customer", "retailer"}, Default: "customer"}

// Resolve turns a requested role (empty for none) into the role to store.
func (p RolePolicy) Resolve(requested string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(requested)))
	if r == "" {
		return p.Default, nil
	}
	if slices.Contains(p.SignupRoles, r) {
		return r, nil
	}
	names := make([]string, len(p.SignupRoles))
	for i, s := range p.SignupRoles {
		names[i] = string(s)
	}
	return "", Validation(FieldError{"role", "must be one of: " + strings.Join(names, ", ")})
}
