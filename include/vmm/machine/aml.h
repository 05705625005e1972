/*
 * Encoders for ACPI Machine Language (vmm/machine/aml.c): the few AML terms a
 * VM's DSDT needs (ACPI 6.5 chapter 20) and the resource descriptors of a
 * _CRS buffer (6.4), written into a bounded byte sink that the ACPI table
 * builder (vmm/machine/acpi_build.c) also writes its tables into.
 *
 * Everything that opens a package (Scope, Device, Package, Buffer)
 * returns the sink position its PkgLength belongs at; the matching close
 * inserts the PkgLength there once the body's size is known:
 *
 *	size_t dev = aml_device_open(o, "PCI0");
 *	aml_name_decl(o, "_UID");
 *	aml_integer(o, 0);
 *	aml_pkg_close(o, dev);
 */
#ifndef KEEL_VMM_AML_H
#define KEEL_VMM_AML_H

#include "types.h"

/*
 * The sink: buf[0..len), written from pos. When something does not fit,
 * full is set, nothing more is written, and pos keeps counting, so at the
 * end pos is the size the output needs either way.
 */
struct aml_out {
	u8 *buf;
	size_t len;
	size_t pos;
	u64 addr;	/* where the reader sees buf[0]: aml_out_align pads to it */
	bool full;
};

/* --- Raw bytes -------------------------------------------------------------- */

/* Room for n more bytes, zeroed, or NULL (and the sink full). */
u8 *aml_out_reserve(struct aml_out *o, size_t n);
void aml_out_bytes(struct aml_out *o, const void *src, size_t n);
/* val in size bytes, little-endian, as every ACPI field is (5.2). */
void aml_out_le(struct aml_out *o, u64 val, unsigned size);
/* Zeros until addr + pos is a multiple of align (a power of two). */
void aml_out_align(struct aml_out *o, u64 align);

static inline void aml_out_u8(struct aml_out *o, u8 v) { aml_out_le(o, v, 1); }
static inline void aml_out_u16(struct aml_out *o, u16 v) { aml_out_le(o, v, 2); }
static inline void aml_out_u32(struct aml_out *o, u32 v) { aml_out_le(o, v, 4); }

/* --- AML terms (20.2) ------------------------------------------------------- */

/* The PkgLength encoding (20.2.4) of a package whose body (what follows
 * the PkgLength) is body bytes: its length in enc (1-4), or 0 if too long. */
unsigned aml_pkglen(size_t body, u8 enc[4]);

/* An integer in its shortest encoding: Zero, One, or Byte/Word/DWord/QWord
 * constant (20.2.3). */
void aml_integer(struct aml_out *o, u64 v);

/* A NameString (20.2.2) from ASL-style text: "\\_SB.PCI0", "^FOO", "_HID".
 * Segments shorter than 4 characters are padded with '_'. */
void aml_name(struct aml_out *o, const char *path);

/* Name(path, ...) (20.2.5.1): the object to bind is written next. */
void aml_name_decl(struct aml_out *o, const char *path);

/* EISAID("PNP0A03") (ASL, chapter 19) as a DWord constant; id must be
 * three letters and four hex digits. */
void aml_eisaid(struct aml_out *o, const char *id);

/* Scope(path) {}, Device(path) {} (20.2.5.1, 20.2.5.2) and Package(n) {}
 * (20.2.5.4, n elements); each is finished by aml_pkg_close(). */
size_t aml_scope_open(struct aml_out *o, const char *path);
size_t aml_device_open(struct aml_out *o, const char *path);
size_t aml_package_open(struct aml_out *o, u8 nelems);
void aml_pkg_close(struct aml_out *o, size_t start);

/* Buffer() {bytes} (20.2.5.4): write the bytes after opening, then close,
 * which inserts the BufferSize and the PkgLength. */
size_t aml_buffer_open(struct aml_out *o);
void aml_buffer_close(struct aml_out *o, size_t start);

/* --- Resource descriptors for a _CRS buffer (6.4) ---------------------------- */

/* Resource Type of an Address Space descriptor (6.4.3.5). */
#define AML_RES_TYPE_MEM	0
#define AML_RES_TYPE_IO		1
#define AML_RES_TYPE_BUS	2
/* Type Specific Flags (6.4.3.5.5) of I/O and memory windows. */
#define AML_RES_IO_ENTIRE_RANGE	3	/* _RNG: ISA and non-ISA ranges */
#define AML_RES_MEM_RW		BIT(0)	/* _RW */
#define AML_RES_MEM_CACHEABLE	(1u << 1)	/* _MEM, bits 2:1 */

/* I/O Port descriptor (6.4.2.5): len ports fixed at base, 16-bit decode. */
void aml_res_io(struct aml_out *o, u16 base, u8 len);

/* Word (6.4.3.5.3) and DWord memory (6.4.3.5.2) Address Space descriptors
 * for a window min..max the device produces (decodes for its children),
 * fixed in place; type_flags are the Type Specific Flags above. */
void aml_res_word_window(struct aml_out *o, u8 type, u8 type_flags, u16 min, u16 max);
void aml_res_dword_mem_window(struct aml_out *o, u8 type_flags, u32 min, u32 max);

/* The End Tag (6.4.2.9) that closes a resource template. */
void aml_res_end(struct aml_out *o);

#endif
