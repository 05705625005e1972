# The virtio 1.x PCI transport over the split virtqueue and the PCI config space helper; log.c and friends for its warnings.
UNIT_SRCS_virtio_pci := devices/virtio_pci.c devices/pci_host.c devices/virtqueue.c lib/log.c lib/printf.c lib/string.c tests/unit/fake_kernel.c
