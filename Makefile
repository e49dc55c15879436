# storage-agent — see README.md. `make run` and `make test` are all a fresh
# Debian machine with Go needs.

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# Workers re-execute this binary inside an empty sandbox: it must be static.
STATIC   := -tags=osusergo,netgo,seccomp -ldflags=-extldflags=-static
LDFLAGS  := -extldflags -static -X main.version=$(VERSION)
export CGO_ENABLED := 1
export GOFLAGS := -buildvcs=false

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
BIN  := bin/storage-agent

# Tools the tests drive, as command:debian-package pairs.
TEST_TOOLS  := gcc:gcc sftp:openssh-client scp:openssh-client ssh-keygen:openssh-client curl:curl rsync:rsync unzip:unzip sshpass:sshpass lftp:lftp redis-server:redis-server chromium:chromium
BENCH_TOOLS := $(TEST_TOOLS) /usr/sbin/sshd:openssh-server /usr/sbin/nginx:nginx-light

.PHONY: all build build-deps run test test-deps bench bench-deps screenshots vet fmt clean

all: build

build:
	@$(MAKE) --no-print-directory build-deps
	go build -tags osusergo,netgo,seccomp -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/storage-agent

# run: build and start the daemon on built-in defaults (state under ./var).
run: build
	$(SUDO) ./$(BIN) serve

test: test-deps vet
	go test $(STATIC) -count=1 -timeout 40m ./...

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted: $$unformatted"; exit 1; fi
	go vet $(STATIC) ./...

bench: bench-deps build
	go run $(STATIC) ./cmd/storage-agent-bench --agent $(BIN) --rounds 5

# screenshots: the README's pictures of the browser UI, taken by
# TestUIScreenshots into docs/screenshots (`make test` takes them into a
# temporary directory: it never rewrites tracked files).
# The language button says 한국어: without a Korean font it shows as boxes.
screenshots: test-deps
	@fc-list :lang=ko 2>/dev/null | grep -q . || $(MAKE) --no-print-directory apt PKGS=fonts-nanum
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots go test $(STATIC) -count=1 -run '^TestUIScreenshots$$' ./cmd/storage-agent

test-deps:
	@$(MAKE) --no-print-directory need TOOLS="$(TEST_TOOLS)"
	@$(MAKE) --no-print-directory build-deps

# build-deps: the static C libraries the static binary links (libc for
# libcontainer's nsenter, libseccomp for the workers' syscall filter).
build-deps:
	@missing=""; for pair in libc.a:libc6-dev libseccomp.a:libseccomp-dev; do \
		lib=$${pair%%:*}; pkg=$${pair##*:}; \
		command -v gcc >/dev/null 2>&1 && test -f "$$(gcc -print-file-name=$$lib)" || missing="$$missing $$pkg"; \
	done; \
	command -v gcc >/dev/null 2>&1 || missing="$$missing gcc"; \
	command -v pkg-config >/dev/null 2>&1 || missing="$$missing pkg-config"; \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory apt PKGS="$$missing"; fi

bench-deps:
	@$(MAKE) --no-print-directory need TOOLS="$(BENCH_TOOLS)"

# need: apt-get install the packages whose commands are missing.
need:
	@missing=""; for pair in $(TOOLS); do \
		cmd=$${pair%%:*}; pkg=$${pair##*:}; \
		command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory apt PKGS="$$missing"; fi

apt:
	@echo "installing:$(PKGS)"
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
