/*
 * ACPI formats as the specification defines them (ACPI 6.5 chapters 5 and
 * 20), shared by Keel's reader of the host's tables (drivers/acpi*.c) and
 * its builder of each guest's (vmm/machine/acpi_build.c, vmm/machine/aml.c).
 */
#ifndef KEEL_LIB_ACPI_SPEC_H
#define KEEL_LIB_ACPI_SPEC_H

#include "types.h"

/* System Description Table Header (5.2.6). */
struct acpi_header {
	char signature[4];
	u32 length;             /* whole table, header included */
	u8 revision;
	u8 checksum;            /* all bytes of the table sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;

/* Root System Description Pointer (5.2.5.3). */
struct acpi_rsdp {
	char signature[8];      /* "RSD PTR " */
	u8 checksum;            /* first ACPI_RSDP_V1_LEN bytes sum to 0 */
	char oem_id[6];
	u8 revision;            /* 0: ACPI 1.0, 2: ACPI 2.0 and later */
	u32 rsdt_address;
	u32 length;             /* revision >= 2 from here on */
	u64 xsdt_address;
	u8 ext_checksum;        /* all `length` bytes sum to 0 */
	u8 reserved[3];
} __packed;

STATIC_ASSERT(sizeof(struct acpi_rsdp) == 36, "ACPI 6.5 5.2.5.3");
#define ACPI_RSDP_V1_LEN 20

/* Generic Address Structure (5.2.3.2). */
struct acpi_gas {
	u8 space_id;
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;
	u64 address;
} __packed;

#define ACPI_GAS_SYSTEM_IO   1
#define ACPI_GAS_ACCESS_BYTE  1
#define ACPI_GAS_ACCESS_WORD  2
#define ACPI_GAS_ACCESS_DWORD 3

/* The byte sum of p[0, n): 0 for a table with a valid checksum. */
static inline u8 acpi_sum(const void *p, size_t n)
{
	const u8 *b = p;
	u8 sum = 0;

	while (n--)
		sum += *b++;
	return sum;
}

/* AML encodings (20.2). */
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_QWORD_PREFIX	0x0e
#define AML_SCOPE_OP		0x10
#define AML_BUFFER_OP		0x11
#define AML_PACKAGE_OP		0x12
#define AML_DUAL_NAME_PREFIX	0x2e
#define AML_MULTI_NAME_PREFIX	0x2f
#define AML_EXT_OP_PREFIX	0x5b
#define AML_DEVICE_OP		0x82	/* after AML_EXT_OP_PREFIX */
#define AML_ONES_OP		0xff
#define AML_ROOT_CHAR		'\\'
#define AML_PARENT_CHAR		'^'

#endif
