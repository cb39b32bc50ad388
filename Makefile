# robotbridge: `make run` starts the engine with the demo page, `make test`
# runs every test (unit and end-to-end), `make bench` the benchmarks.

GO        ?= go
BIN       := bin/robotbridge
NODE_DEPS ?= $(CURDIR)/.cache/node
DEMO_ADDR ?= 127.0.0.1:2380
# The engine packages need no cgo; only the GUI (ui) will.
export CGO_ENABLED ?= 0

.PHONY: all build run test unit e2e e2e-deps bench vet clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/robotbridge

run: build
	@echo "Open the demo page printed below; Ctrl-C stops the engine."
	./$(BIN) serve --demo $(DEMO_ADDR) --packages examples/packages --log-level info

test: vet unit e2e

vet:
	$(GO) vet ./...

# Inside a D-Bus session with an unlocked gnome-keyring, so the keyring
# tests reach a real Secret Service (scripts/with-keyring.sh).
unit:
	bash scripts/with-keyring.sh $(GO) test -count=1 ./...

e2e-deps:
	NODE_DEPS=$(NODE_DEPS) bash test/e2e/install.sh

e2e: build e2e-deps
	NODE_DEPS=$(NODE_DEPS) ROBOTBRIDGE_BIN=$(CURDIR)/$(BIN) \
		node --test --test-concurrency=1 test/e2e/

bench: build
	bash scripts/bench.sh

clean:
	rm -rf bin
