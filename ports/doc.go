// Package ports holds the interfaces between the core and the outside: inbound.go
// lists what the transport adapters call, outbound.go what the core needs from
// storage, mail, crypto and time. Interfaces and their plain data types only.
package ports
