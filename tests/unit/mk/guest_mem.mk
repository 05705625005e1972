# Guest paging walks over page tables in a gpa_map.
UNIT_SRCS_guest_mem := vmm/guest_mem.c mm/gpa_map.c mm/ept.c tests/unit/fake_mm.c
