# robotbridge: `make run` starts the engine with the demo page, `make test`
# runs every test (unit and end-to-end), `make bench` the benchmarks.

GO        ?= go
BIN       := bin/robotbridge
NODE_DEPS ?= $(CURDIR)/.cache/node
DEMO_ADDR ?= 127.0.0.1:2380
# The engine packages need no cgo; only the desktop app (ui) does. Tests
# and vet run without cgo: the "ci" tag gives Fyne its headless driver.
export CGO_ENABLED ?= 0
GOTAGS    := -tags ci
SHOTS     ?= out/screenshots
VERSION   ?= $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)

.PHONY: all build engine run deps test unit e2e e2e-deps bench race vet clean gui-test \
	screenshots package

all: build

# The full binary, desktop app included (needs gcc and the X11/GL -dev
# packages, see docs/desktop.md).
build:
	CGO_ENABLED=1 $(GO) build -o $(BIN) ./cmd/robotbridge

# The engine alone, without the desktop app: needs nothing but Go.
engine:
	$(GO) build -o bin/robotbridge-engine ./cmd/robotbridge

# RUN_ARGS adds serve flags, e.g. make run RUN_ARGS="--port 2400 --config-dir /tmp/rb".
RUN_ARGS ?=
run: engine
	@echo "Open the demo page printed below; Ctrl-C stops the engine."
	./bin/robotbridge-engine serve --demo $(DEMO_ADDR) --packages examples/packages \
		--log-level info $(RUN_ARGS)

# The Debian packages the tests need (installed only when missing).
deps:
	bash scripts/install-deps.sh

test: deps vet unit e2e gui-test

vet:
	$(GO) vet $(GOTAGS) ./...

# Inside a D-Bus session with an unlocked gnome-keyring, so the keyring
# tests reach a real Secret Service (scripts/with-keyring.sh).
unit:
	bash scripts/with-keyring.sh $(GO) test $(GOTAGS) -count=1 ./...

e2e-deps:
	NODE_DEPS=$(NODE_DEPS) bash test/e2e/install.sh

e2e: build e2e-deps
	NODE_DEPS=$(NODE_DEPS) ROBOTBRIDGE_BIN=$(CURDIR)/$(BIN) \
		node --test --test-concurrency=1 test/e2e/

# The engine packages under the race detector (needs gcc; not part of
# `make test`, to keep CI quick).
race:
	CGO_ENABLED=1 $(GO) test -race -count=1 ./bridge ./robot ./engine ./feed ./consent ./relay

bench: engine build
	bash scripts/bench.sh

# The real desktop app under Xvfb: screenshots of every tab and of the
# consent dialog, and a check that it lists the engine's processes.
gui-test screenshots: build
	bash scripts/gui-screenshots.sh $(BIN) $(SHOTS)

# A tar.gz for Linux desktops: bin/, share/applications, share/icons.
package: build
	bash scripts/package-linux.sh $(BIN) $(VERSION) out

clean:
	rm -rf bin
