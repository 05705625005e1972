# The hypervisor: every C and assembly file under the kernel's folders
# (boot/efi/ is the UEFI loader, built by mk/media.mk), linked by linker.ld
# into build/keel.elf, a multiboot2 kernel.

KERNEL_DIRS := boot arch vmm mm sched devices drivers lib
KERNEL_SRCS := $(sort $(shell find $(KERNEL_DIRS) -path boot/efi -prune -o \
			\( -name '*.c' -o -name '*.S' \) -print))
KERNEL_OBJS := $(patsubst %,$(BUILD)/k/%.o,$(KERNEL_SRCS))

# Hypervisor code: freestanding, no red zone, no SSE/AVX, warnings are errors.
# KEEL_DEBUG=1 builds the lock-rule assertions in (include/lib/spinlock.h).
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -mno-red-zone \
	-mno-mmx -mno-sse -mno-sse2 -mno-avx -mgeneral-regs-only -mcmodel=kernel \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fomit-frame-pointer \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes -Wshadow \
	-Iinclude -MMD -MP $(if $(KEEL_DEBUG),-DKEEL_DEBUG)
KASFLAGS := -Iinclude -MMD -MP -D__ASSEMBLY__
KLDFLAGS := -nostdlib -static -z max-page-size=0x1000 -T linker.ld

$(BUILD)/k/%.c.o: %.c mk/kernel.mk
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/k/%.S.o: %.S mk/kernel.mk
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(KASFLAGS) -c $< -o $@

$(BUILD)/keel.elf: $(KERNEL_OBJS) linker.ld
	@echo "  LD      $@"
	@$(LD) $(KLDFLAGS) -o $@ $(KERNEL_OBJS)
	@grub-file --is-x86-multiboot2 $@ || { echo "keel: $@ is not multiboot2"; rm -f $@; exit 1; }

# The same kernel with the lock-rule assertions built in (include/lib/
# spinlock.h): build/keel-debug.elf, which make system boots for the SMP
# scenarios too (tests/system: DEBUG_SCENARIOS).
KDEBUG_OBJS := $(patsubst %,$(BUILD)/kd/%.o,$(KERNEL_SRCS))

$(BUILD)/kd/%.c.o: %.c mk/kernel.mk
	@mkdir -p $(dir $@)
	@echo "  CC      $< (debug)"
	@$(CC) $(KCFLAGS) -DKEEL_DEBUG -c $< -o $@

$(BUILD)/kd/%.S.o: %.S mk/kernel.mk
	@mkdir -p $(dir $@)
	@echo "  AS      $< (debug)"
	@$(CC) $(KASFLAGS) -DKEEL_DEBUG -c $< -o $@

$(BUILD)/keel-debug.elf: $(KDEBUG_OBJS) linker.ld
	@echo "  LD      $@"
	@$(LD) $(KLDFLAGS) -o $@ $(KDEBUG_OBJS)
