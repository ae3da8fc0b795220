# romflash -- one plain Makefile.
#   make          build ./romflash (and the emulated phone tests/romflash-emu)
#   make check    install missing deps, build, run every test
#   make demo     install missing deps, build, flash a sample into the emulator
#   make asan     the same build with AddressSanitizer + UBSan, then its tests
#   make bench    benchmarks (docs/benchmarks.md)
#   make fuzz     fuzz the parsers (libFuzzer, clang)
#   make install  PREFIX=/usr/local

PREFIX ?= /usr/local
CC ?= cc
PKGS := libusb-1.0 libarchive libcurl libcrypto
TEST_PKGS := check umockdev-1.0

OPT ?= -O2 -g
CFLAGS_BASE := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iprotocol -Iflasher
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lisal -lpthread -lm
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)
ALL_CFLAGS = $(CFLAGS_BASE) $(OPT) $(SAN) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)

B ?= build
PROTO_SRC := $(wildcard protocol/*.c)
FLASHER_SRC := $(filter-out flasher/main.c,$(wildcard flasher/*.c))
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
romflash: $(B)/romflash $(B)/romflash-emu
	cp $(B)/romflash $@

$(B)/romflash: $(B)/flasher/main.o $(B)/libflasher.a $(B)/libprotocol.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/romflash-emu: $(B)/tests/emu/emu_main.o $(B)/libemu.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lpthread -lm

$(B)/libprotocol.a: $(PROTO_OBJ)
	@rm -f $@; ar rcs $@ $^
$(B)/libflasher.a: $(FLASHER_OBJ)
	@rm -f $@; ar rcs $@ $^
$(B)/libemu.a: $(EMU_OBJ)
	@rm -f $@; ar rcs $@ $^

$(B)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests -Itests/emu -MMD -MP -c -o $@ $<
$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/emu -MMD -MP -c -o $@ $<

# Each tests/check_*.c is one Check suite binary.
$(B)/tests/check_%: $(B)/tests/check_%.o $(HELPER_OBJ) $(B)/libflasher.a $(B)/libprotocol.a $(B)/libemu.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(PKG_LIBS)

deps:
	@./tools/deps.sh

tests: $(B)/romflash $(B)/romflash-emu $(TEST_BIN)

check: deps
	@$(MAKE) --no-print-directory tests
	@B=$(B) ./tests/run-all

asan:
	@$(MAKE) --no-print-directory B=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" tests
	@B=build-asan ASAN=1 ./tests/run-all

demo: deps
	@$(MAKE) --no-print-directory all
	@./tools/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@./tools/bench.sh

fuzz:
	@./tools/fuzz.sh

install: romflash
	install -D -m 0755 romflash $(DESTDIR)$(PREFIX)/bin/romflash
	install -D -m 0644 docs/romflash.1 $(DESTDIR)$(PREFIX)/share/man/man1/romflash.1
	install -D -m 0644 udev/51-romflash.rules $(DESTDIR)/etc/udev/rules.d/51-romflash.rules

clean:
	rm -rf build build-asan romflash

.PHONY: all deps tests check asan demo bench fuzz install clean
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
