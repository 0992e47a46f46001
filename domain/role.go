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
	// Roles are every valid role (AUTH_ROLES).
	Roles []Role
	// SignupRoles may be chosen at sign-up; a subset of Roles without an admin role.
	SignupRoles []Role
	Default     Role
	// AdminRoles may use the admin API (AUTH_ADMIN_ROLES).
	AdminRoles []Role
}

// DefaultRolePolicy is the contract's default: customer or retailer at sign-up,
// customer by default, admin for the admin API.
var DefaultRolePolicy = RolePolicy{Roles: []Role{"customer", "retailer", "admin"}, SignupRoles: []Role{"customer", "retailer"},
	Default: "customer", AdminRoles: []Role{"admin"}}

// IsAdmin reports whether r may use the admin API.
func (p RolePolicy) IsAdmin(r Role) bool { return slices.Contains(p.AdminRoles, r) }

// Valid parses a role an operator or admin assigns: one of Roles, case-insensitively.
func (p RolePolicy) Valid(requested string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(requested)))
	if slices.Contains(p.Roles, r) {
		return r, nil
	}
	return "", Validation(FieldError{"role", "must be one of: " + joinRoles(p.Roles)})
}

func joinRoles(rs []Role) string {
	names := make([]string, len(rs))
	for i, s := range rs {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// Resolve turns a requested role (empty for none) into the role to store.
func (p RolePolicy) Resolve(requested string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(requested)))
	if r == "" {
		return p.Default, nil
	}
	if slices.Contains(p.SignupRoles, r) {
		return r, nil
	}
	return "", Validation(FieldError{"role", "must be one of: " + joinRoles(p.SignupRoles)})
}
