# libFuzzer targets over the parsers of guest-, firmware- and user-controlled
# data (tests/fuzz/fuzz_NAME.c). make fuzz runs each for FUZZ_TIME seconds
# from its seed corpus; a crash fails the build and leaves the input in
# build/fuzz/.

FUZZ_TIME ?= 15
FUZZFLAGS := $(HOST_BASE) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

fuzz.insn_decode := $(SRC_EMUL)
fuzz.acpi_s5     := drivers/acpi_aml.c
fuzz.linux_boot  := $(SRC_LINUX_BOOT) vmm/machine/layout.c lib/printf.c
fuzz.virtqueue   := $(SRC_VIRTQUEUE)
fuzz.toml        := $(SRC_CONFIG)
fuzz.snapshot    := $(SRC_PC_MODELS) $(SRC_VIRTQUEUE) $(SRC_VIRTIO_PCI) devices/virtio_blk.c \
	devices/virtio_net.c devices/backend/blk_ram.c
FUZZ_NAMES := insn_decode acpi_s5 linux_boot virtqueue toml snapshot

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(fuzz.$$*) mk/fuzz.mk
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	@$(FUZZCC) $(FUZZFLAGS) -o $@ $(filter %.c,$^)

fuzz: check-deps $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))
	@set -e; for n in $(FUZZ_NAMES); do \
		mkdir -p $(BUILD)/fuzz/corpus_$$n; \
		echo "fuzz: $$n for $(FUZZ_TIME) s"; \
		$(BUILD)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_TIME) -print_final_stats=0 \
			-artifact_prefix=$(BUILD)/fuzz/$$n- $(BUILD)/fuzz/corpus_$$n tests/fuzz/corpus/$$n \
			2>$(BUILD)/fuzz/$$n.log || { tail -30 $(BUILD)/fuzz/$$n.log; exit 1; }; \
		grep -h "^#.*DONE\|Done" $(BUILD)/fuzz/$$n.log | tail -1; \
	done
