# Boot media (docs/boot-media.md), included by the Makefile:
#   make efi   build/efi/BOOTX64.EFI: Keel's native UEFI loader (boot/efi/, gnu-efi)
#   make usb   build/keel-usb.img: GPT disk image for dd, BIOS (GRUB) and UEFI
#              (the native loader; GRUB EFI beside it), holding the example
#   make pxe   build/pxe/: TFTP tree, GRUB netboot for BIOS and UEFI, the example

EFI_BUILD := $(BUILD)/efi
GNUEFI    := /usr/lib
# The loader, and the parts of Keel it shares: the keel.toml parser and
# what it needs (one parser, so the loader and Keel read the file alike).
EFI_SRCS  := $(wildcard boot/efi/*.c) boot/efi/trampoline.S $(SRC_CONFIG)
EFI_OBJS  := $(patsubst %,$(EFI_BUILD)/%.o,$(EFI_SRCS))

# UEFI applications are position-independent PE32+ images using the
# Microsoft x64 calling convention for firmware calls (EFIAPI = ms_abi).
EFI_CFLAGS := -std=gnu11 -O2 -ffreestanding -fpic -fshort-wchar -fno-stack-protector \
	-fno-strict-aliasing -mno-red-zone -mgeneral-regs-only -maccumulate-outgoing-args \
	-DGNU_EFI_USE_MS_ABI -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	-I/usr/include/efi -I/usr/include/efi/x86_64 -Iinclude -MMD -MP
EFI_LDFLAGS := -nostdlib -shared -Bsymbolic -znocombreloc -T $(GNUEFI)/elf_x86_64_efi.lds
EFI_SECTIONS := -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
	-j '.rel.*' -j '.rela.*' -j .reloc

$(EFI_BUILD)/%.c.o: %.c mk/media.mk
	@mkdir -p $(dir $@)
	@echo "  EFICC   $<"
	@$(CC) $(EFI_CFLAGS) -c $< -o $@

$(EFI_BUILD)/%.S.o: %.S mk/media.mk
	@mkdir -p $(dir $@)
	@echo "  EFIAS   $<"
	@$(CC) $(EFI_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(EFI_BUILD)/loader.so: $(EFI_OBJS) $(GNUEFI)/crt0-efi-x86_64.o
	@echo "  LD      $@"
	@$(LD) $(EFI_LDFLAGS) -o $@ $(GNUEFI)/crt0-efi-x86_64.o $(EFI_OBJS) $(GNUEFI)/libgnuefi.a

$(EFI_BUILD)/BOOTX64.EFI: $(EFI_BUILD)/loader.so
	@echo "  EFI     $@"
	@objcopy $(EFI_SECTIONS) --target efi-app-x86_64 --subsystem=10 $< $@

efi: check-deps $(EFI_BUILD)/BOOTX64.EFI

$(BUILD)/keel-usb.img: $(BUILD)/keel.elf $(EFI_BUILD)/BOOTX64.EFI $(GUESTS_BIN) tools/mkusb.py \
		tools/example.toml tools/example.guests linux
	tools/mkusb.py -o $@ --config tools/example.toml --guests "$(EXAMPLE_GUESTS)"

usb: check-deps $(BUILD)/keel-usb.img

pxe: check-deps $(BUILD)/keel.elf $(GUESTS_BIN) linux
	tools/mkpxe.py -o $(BUILD)/pxe --config tools/example.toml --guests "$(EXAMPLE_GUESTS)"
