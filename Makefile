# envoy-reloader — see README.md. `make test` is what CI runs.
GO          ?= go
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)

.PHONY: all build test unit lint vet staticcheck bench fuzz generate clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o bin/envoy-reloader ./cmd/envoy-reloader

## test: vet, staticcheck and every test with the race detector.
test: lint unit

unit:
	$(GO) test -race -count=1 ./...

lint: vet staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

$(STATICCHECK):
	GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

## bench: Go benchmarks (validation speed, watch latency and idle cost).
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## fuzz: fuzz the bootstrap loader, seeded with the corpus.
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzLoad -fuzztime=60s ./config/bootstrap/

## generate: regenerate the go-control-plane type registry after a module bump.
generate:
	$(GO) generate ./config/bootstrap/

clean:
	rm -rf bin bench-results.json
