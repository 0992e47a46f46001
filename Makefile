# authd — every target is a plain go command; `make help` lists them.
GO       ?= go
PKGS     ?= ./...
TESTARGS ?=
LOADARGS ?=
# Stamped into the binary (`authd version`, the start log line, /healthz).
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
IMAGE    ?= authd:$(VERSION)

.PHONY: help run test build image generate vet lint fmt bench load

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: build ## build and run the service on the embedded default (SQLite in ./data, console mail); Ctrl-C stops it cleanly
	@exec ./bin/authd

test: ## run every test with the race detector; the last line counts them
	@scripts/test.sh $(PKGS) $(TESTARGS)

build: ## build bin/authd (static, version stamped)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/authd ./cmd/authd

image: build ## build the container image $(IMAGE) from scratch (no registry needed)
	@scripts/image.sh "$(IMAGE)" bin/authd

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
