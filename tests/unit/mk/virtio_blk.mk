# virtio-blk requests over the real split virtqueue in a fake guest RAM, the
# RAM backend under it; the PCI transport is faked by the test.
UNIT_SRCS_virtio_blk := devices/virtio_blk.c devices/blk_ram.c devices/virtqueue.c
