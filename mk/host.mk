# Host builds of Keel's pure logic: the flags every one of them shares, and
# keel-check with the config corpus it is tested on.

SANITIZE   := -fsanitize=address,undefined -fno-sanitize-recover=all
HOST_WARN  := -Wall -Wextra -Werror -Wno-unused-parameter
HOST_BASE  := -std=gnu11 -g -O1 -DKEEL_HOST_TEST -Iinclude -Itests/unit
HOSTCFLAGS := $(HOST_BASE) $(SANITIZE) $(HOST_WARN) -MMD -MP
HOSTLIBS   := -lcmocka

# One object per source file for every host test (build/host/), so a file
# the tests share is compiled once.
$(BUILD)/host/%.o: %.c mk/host.mk
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(HOSTCFLAGS) $(HOST_EXTRA) -c $< -o $@

host_objs = $(patsubst %.c,$(BUILD)/host/%.o,$(1))

# --- keel.toml: the host checker and its test corpus ---------------------------
$(BUILD)/keel-check: $(call host_objs,tools/keel-check.c $(SRC_CONFIG))
	@echo "  LINK    $@"
	@$(HOSTCC) $(SANITIZE) -o $@ $^

# Each tests/config file against its golden output (and Python's tomllib).
config: $(BUILD)/keel-check
	@$(PYTHON) tests/config/run.py --keel-check $(BUILD)/keel-check
