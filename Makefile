# mailsleuth - one plain, non-recursive GNU makefile.
#   make                 build the library and the CLI (build/mailsleuth)
#   make check           build and run the whole test suite (ends with "N passed, N failed")
#   make SANITIZE=address,undefined check   the same under ASan+UBSan (objects in build-san/)
#   make fuzz            build libFuzzer targets with clang (build-fuzz/)
#   make fuzz-smoke      run each for a few seconds (CI; skipped without clang's libFuzzer)
#   make fuzz-long       run each for 10 minutes, growing tests/fuzz/corpus
#   make bench           throughput/RSS against wc, grep and pflogsumm (see bench/README.md)
#   make WERROR=1        treat warnings as errors (CI)

CC      ?= cc
PREFIX  ?= /usr/local
PKGS    := libarchive libcrypto libidn2 icu-uc icu-i18n libmaxminddb zlib liblzma libzstd jansson sqlite3
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libbz2 ships no .pc file on Debian: linked by name
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -larchive -lcrypto -lidn2 -licui18n -licuuc -licudata -lmaxminddb -lz -llzma -lzstd -ljansson -lsqlite3) -lbz2

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wmissing-declarations -Wpointer-arith -Wcast-qual -Wwrite-strings -Wundef -Wvla \
        -Wredundant-decls -Wold-style-definition -fno-common
ifeq ($(WERROR),1)
WARN += -Werror
endif

OPT ?= -O2 -g
CFLAGS_ALL := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) \
              -Iinclude -Ilib $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(PKG_LIBS) -lm -pthread $(LDLIBS)

ifdef SANITIZE
O ?= build-san
CFLAGS_ALL += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=$(SANITIZE)
else
O ?= build
endif

LIB_SRCS  := $(sort $(wildcard lib/*/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(O)/%.o)
CLI_SRCS  := $(sort $(wildcard src/*.c))
CLI_OBJS  := $(CLI_SRCS:%.c=$(O)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/t_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/tests/replay_%)
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c) $(wildcard bench/*.c))
TOOL_BINS := $(patsubst %.c,$(O)/%,$(TOOL_SRCS))

LIB := $(O)/libmailsleuth.a
BIN := $(O)/mailsleuth

all: $(BIN) mailsleuth
.PHONY: all check test fuzz fuzz-smoke fuzz-long bench clean install uninstall lint mailsleuth

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS_ALL)

# Symlink so README commands and scripts can say ./mailsleuth
mailsleuth: $(BIN)
	ln -sf $(BIN) $@

$(O)/tests/t_%: $(O)/tests/unit/t_%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS_ALL)

$(O)/tests/replay_%: $(O)/tests/fuzz/%.o $(O)/tests/fuzz/regression_driver.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(O)/tests/tools/%: $(O)/tests/tools/%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS_ALL)

$(O)/bench/%: $(O)/bench/%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS_ALL)

check test: $(BIN) mailsleuth $(UNIT_BINS) $(FUZZ_REPLAY) $(TOOL_BINS)
	BUILD=$(O) sh tests/run.sh

# libFuzzer targets (clang); run one with: build-fuzz/fuzz_postfix -max_total_time=60 tests/fuzz/corpus/fuzz_postfix
# The library is compiled once for all targets (build-fuzz/obj); tools/fuzz.sh runs them:
#   make fuzz-smoke   every target for FUZZ_SECONDS (8) on top of its saved corpus (CI)
#   make fuzz-long    every target for FUZZ_SECONDS (600); inputs that reach new code are
#                     merged into tests/fuzz/corpus/<target> (commit them), crashes saved
FUZZ_CC     ?= clang
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -Iinclude -Ilib \
               $(PKG_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_BINS   := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
FUZZ_OBJS   := $(LIB_SRCS:%.c=build-fuzz/obj/%.o)
fuzz: $(FUZZ_BINS)
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
$(FUZZ_BINS): build-fuzz/%: build-fuzz/obj/tests/fuzz/%.o $(FUZZ_OBJS)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS) -lm -pthread
fuzz-smoke:
	@sh tools/fuzz.sh smoke
fuzz-long:
	@sh tools/fuzz.sh long

bench: $(BIN) $(TOOL_BINS)
	BUILD=$(O) sh bench/run.sh

lint:
	mandoc -Tlint -Wwarning doc/mailsleuth.1
	sh tools/check-format.sh

# Installs the binary, man page, shell completions and docs under $(DESTDIR)$(PREFIX);
# uninstall removes exactly those files (and the directories of ours left empty).
BINDIR  := $(PREFIX)/bin
MANDIR  := $(PREFIX)/share/man/man1
BASHDIR := $(PREFIX)/share/bash-completion/completions
ZSHDIR  := $(PREFIX)/share/zsh/site-functions
DOCDIR  := $(PREFIX)/share/doc/mailsleuth
DOCS    := README.md $(sort $(wildcard doc/*.md)) doc/hunt-rules.example

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(BASHDIR) \
	    $(DESTDIR)$(ZSHDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/mailsleuth
	install -m 644 doc/mailsleuth.1 $(DESTDIR)$(MANDIR)/mailsleuth.1
	install -m 644 completions/mailsleuth.bash $(DESTDIR)$(BASHDIR)/mailsleuth
	install -m 644 completions/_mailsleuth $(DESTDIR)$(ZSHDIR)/_mailsleuth
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mailsleuth $(DESTDIR)$(MANDIR)/mailsleuth.1 \
	    $(DESTDIR)$(BASHDIR)/mailsleuth $(DESTDIR)$(ZSHDIR)/_mailsleuth
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS)))
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build build-san build-fuzz mailsleuth

# --- libmailsleuth.so and the public C API (include/mailsleuth/api.h, doc/API.md) ---------
# lib/ compiled a second time with -fPIC -fvisibility=hidden into $(O)/pic/ (the static
# library and the CLI above are untouched): only the MSL_API declarations of api.h are
# exported.  The soname changes only on an incompatible change (tests/cli/abi.sh compares
# the library with abi/libmailsleuth.abi).  `make install` adds the .so with its links,
# libmailsleuth.a, api.h, mailsleuth.pc and the Python binding (python/mailsleuth).
SONAME     := libmailsleuth.so.0
SO_VERSION := 0.1.0
SO         := $(O)/libmailsleuth.so.$(SO_VERSION)
PIC_OBJS   := $(LIB_SRCS:%.c=$(O)/pic/%.o)
EXAMPLES   := $(patsubst examples/%.c,$(O)/examples/%,$(sort $(wildcard examples/*.c))) \
              $(patsubst tests/api/%.c,$(O)/tests/api/%,$(sort $(wildcard tests/api/*.c)))
LIBDIR     := $(PREFIX)/lib
INCDIR     := $(PREFIX)/include
PCDIR      := $(LIBDIR)/pkgconfig
PYDIR      ?= $(PREFIX)/lib/python3/dist-packages

all: $(SO) $(O)/mailsleuth.pc
check test: $(SO) $(O)/mailsleuth.pc $(EXAMPLES)
.PHONY: install-lib uninstall-lib abi-dump

$(O)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -fvisibility=hidden -MMD -MP -c $< -o $@

$(SO): $(PIC_OBJS)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(LDLIBS_ALL)
	ln -sf $(notdir $@) $(O)/$(SONAME)
	ln -sf $(SONAME) $(O)/libmailsleuth.so

$(O)/mailsleuth.pc: Makefile
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
	    'Name: mailsleuth' 'Description: forensic analysis of mail-server logs (C API)' \
	    'Version: $(MSL_PC_VERSION)' 'Libs: -L$${libdir} -lmailsleuth' \
	    'Libs.private: $(PKG_LIBS) -lm -pthread' 'Cflags: -I$${includedir}' >$@
MSL_PC_VERSION := $(SO_VERSION)

# the examples and tests/api link the shared library, as an installed program would
$(O)/examples/%: examples/%.c include/mailsleuth/api.h $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< -L$(O) -lmailsleuth $(LDFLAGS)
$(O)/tests/api/%: tests/api/%.c include/mailsleuth/api.h $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< -L$(O) -lmailsleuth $(LDFLAGS)

# the ABI dump tests/cli/abi.sh compares with: refresh it when the API grows compatibly
abi-dump: $(SO)
	abidw --no-corpus-path --no-comp-dir-path --short-locs --drop-private-types \
	    --header-file include/mailsleuth/api.h $(SO) --out-file abi/libmailsleuth.abi

install: install-lib
install-lib: $(SO) $(LIB) $(O)/mailsleuth.pc
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR)/mailsleuth $(DESTDIR)$(PCDIR) \
	    $(DESTDIR)$(PYDIR)/mailsleuth
	install -m 755 $(SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SO)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libmailsleuth.so
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/
	install -m 644 include/mailsleuth/api.h $(DESTDIR)$(INCDIR)/mailsleuth/api.h
	sed 's|^prefix=.*|prefix=$(PREFIX)|' $(O)/mailsleuth.pc >$(DESTDIR)$(PCDIR)/mailsleuth.pc
	install -m 644 python/mailsleuth/__init__.py $(DESTDIR)$(PYDIR)/mailsleuth/__init__.py
uninstall: uninstall-lib
uninstall-lib:
	rm -f $(DESTDIR)$(LIBDIR)/$(notdir $(SO)) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	    $(DESTDIR)$(LIBDIR)/libmailsleuth.so $(DESTDIR)$(LIBDIR)/libmailsleuth.a \
	    $(DESTDIR)$(INCDIR)/mailsleuth/api.h $(DESTDIR)$(PCDIR)/mailsleuth.pc \
	    $(DESTDIR)$(PYDIR)/mailsleuth/__init__.py
	rm -rf $(DESTDIR)$(PYDIR)/mailsleuth/__pycache__
	rmdir $(DESTDIR)$(INCDIR)/mailsleuth $(DESTDIR)$(PYDIR)/mailsleuth 2>/dev/null || true
# --- end of libmailsleuth.so ----------------------------------------------------------------

-include $(shell find $(O) -name "*.d" 2>/dev/null)
ifneq ($(filter fuzz build-fuzz/%,$(MAKECMDGOALS)),)
-include $(shell find build-fuzz/obj -name "*.d" 2>/dev/null)
endif
.SECONDARY:
