# EPT paging structures over the fake physical arena.
UNIT_SRCS_ept := mm/ept.c tests/unit/fake_mm.c
