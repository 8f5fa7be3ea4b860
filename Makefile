# freeVSD - one non-recursive GNU Makefile; objects and programs in build/.
#
# Programs are discovered: every src/<prog>/ with a main.c becomes
# build/<prog> (linked with build/libvs.a = src/lib/ and src/lib/priv/).
# Unit tests: tests/unit/test_<mod>.c -> build/tests/test_<mod>; extra link
# flags (e.g. -Wl,--wrap=mount) go in tests/unit/test_<mod>.ldflags.
# Fuzz targets: tests/fuzz/fuzz_<p>.c, replayed over tests/fuzz/corpus/<p>/.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/freevsd
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
VERSION    := 0.1.0

CC         ?= cc
PKG_CONFIG ?= pkg-config
PKGS       := libarchive libzstd libcap libseccomp libcrypto
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -Wall -Wextra -O2 -g \
	-DVSD_VERSION='"$(VERSION)"' -DVSD_LIBEXECDIR='"$(LIBEXECDIR)"' \
	-DVSD_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-Isrc/lib -MMD -MP
ifeq ($(DEVELOPER),1)
BASE_CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
BASE_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS  = $(BASE_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
# --as-needed: a tool links only the libraries it uses (bevs starts in
# a fraction of the time without libcrypto and libarchive to relocate)
LIBS        = -Wl,--as-needed $(PKG_LIBS) -lpthread -lcrypt

# Debian packages needed to build, test and benchmark (make deps).
DEB_DEPS := build-essential pkg-config libarchive-dev libzstd-dev libcap-dev libcrypt-dev \
	libseccomp-dev libcmocka-dev libssl-dev rpm iproute2 util-linux \
	zstd socat curl hyperfine bubblewrap mandoc debootstrap procps time \
	psmisc file xz-utils cpio wrk python3 iperf3 iputils-ping nftables \
	bash-completion sudo

LIB_SRC  := $(sort $(wildcard src/lib/*.c src/lib/priv/*.c))
LIB_OBJ  := $(patsubst src/%.c,build/obj/%.o,$(LIB_SRC))
PROGS    := $(sort $(patsubst src/%/main.c,%,$(wildcard src/*/main.c)))
PROG_BIN := $(addprefix build/,$(PROGS))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,build/tests/%,$(UNIT_SRC))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/tests/%-replay,$(FUZZ_SRC))
# Test helpers: tests/helpers/<name>.c -> build/tests/<name> (not installed)
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
HELPER_BIN := $(patsubst tests/helpers/%.c,build/tests/%,$(HELPER_SRC))

# Programs that run inside a VS are linked statically: they must not
# depend on whatever libc the VS's skeleton carries.
STATIC_PROGS := vsinit rebootvs setrights listrights

.PHONY: all check check-unit check-fuzz check-integration check-qemu bench \
	demo deps install install-bin install-man install-conf uninstall \
	clean fuzz lint-man deb
all: $(PROG_BIN)

build/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/libvs.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

define prog_rule
build/$(1): $(patsubst src/%.c,build/obj/%.o,$(sort $(wildcard src/$(1)/*.c))) build/libvs.a
	$$(CC) $$(LDFLAGS) $(if $(filter $(1),$(STATIC_PROGS)),-static) -o $$@ $$^ \
		$(if $(filter $(1),$(STATIC_PROGS)),$$(STATIC_LIBS_$(1)),$$(LIBS))
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

build/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -c -o $@ $<

build/tests/test_%: build/tests/test_%.o build/libvs.a
	$(CC) $(LDFLAGS) -o $@ $< build/libvs.a $(LIBS) -lcmocka \
		$(shell cat tests/unit/test_$*.ldflags 2>/dev/null)

build/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/tests/fuzz/replay.o: tests/fuzz/replay.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/tests/fuzz_%-replay: build/tests/fuzz/fuzz_%.o build/tests/fuzz/replay.o build/libvs.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

build/tests/%: tests/helpers/%.c build/libvs.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< build/libvs.a $(LIBS)

check: check-unit check-fuzz lint-man check-integration

check-unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
		echo "== $$t"; $$t || fail=1; \
	done; exit $$fail

check-fuzz: $(FUZZ_BIN)
	@fail=0; for t in $(FUZZ_BIN); do \
		n=$$(basename $$t -replay); n=$${n#fuzz_}; \
		echo "== $$t tests/fuzz/corpus/$$n"; \
		$$t tests/fuzz/corpus/$$n || fail=1; \
	done; exit $$fail

# T=NNN runs only the integration scripts whose names start with NNN.
check-integration: all $(HELPER_BIN)
	@tests/run-integration.sh $(T)

check-qemu: all $(HELPER_BIN)
	ci/qemu

bench: all
	ci/bench $(B)

# a fresh machine: install what is missing, build, then run the demo
demo:
	$(MAKE) deps
	$(MAKE) all
	ci/demo

deps:
	@missing=$$(for p in $(DEB_DEPS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "all build and test dependencies present"; fi

fuzz:
	ci/fuzz

lint-man:
	@ls docs/*.[1-8] >/dev/null 2>&1 || exit 0; \
	echo "== mandoc -Tlint docs/*.[1-8]"; \
	mandoc -Tlint -Wwarning docs/*.[1-8]

install: install-bin install-man install-conf
install-bin: all
	ci/install bin "$(DESTDIR)" "$(BINDIR)" "$(SBINDIR)" "$(LIBEXECDIR)" \
		"$(MANDIR)" "$(SYSCONFDIR)" "$(PREFIX)"
install-man:
	ci/install man "$(DESTDIR)" "$(BINDIR)" "$(SBINDIR)" "$(LIBEXECDIR)" \
		"$(MANDIR)" "$(SYSCONFDIR)" "$(PREFIX)"
install-conf:
	ci/install conf "$(DESTDIR)" "$(BINDIR)" "$(SBINDIR)" "$(LIBEXECDIR)" \
		"$(MANDIR)" "$(SYSCONFDIR)" "$(PREFIX)"
uninstall:
	ci/install uninstall "$(DESTDIR)" "$(BINDIR)" "$(SBINDIR)" \
		"$(LIBEXECDIR)" "$(MANDIR)" "$(SYSCONFDIR)" "$(PREFIX)"

deb: all
	ci/mkdeb build

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
