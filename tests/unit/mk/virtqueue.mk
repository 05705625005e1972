UNIT_SRCS_virtqueue := devices/virtqueue.c
