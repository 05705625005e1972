# Test guests (NASM flat binaries), the example image and the stock Linux
# assets the system tests, make run and make bench boot.

GUESTS_ASM := $(wildcard tests/guests/*.asm)
GUESTS_BIN := $(patsubst tests/guests/%.asm,$(BUILD)/guests/%.bin,$(GUESTS_ASM))

$(BUILD)/guests/%.bin: tests/guests/%.asm $(wildcard tests/guests/*.inc)
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) -f bin -w+all -I tests/guests/ -o $@ $<

# A blank 64 KiB disk for test guests that drive virtio-blk.
$(BUILD)/guests/blank.img:
	@mkdir -p $(dir $@)
	@dd if=/dev/zero of=$@ bs=1024 count=64 status=none

guests: $(GUESTS_BIN) $(BUILD)/guests/blank.img

# The example's guests: bare names from build/guests, paths under build/.
EXAMPLE_GUESTS = $$(for g in $$(cat tools/example.guests); do \
	case $$g in */*) echo $(BUILD)/$$g;; *) echo $$g;; esac; done)

# The example image: BIOS and EFI GRUB, tools/example.toml and its guests.
$(BUILD)/keel.iso: $(BUILD)/keel.elf $(GUESTS_BIN) tools/mkiso.sh tools/example.toml tools/example.guests linux
	tools/mkiso.sh --full -o $@ --config tools/example.toml --guests "$(EXAMPLE_GUESTS)"

iso: $(BUILD)/keel.iso

# Debian's stock kernel and the test initramfs in build/linux: downloaded
# once (cached in ~/.cache/keel), quick when up to date. The script decides
# whether anything changed, so the target is always run.
linux:
	@tools/linux-assets.sh $(BUILD)/linux

# The same kernel and initramfs booted bare in Bochs (no Keel): the baseline.
linux-bare: check-deps linux
	$(PYTHON) tests/system/linux_bare.py --assets $(BUILD)/linux
