# svcnet build. `make` builds build/svcnet; `make test` installs missing
# Debian packages (as root), builds everything and runs every test.
CC       ?= gcc
FUZZCC   ?= clang
SANITIZE ?=
BUILD    ?= build
ifeq ($(SANITIZE),1)
BUILD    := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

PKGS     := sqlite3 jansson libmicrohttpd libcurl yaml-0.1 libnftables libnl-genl-3.0
CPPFLAGS := -D_GNU_SOURCE -Isrc/lib -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -MMD -MP $(SANFLAGS)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
LDFLAGS  += $(SANFLAGS)

LIB_SRCS  := $(wildcard src/lib/*/*.c src/apiserver/*.c src/controllers/*.c \
                        src/proxy/*.c src/dns/*.c src/agent/*.c)
CMD_SRCS  := $(wildcard src/cmd/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CMD_OBJS  := $(CMD_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJS := $(LIB_SRCS:%.c=$(BUILD)/fuzzobj/%.o)
FUZZFLAGS := -O1 -g -std=gnu11 -MMD -MP -fsanitize=fuzzer-no-link,address,undefined

.PHONY: all unit fuzz fuzz-build test run format clean deps
# Keep the objects of the fuzz builds: they are intermediate to no single target.
.SECONDARY:
all: $(BUILD)/svcnet

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libsvcnet.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/svcnet: $(CMD_OBJS) $(BUILD)/libsvcnet.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libsvcnet.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZCC) $(CPPFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined $^ $(LDLIBS) -o $@

unit: $(UNIT_BINS)
fuzz-build: $(FUZZ_BINS)

# Runs every fuzz target for FUZZ_SECONDS from its seeds; a crash is saved in
# tests/fuzz/crashes/, which make test replays from then on.
FUZZ_SECONDS ?= 60
fuzz: fuzz-build
	@mkdir -p tests/fuzz/crashes
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p $(BUILD)/corpus/$$n; \
	  echo "fuzz $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=tests/fuzz/crashes/$$n- \
	    -print_final_stats=1 $(BUILD)/corpus/$$n tests/fuzz/seeds/$$n 2>&1 | \
	    grep -E "stat::number_of_executed_units|ERROR|SUMMARY" ; done

deps:
	@scripts/deps.sh

test: deps
	@$(MAKE) --no-print-directory all unit fuzz-build
	@BUILD=$(BUILD) tests/run.sh

run: all
	$(BUILD)/svcnet up --data-dir ./data

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

# --- eBPF mode (issue 10), self-contained ---------------------------------
# src/proxy/bpf/*.bpf.c are compiled by clang for the BPF target and turned
# into libbpf skeletons (build/bpf/NAME.skel.h, the object embedded in the
# header) that src/proxy/ebpf_load.c includes. Without clang, bpftool or
# libbpf-dev the mode builds as a stub that reports "not built"; if the BPF
# compile itself fails, the skeleton is replaced by a marker with the same
# effect, so the rest of svcnet always builds.
BPFTOOL   ?= $(firstword $(shell command -v bpftool 2>/dev/null) $(wildcard /usr/sbin/bpftool))
HAVE_EBPF := $(if $(and $(BPFTOOL),$(shell command -v clang 2>/dev/null),$(shell pkg-config --exists libbpf && echo y)),1)
ifeq ($(HAVE_EBPF),1)
BPF_SKELS := $(patsubst src/proxy/bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(wildcard src/proxy/bpf/*.bpf.c))
CPPFLAGS  += -DSVCNET_HAVE_EBPF -I$(BUILD)/bpf
LDLIBS    += $(shell pkg-config --libs libbpf)
$(BUILD)/bpf/%.skel.h: src/proxy/bpf/%.bpf.c $(wildcard src/proxy/bpf/*.h)
	@mkdir -p $(dir $@)
	@if clang -target bpf -O2 -g -Wall -Werror -I/usr/include/x86_64-linux-gnu \
	    -c $< -o $(BUILD)/bpf/$*.bpf.o && \
	    $(BPFTOOL) gen skeleton $(BUILD)/bpf/$*.bpf.o name $* >$@.tmp; then \
	  mv $@.tmp $@; echo "  BPF  $@"; \
	else echo "warning: $< did not build; the ebpf mode will report it is not built"; \
	  echo '#define SVCNET_EBPF_BUILD_FAILED 1' >$@; rm -f $@.tmp; fi
$(BUILD)/obj/src/proxy/ebpf_load.o $(BUILD)/fuzzobj/src/proxy/ebpf_load.o: $(BPF_SKELS)
endif
# --- end of the eBPF mode -------------------------------------------------

-include $(LIB_OBJS:.o=.d) $(CMD_OBJS:.o=.d) $(UNIT_BINS:$(BUILD)/tests/%=$(BUILD)/obj/tests/unit/%.d) \
         $(FUZZ_OBJS:.o=.d)
