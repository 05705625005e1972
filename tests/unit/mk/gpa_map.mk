# The guest-physical map: backing pages, EPT, copies.
UNIT_SRCS_gpa_map := mm/gpa_map.c mm/ept.c tests/unit/fake_mm.c
