# PCI configuration mechanism #1, the host bridge and the config space helper.
UNIT_SRCS_pci_host := devices/pci_host.c
