/*
 * Device state records (devices/snapshot.c): how a device model writes
 * its guest-visible state out, for a checkpoint or a migration, and reads
 * it back. The format is Keel's own and versioned; nothing read is
 * trusted (records come from disks and networks).
 *
 * A record is a 12-byte header and a payload, little-endian:
 *	u32 tag		four ASCII characters naming the model, e.g. "PIT0"
 *	u16 version	the payload's layout: bumped whenever a field changes
 *	u16 reserved	0
 *	u32 length	payload bytes
 * The payload is the model's fields in the order its field list names
 * them, each at its own width (u8 to u64, bools as one byte 0 or 1, byte
 * arrays), no padding: the format does not depend on a compiler's struct
 * layout.
 *
 * A model lists its fields once, in a function that serves both ways
 * (snap_u8(s, &st->ier); ...): with a writer it appends them, with a
 * reader it fills them. Reading goes into a scratch copy of the state,
 * which the model checks (indices in range, counts within their arrays)
 * before it applies any of it, so a refused record changes nothing.
 */
#ifndef KEEL_DEVICES_SNAPSHOT_H
#define KEEL_DEVICES_SNAPSHOT_H

#include "types.h"

#define SNAP_HDR_LEN 12
#define SNAP_TAG(a, b, c, d) ((u32)(a) | (u32)(b) << 8 | (u32)(c) << 16 | (u32)(d) << 24)

/* A writer or a reader over one record's payload. */
struct snap {
	u8 *buf;
	size_t len, pos;
	bool reading;
	bool overrun;		/* ran past len: the writer had no room, the reader no bytes */
	const char *bad;	/* reader: why a value was refused (set by snap_bool, snap_check) */
};

void snap_u8(struct snap *s, u8 *v);
void snap_u16(struct snap *s, u16 *v);
void snap_u32(struct snap *s, u32 *v);
void snap_u64(struct snap *s, u64 *v);
void snap_bool(struct snap *s, bool *v);
void snap_bytes(struct snap *s, void *p, size_t n);
/* Reader: refuse the record with why unless ok (the first refusal is kept).
 * For checks that belong next to the field they test. */
void snap_check(struct snap *s, bool ok, const char *why);

typedef void snap_fields_fn(struct snap *s, void *state);

/*
 * Write one record of *state (fields lists it) into buf[0, len). Returns
 * the bytes written, or -ENOSPC when they do not fit (buf then holds
 * garbage). len 0 with buf NULL measures: -ENOSPC, and *need (if not NULL)
 * gets the size.
 */
int snap_save(void *buf, size_t len, u32 tag, u16 version, snap_fields_fn *fields,
	      const void *state, size_t *need);
/*
 * Read the record in buf[0, len) into *state, which fields fills (the
 * caller passes a scratch copy). Returns 0; or -EINVAL with *why set: too
 * short for its header, another tag, a payload length that is not the
 * rest of buf or not what the fields read, a value refused by the fields;
 * or -ENOTSUP for a version other than version.
 */
int snap_load(const void *buf, size_t len, u32 tag, u16 version, snap_fields_fn *fields,
	      void *state, const char **why);
/*
 * A record whose payload is other records (a virtio slot's: its
 * transport's, then its device's). The caller writes them at buf +
 * SNAP_HDR_LEN; snap_seal() then writes the header in front of their
 * payload_len bytes and returns the record's size (-ENOSPC past what an
 * int holds).
 */
int snap_seal(void *buf, u32 tag, u16 version, size_t payload_len);
/*
 * The payload of the record in buf[0, len), after the checks snap_load
 * makes of its header: 0 with *payload and *payload_len set, or snap_load's
 * error with *why. For reading a record of records.
 */
int snap_open(const void *buf, size_t len, u32 tag, u16 version, const u8 **payload,
	      size_t *payload_len, const char **why);
/* The header of the record at buf: 0 with *tag, *version and *total (header
 * plus payload) when buf[0, len) holds at least the header and its payload;
 * -EINVAL otherwise. For walking a sequence of records. */
int snap_peek(const void *buf, size_t len, u32 *tag, u16 *version, size_t *total);

#endif
