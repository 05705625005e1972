UNIT_SRCS_insn_decode := vmm/insn_decode.c vmm/insn_emulate.c
