# romflash -- one plain Makefile.
#   make          build ./romflash
#   make check    install missing deps, build (warnings are errors), run every test
#   make demo     install missing deps, build, flash a sample into the emulated phone
#   make asan     the same build with AddressSanitizer + UBSan, then its tests
#   make bench    benchmarks (docs/benchmarks.md)
#   make fuzz     fuzz the parsers (libFuzzer, clang)
#   make install  PREFIX (default /usr/local), DESTDIR, UDEVDIR; make uninstall
#
# Variables a packager may set: CC, CPPFLAGS, CFLAGS, LDFLAGS, OPT (default
# "-O2 -g"), PKG_CONFIG, PREFIX, DESTDIR, UDEVDIR (and BINDIR, MANDIR,
# DATADIR, BASHCOMPDIR, ZSHCOMPDIR below).  WERROR=-Werror turns
# warnings into errors; `make check`, `make asan` and CI set it, a user's
# build with another compiler or -O level does not.

PREFIX ?= /usr/local
# udev reads packaged rules from /lib/udev/rules.d and local ones from
# /etc/udev/rules.d (it never looks under /usr/local).
UDEVDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/udev/rules.d,/etc/udev/rules.d)
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libusb-1.0 libarchive libcurl libcrypto libisal
TEST_PKGS := check umockdev-1.0
WERROR ?=

OPT ?= -O2 -g
# Every folder of protocol/ and flasher/ holds headers included by bare name.
SRC_DIRS := protocol $(sort $(dir $(wildcard flasher/*/*.h)))
CFLAGS_BASE := -std=c11 -Wall -Wextra $(WERROR) -D_GNU_SOURCE $(addprefix -I,$(SRC_DIRS:%/=%))

# pkg-config, asked once per make and loudly when a library is missing
# (the variables are expanded only by targets that compile or link, so
# `make deps` can install them first).
pkg_need = $(if $(shell $(PKG_CONFIG) --exists $(1) && echo ok),,$(error \
	$(PKG_CONFIG) cannot find: $(1) -- run `make deps` (Debian) or install them))
once = $(eval $(1) := $(2))$($(1))
PKG_CFLAGS = $(call once,PKG_CFLAGS,$(call pkg_need,$(PKGS))$(shell $(PKG_CONFIG) --cflags $(PKGS)))
PKG_LIBS = $(call once,PKG_LIBS,$(call pkg_need,$(PKGS))$(shell $(PKG_CONFIG) --libs $(PKGS)) -lpthread -lm)
TEST_CFLAGS = $(call once,TEST_CFLAGS,$(call pkg_need,$(TEST_PKGS))$(shell $(PKG_CONFIG) --cflags $(TEST_PKGS)))
TEST_LIBS = $(call once,TEST_LIBS,$(call pkg_need,$(TEST_PKGS))$(shell $(PKG_CONFIG) --libs $(TEST_PKGS)))
ALL_CFLAGS = $(CFLAGS_BASE) $(OPT) $(SAN) $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)

B ?= build
PROTO_SRC := $(wildcard protocol/*.c)
MAIN_SRC := flasher/cli/main.c
FLASHER_SRC := $(filter-out $(MAIN_SRC),$(wildcard flasher/*/*.c))
EMU_SRC := $(filter-out tests/emu/emu_main.c,$(wildcard tests/emu/*.c))
TEST_SRC := $(wildcard tests/check_*.c)
TEST_HELPERS := $(wildcard tests/helpers/*.c)

PROTO_OBJ := $(PROTO_SRC:%.c=$(B)/%.o)
FLASHER_OBJ := $(FLASHER_SRC:%.c=$(B)/%.o)
EMU_OBJ := $(EMU_SRC:%.c=$(B)/%.o)
HELPER_OBJ := $(TEST_HELPERS:%.c=$(B)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(B)/tests/%)

all: romflash

# The binaries live in $(B)/ (build/ or build-asan/); ./romflash is a copy.
romflash: $(B)/romflash
	cp $(B)/romflash $@

$(B)/romflash: $(B)/flasher/cli/main.o $(B)/libflasher.a $(B)/libprotocol.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/romflash-emu: $(B)/tests/emu/emu_main.o $(B)/libemu.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/libprotocol.a: $(PROTO_OBJ)
	@rm -f $@; ar rcs $@ $^
$(B)/libflasher.a: $(FLASHER_OBJ)
	@rm -f $@; ar rcs $@ $^
$(B)/libemu.a: $(EMU_OBJ)
	@rm -f $@; ar rcs $@ $^

$(B)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests -Itests/helpers -Itests/emu -MMD -MP -c -o $@ $<
$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/emu -MMD -MP -c -o $@ $<

# data/catalog.txt is linked into the binary (flasher/download/catalog_data.c).
CATALOG_OBJ := $(B)/flasher/download/catalog_data.o
$(CATALOG_OBJ): data/catalog.txt
$(CATALOG_OBJ): ALL_CFLAGS += -DRF_CATALOG_FILE='"$(CURDIR)/data/catalog.txt"'

# Each tests/check_*.c is one Check suite binary.
$(B)/tests/check_%: $(B)/tests/check_%.o $(HELPER_OBJ) $(B)/libflasher.a $(B)/libprotocol.a $(B)/libemu.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(PKG_LIBS)

# ---- fuzzing (docs/fuzzing.md) ------------------------------------------
# Each tests/fuzz/fuzz_NAME.c is one libFuzzer harness.  `make check` links
# every harness's entry point (renamed rf_fuzz_NAME) into the Check suite
# check_fuzz_replay, which runs tests/fuzz/corpus/NAME/* and
# tests/fuzz/crashes/NAME/* through it with the compiler at hand; `make
# fuzz` (tools/fuzz.sh) builds them with clang -fsanitize=fuzzer into
# build-fuzz/fuzz/ and runs each for FUZZ_SECONDS.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(sort $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%))
# tests/fuzz/*.c that are not harnesses: helpers shared by them
FUZZ_HELPERS := $(patsubst %.c,$(B)/%.o,$(filter-out $(FUZZ_SRC),$(wildcard tests/fuzz/*.c)))
FUZZ_BIN := $(FUZZ_NAMES:%=$(B)/fuzz/fuzz_%)
FUZZ_LIST := $(B)/tests/fuzz/targets.list

$(B)/tests/fuzz/replay_%.o: tests/fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests/helpers -DLLVMFuzzerTestOneInput=rf_fuzz_$* \
		-MMD -MP -c -o $@ $<
# the list of harnesses, rewritten only when it changes
$(FUZZ_LIST): FORCE
	@mkdir -p $(dir $@)
	@echo '$(FUZZ_NAMES)' | cmp -s - $@ || echo '$(FUZZ_NAMES)' >$@
$(B)/tests/check_fuzz_replay.o: $(FUZZ_LIST)
$(B)/tests/check_fuzz_replay.o: ALL_CFLAGS += '-DRF_FUZZ_TARGETS=$(foreach n,$(FUZZ_NAMES),X($(n)))'
$(B)/tests/check_fuzz_replay: $(B)/tests/check_fuzz_replay.o $(FUZZ_NAMES:%=$(B)/tests/fuzz/replay_%.o) \
		$(FUZZ_HELPERS) $(HELPER_OBJ) $(B)/libflasher.a $(B)/libprotocol.a $(B)/libemu.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(PKG_LIBS)

# libFuzzer binaries: B=build-fuzz CC=clang with SAN including fuzzer-no-link
# (tools/fuzz.sh sets all that).
$(B)/fuzz/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(FUZZ_HELPERS) $(B)/tests/helpers/fake_transport.o \
		$(B)/libflasher.a $(B)/libprotocol.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)
fuzz-build: $(FUZZ_BIN)
FORCE:

deps:
	@./tools/deps.sh

tests: $(B)/romflash $(B)/romflash-emu $(TEST_BIN)

suites: $(TEST_BIN)

# The sanitizer build (`make asan`, and the Check suites of `make check`).
ASAN_B ?= build-asan
ASAN_MAKE = $(MAKE) --no-print-directory B=$(ASAN_B) WERROR=-Werror \
	OPT="-O1 -g -fno-omit-frame-pointer" \
	SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"

# Every test, then the Check suites again under ASan + UBSan (SAN_B) and one
# flash and one sideload under valgrind (tests/t_valgrind.sh), all in the
# one summary line of tests/run-all.  CHECK_SAN=0 leaves the sanitizer
# build out (a quick local run).
CHECK_SAN ?= 1
# Two compile jobs unless make was given -j (CI runs a plain `make check`).
CHECK_J = $(if $(filter -j%,$(MAKEFLAGS)),,-j2)
check: deps
	@$(MAKE) --no-print-directory $(CHECK_J) WERROR=-Werror tests
	@$(if $(filter 1,$(CHECK_SAN)),$(ASAN_MAKE) $(CHECK_J) suites)
	@B=$(B) $(if $(filter 1,$(CHECK_SAN)),SAN_B=$(ASAN_B)) ./tests/run-all

asan:
	@$(ASAN_MAKE) tests
	@B=$(ASAN_B) ASAN=1 ./tests/run-all

demo: deps
	@$(MAKE) --no-print-directory $(B)/romflash $(B)/romflash-emu
	@./tools/demo.sh

bench: deps
	@$(MAKE) --no-print-directory $(B)/romflash $(B)/romflash-emu
	@./tools/bench.sh

fuzz: deps
	@./tools/fuzz.sh

# ---- install, uninstall ------------------------------------------------
# Where things go; DESTDIR stages a tree (a package build) and then udev is
# left alone.  zsh: Debian's folder for packaged completions under /usr,
# site-functions (in zsh's default $fpath) elsewhere.
INSTALL ?= install
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/romflash
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/$(if $(filter /usr,$(PREFIX)),vendor-completions,site-functions)
# whatever data/ holds (the shipped catalog): its files, not its folders
DATA_FILES = $(filter-out $(patsubst %/,%,$(wildcard data/*/)),$(wildcard data/*))
INSTALLED = $(BINDIR)/romflash $(MANDIR)/man1/romflash.1 \
	$(UDEVDIR)/51-romflash.rules $(BASHCOMPDIR)/romflash $(ZSHCOMPDIR)/_romflash \
	$(addprefix $(DATADIR)/,$(notdir $(DATA_FILES)))

install: $(B)/romflash
	$(INSTALL) -D -m 0755 $(B)/romflash "$(DESTDIR)$(BINDIR)/romflash"
	$(INSTALL) -D -m 0644 docs/romflash.1 "$(DESTDIR)$(MANDIR)/man1/romflash.1"
	$(INSTALL) -D -m 0644 udev/51-romflash.rules "$(DESTDIR)$(UDEVDIR)/51-romflash.rules"
	$(INSTALL) -D -m 0644 completion/romflash.bash "$(DESTDIR)$(BASHCOMPDIR)/romflash"
	$(INSTALL) -D -m 0644 completion/_romflash "$(DESTDIR)$(ZSHCOMPDIR)/_romflash"
	$(if $(DATA_FILES),$(INSTALL) -d -m 0755 "$(DESTDIR)$(DATADIR)")
	$(if $(DATA_FILES),$(INSTALL) -m 0644 $(DATA_FILES) "$(DESTDIR)$(DATADIR)/")
	@$(if $(DESTDIR),:,./tools/udev-reload.sh)

# Exactly what install put (the data/ files of this tree), then the data
# folder if that left it empty; shared folders stay.
uninstall:
	rm -f $(addprefix "$(DESTDIR),$(addsuffix ",$(INSTALLED)))
	@d="$(DESTDIR)$(DATADIR)"; if [ -d "$$d" ]; then rmdir "$$d" || \
		echo "romflash: $$d kept: it holds files romflash did not install"; fi
	@$(if $(DESTDIR),:,./tools/udev-reload.sh)

clean:
	rm -rf build build-asan build-fuzz romflash

.PHONY: all deps tests suites check asan demo bench fuzz fuzz-build install uninstall clean FORCE
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
