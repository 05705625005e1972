UNIT_SRCS_policy := sched/policy_eevdf.c
