// Package system adapts the operating system's clock and CSPRNG to the core's
// Clock and Random ports.
package system
