UNIT_SRCS_virtio_net := devices/virtio_net.c devices/virtqueue.c vmm/vswitch.c
