# envoy-reloader — see README.md. `make test` is what CI runs.
GO          ?= go
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)

STANDIN_IMAGE ?= envoy-reloader-standin:dev

.PHONY: all build test unit lint vet staticcheck bench fuzz generate clean image-standin dev dev-down fidelity

all: build

## build: the reloader and the hot restarter, static.
build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o bin/envoy-reloader ./cmd/envoy-reloader
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o bin/envoy-hot-restarter ./cmd/envoy-hot-restarter

## dev: build, start the example stack (examples/compose: two Envoys) and watch their bootstraps.
dev: build
	bash examples/compose/dev.sh

## dev-down: stop the example stack.
dev-down:
	bash examples/compose/dev.sh down

## image-standin: the stand-in Envoy image (tests, offline `make dev`), FROM scratch.
## Its build context is a directory of its own, so that builds running side by
## side (tests beside `make bench`) never mix their binaries.
image-standin:
	@ctx=$$(mktemp -d) && trap 'rm -rf "$$ctx"' EXIT && \
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o "$$ctx/envoy-hot-restarter" ./cmd/envoy-hot-restarter && \
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o "$$ctx/envoy" ./internal/envoytest/cmd/envoy && \
	{ out=$$(docker build -q -t $(STANDIN_IMAGE) -f e2e/standin.Dockerfile "$$ctx" 2>&1) || { echo "$$out" >&2; exit 1; }; } && \
	echo "built $(STANDIN_IMAGE)"

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

## bench: Go benchmarks (validation, watch latency, idle CPU), then the
## side-by-side comparison of reload methods in Docker, and one reloader
## watching three Envoys beside one (bench-results.json).
bench: build image-standin
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	$(GO) run ./e2e/benchcmp -o bench-results.json -image $(STANDIN_IMAGE)

## fidelity: every corpus bootstrap and 5,000 seeded variants through both
## `check` and the real `envoy --mode validate` (build/envoy or $$ENVOY_BINARY):
## the agreement table by kind (internal/fidelity).
fidelity:
	$(GO) run ./internal/fidelity/cmd/fidelity -n $${FIDELITY_VARIANTS:-5000}

## fuzz: fuzz the bootstrap loader, seeded with the corpus.
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzLoad -fuzztime=60s -fuzzminimizetime=2s ./config/bootstrap/

## generate: regenerate the go-control-plane type registry after a module bump, and with
## ENVOY_API_DIR=<data-plane-api checkout> the deprecation hints (deprecated_gen.go).
generate:
	$(GO) generate ./config/bootstrap/

clean:
	rm -rf bin bench-results.json
