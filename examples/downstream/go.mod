module authd/examples/downstream

go 1.26.0

require authd/verifier v0.0.0-00010101000000-000000000000

require github.com/bradfitz/gomemcache v0.0.0-20260422231931-4d751bb6e37c // indirect

replace authd/verifier => ../../verifier
