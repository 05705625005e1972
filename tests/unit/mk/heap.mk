UNIT_SRCS_heap := mm/heap.c
