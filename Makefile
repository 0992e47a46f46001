# authd — every target is a plain go command; `make help` lists them.
GO       ?= go
PKGS     ?= ./...
TESTARGS ?=
LOADARGS ?=

.PHONY: help run test build generate vet lint fmt bench load

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## run the service on the embedded default (SQLite in ./data, console mail)
	$(GO) run ./cmd/authd

test: ## run every test with the race detector; the last line counts them
	@scripts/test.sh $(PKGS) $(TESTARGS)

build: ## build bin/authd
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/authd ./cmd/authd

generate: ## regenerate cmd/authd/wire_gen.go
	$(GO) tool wire ./cmd/authd

vet: ## go vet (every module) and gofmt check
	$(GO) vet ./...
	@for m in verifier verifier/fiberverifier examples/downstream; do $(GO) vet -C $$m ./... || exit 1; done
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }

lint: vet ## alias of vet

fmt: ## gofmt the tree
	gofmt -w .

bench: ## run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

load: build ## load benchmark (a few minutes): authd vs a Fiber hello world, embedded and MySQL + memcached (with Docker)
	$(GO) build -o bin/authd-load ./cmd/authd-load
	bin/authd-load -authd bin/authd $(LOADARGS)
