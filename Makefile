# Keel: build the hypervisor, its test guests and images; run the tests.
#   make            build/keel.elf, the test guests and keel-check (make iso: the example image)
#   make test       host unit tests (ASan/UBSan) and system tests (Bochs, QEMU)
#   make bench      exit-path benchmark in Bochs, printed as a table
#   make run        boot Keel with the example guests in the best emulator here
#   make efi|usb|pxe  the native UEFI loader, the USB disk image, the PXE tree (mk/media.mk)

BUILD   := build
CC      := gcc
LD      := ld
NASM    := nasm
PYTHON  := python3

KERNEL_DIRS := boot arch/x86_64 arch/x86_64/vmx vmm mm sched devices drivers lib
KERNEL_C    := $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.c))
KERNEL_S    := $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.S))
KERNEL_OBJS := $(patsubst %,$(BUILD)/k/%.o,$(KERNEL_S) $(KERNEL_C))

# Hypervisor code: freestanding, no red zone, no SSE/AVX, warnings are errors.
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -mno-red-zone \
	-mno-mmx -mno-sse -mno-sse2 -mno-avx -mgeneral-regs-only -mcmodel=kernel \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fomit-frame-pointer \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes -Wshadow \
	-Iinclude -MMD -MP
KASFLAGS := -Iinclude -MMD -MP -D__ASSEMBLY__
KLDFLAGS := -nostdlib -static -z max-page-size=0x1000 -T linker.ld

# Host unit tests: the same sources against tests/unit/fake_hw.c.
HOSTCC     := gcc
SANITIZE   := -fsanitize=address,undefined -fno-sanitize-recover=all
HOSTCFLAGS := -std=gnu11 -O1 -g $(SANITIZE) -DKEEL_HOST_TEST -Iinclude -Itests/unit \
	-Wall -Wextra -Werror -Wno-unused-parameter -MMD -MP
HOSTLIBS   := -lcmocka

GUESTS_ASM := $(wildcard tests/guests/*.asm)
GUESTS_BIN := $(patsubst tests/guests/%.asm,$(BUILD)/guests/%.bin,$(GUESTS_ASM))

.PHONY: all guests iso linux linux-bare test unit fuzz system bench run deps clean check-deps efi usb pxe
all: $(BUILD)/keel.elf guests $(BUILD)/keel-check

$(BUILD)/k/%.c.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/k/%.S.o: %.S Makefile
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(KASFLAGS) -c $< -o $@

$(BUILD)/keel.elf: $(KERNEL_OBJS) linker.ld
	@echo "  LD      $@"
	@$(LD) $(KLDFLAGS) -o $@ $(KERNEL_OBJS)
	@grub-file --is-x86-multiboot2 $@ || { echo "keel: $@ is not multiboot2"; rm -f $@; exit 1; }

$(BUILD)/guests/%.bin: tests/guests/%.asm $(wildcard tests/guests/*.inc)
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) -f bin -w+all -I tests/guests/ -o $@ $<

# A blank 64 KiB disk for test guests that drive virtio-blk.
$(BUILD)/guests/blank.img:
	@mkdir -p $(dir $@)
	@dd if=/dev/zero of=$@ bs=1024 count=64 status=none

guests: $(GUESTS_BIN) $(BUILD)/guests/blank.img

# The example image: BIOS and EFI GRUB, tools/example.toml and its guests.
$(BUILD)/keel.iso: $(BUILD)/keel.elf $(GUESTS_BIN) tools/mkiso.sh tools/example.toml tools/example.guests linux
	tools/mkiso.sh --full -o $@ --config tools/example.toml \
		--guests "$$(for g in $$(cat tools/example.guests); do \
			case $$g in */*) echo $(BUILD)/$$g;; *) echo $$g;; esac; done)"

iso: $(BUILD)/keel.iso

# Debian's stock kernel and the test initramfs in build/linux: downloaded
# once (cached in ~/.cache/keel), quick when up to date. The script decides
# whether anything changed, so the target is always run.
linux:
	@tools/linux-assets.sh $(BUILD)/linux

# The same kernel and initramfs booted bare in Bochs (no Keel): the baseline.
linux-bare: check-deps linux
	$(PYTHON) tests/system/linux_bare.py --assets $(BUILD)/linux

# --- host unit tests ---------------------------------------------------------
# Each tests/unit/mk/NAME.mk sets UNIT_SRCS_NAME (the sources under test);
# tests/unit/test_NAME.c holds the cmocka tests.
include $(wildcard tests/unit/mk/*.mk)
UNIT_NAMES := $(patsubst tests/unit/mk/%.mk,%,$(wildcard tests/unit/mk/*.mk))
UNIT_BINS  := $(patsubst %,$(BUILD)/unit/test_%,$(UNIT_NAMES))


.SECONDEXPANSION:
$(BUILD)/unit/test_%: tests/unit/test_%.c tests/unit/fake_hw.c $$(UNIT_SRCS_$$*)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) -o $@ $(filter %.c,$^) $(HOSTLIBS)
unit: check-deps $(UNIT_BINS)
	@tools/run-unit.sh $(UNIT_BINS)

# --- fuzzing (libFuzzer): parsers of guest- and firmware-controlled data ---------
FUZZ_TIME ?= 15
FUZZCC    := clang
FUZZFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-DKEEL_HOST_TEST -Iinclude -Itests/unit
FUZZ_SRCS_insn_decode := vmm/insn_decode.c vmm/insn_emulate.c
FUZZ_SRCS_acpi_s5     := drivers/acpi_aml.c
FUZZ_SRCS_linux_boot := vmm/linux_boot.c lib/printf.c
FUZZ_SRCS_virtqueue  := devices/virtqueue.c
FUZZ_NAMES := insn_decode acpi_s5 linux_boot virtqueue

# --- keel.toml: the host checker, its test corpus, and the parser's fuzz target ---
FUZZ_SRCS_toml  := lib/toml.c lib/toml_value.c vmm/config.c vmm/config_keys.c lib/printf.c lib/string.c
FUZZ_NAMES      += toml
KEEL_CHECK_SRCS := tools/keel-check.c lib/toml.c lib/toml_value.c vmm/config.c vmm/config_keys.c \
		   lib/printf.c lib/string.c

$(BUILD)/keel-check: $(KEEL_CHECK_SRCS) include/lib/toml.h include/vmm/config.h lib/toml_priv.h vmm/config_priv.h Makefile
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) -std=gnu11 -O1 -g $(SANITIZE) -DKEEL_HOST_TEST -Iinclude -Wall -Wextra \
		-Werror -Wno-unused-parameter -o $@ $(KEEL_CHECK_SRCS)

# Each tests/config file against its golden output (and Python's tomllib).
.PHONY: config
config: $(BUILD)/keel-check
	@$(PYTHON) tests/config/run.py --keel-check $(BUILD)/keel-check

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	@$(FUZZCC) $(FUZZFLAGS) -o $@ $(filter %.c,$^)

# A short run per target from the seed corpus; a crash fails the build and
# leaves the input in build/fuzz/.
fuzz: check-deps $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))
	@set -e; for n in $(FUZZ_NAMES); do \
		mkdir -p $(BUILD)/fuzz/corpus_$$n; \
		echo "fuzz: $$n for $(FUZZ_TIME) s"; \
		$(BUILD)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_TIME) -print_final_stats=0 \
			-artifact_prefix=$(BUILD)/fuzz/$$n- $(BUILD)/fuzz/corpus_$$n tests/fuzz/corpus/$$n \
			2>$(BUILD)/fuzz/$$n.log || { tail -30 $(BUILD)/fuzz/$$n.log; exit 1; }; \
		grep -h "^#.*DONE\|Done" $(BUILD)/fuzz/$$n.log | tail -1; \
	done

# --- system tests and benchmark ------------------------------------------------
system: check-deps all linux efi
	$(PYTHON) tests/system/run.py

test: unit config fuzz system

bench: check-deps all linux
	$(PYTHON) tests/system/run.py --bench

run: check-deps all linux efi
	tools/run.sh

check-deps:
	@tools/deps.sh --check

deps:
	tools/deps.sh

clean:
	rm -rf $(BUILD)

include mk/media.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
