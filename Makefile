# Keel: build the hypervisor, its test guests and images; run the tests.
#   make            build/keel.elf, the test guests and keel-check (make iso: the example image)
#   make test       host unit tests (ASan/UBSan) and system tests (Bochs, QEMU)
#   make bench      exit-path benchmark in Bochs, printed as a table
#   make run        boot Keel with the example guests in the best emulator here
#   make efi|usb|pxe  the native UEFI loader, the USB disk image, the PXE tree
#
# One file per kind of build under mk/: sources.mk (the named source lists
# every build shares), kernel.mk, guests.mk, host.mk (flags and keel-check),
# unit.mk, fuzz.mk, media.mk.

BUILD   := build
CC      := gcc
LD      := ld
NASM    := nasm
PYTHON  := python3
HOSTCC  := gcc
FUZZCC  := clang

.PHONY: all guests iso linux linux-bare test unit config fuzz system bench run deps clean check-deps \
	efi usb pxe
all: $(BUILD)/keel.elf guests $(BUILD)/keel-check

.SECONDEXPANSION:
include mk/sources.mk
include mk/kernel.mk
include mk/guests.mk
include mk/host.mk
include mk/unit.mk
include mk/fuzz.mk
include mk/media.mk

# --- system tests and benchmark ------------------------------------------------
# Every scenario; then the ones that stress locking across CPUs again,
# on the kernel with the lock-rule assertions built in.
DEBUG_SCENARIOS := smp,many-smp,sched-smp,shell,vhostile
system: check-deps all linux efi $(BUILD)/keel-debug.elf
	$(PYTHON) tests/system/run.py
	$(PYTHON) tests/system/run.py --kernel $(BUILD)/keel-debug.elf --only $(DEBUG_SCENARIOS)

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

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
