/*
 * Device state records: the field writer/reader and the record framing of
 * include/devices/snapshot.h. Little-endian throughout, whatever the host.
 */
#include "devices/snapshot.h"
#include "lib/string.h"

/* One field of n bytes (n <= 8 for integers) at the cursor. */
static u8 *snap_field(struct snap *s, size_t n)
{
	u8 *p;

	if (s->overrun || n > s->len - s->pos) {
		s->overrun = true;
		return NULL;
	}
	p = s->buf ? s->buf + s->pos : NULL;
	s->pos += n;
	return p;
}

static void snap_uint(struct snap *s, void *v, size_t n)
{
	u8 *p = snap_field(s, n);
	u64 x = 0;

	if (!p)
		return;
	if (s->reading) {
		for (size_t i = 0; i < n; i++)
			x |= (u64)p[i] << (8 * i);
		memcpy(v, &x, n);	/* x86 is little-endian: the low n bytes */
	} else {
		memcpy(&x, v, n);
		for (size_t i = 0; i < n; i++)
			p[i] = (u8)(x >> (8 * i));
	}
}

void snap_u8(struct snap *s, u8 *v) { snap_uint(s, v, 1); }
void snap_u16(struct snap *s, u16 *v) { snap_uint(s, v, 2); }
void snap_u32(struct snap *s, u32 *v) { snap_uint(s, v, 4); }
void snap_u64(struct snap *s, u64 *v) { snap_uint(s, v, 8); }

void snap_bool(struct snap *s, bool *v)
{
	u8 b = s->reading ? 0 : *v;

	snap_uint(s, &b, 1);
	if (s->reading) {
		snap_check(s, b <= 1, "a boolean field is neither 0 nor 1");
		*v = b == 1;
	}
}

void snap_bytes(struct snap *s, void *p, size_t n)
{
	u8 *q = snap_field(s, n);

	if (!q)
		return;
	if (s->reading)
		memcpy(p, q, n);
	else
		memcpy(q, p, n);
}

void snap_check(struct snap *s, bool ok, const char *why)
{
	if (s->reading && !ok && !s->bad)
		s->bad = why;
}

static u32 get32(const u8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24; }
static u16 get16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }

static void put32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

static void put_header(u8 *b, u32 tag, u16 version, u32 payload_len)
{
	put32(b, tag);
	b[4] = (u8)version;
	b[5] = (u8)(version >> 8);
	b[6] = b[7] = 0;
	put32(b + 8, payload_len);
}

int snap_save(void *buf, size_t len, u32 tag, u16 version, snap_fields_fn *fields,
	      const void *state, size_t *need)
{
	/* A measuring pass first (no buffer): the payload's length goes in
	 * the header, and nothing is written past len. */
	struct snap m = { .buf = NULL, .len = SIZE_MAX }, w;
	u8 *b = buf;

	fields(&m, (void *)state);
	if (need)
		*need = SNAP_HDR_LEN + m.pos;
	if (!buf || len < SNAP_HDR_LEN || m.pos > len - SNAP_HDR_LEN)
		return -ENOSPC;
	put_header(b, tag, version, (u32)m.pos);
	w = (struct snap){ .buf = b + SNAP_HDR_LEN, .len = m.pos };
	fields(&w, (void *)state);
	return (int)(SNAP_HDR_LEN + w.pos);
}

int snap_seal(void *buf, u32 tag, u16 version, size_t payload_len)
{
	if (payload_len > INT32_MAX - SNAP_HDR_LEN)
		return -ENOSPC;
	put_header(buf, tag, version, (u32)payload_len);
	return (int)(SNAP_HDR_LEN + payload_len);
}

int snap_peek(const void *buf, size_t len, u32 *tag, u16 *version, size_t *total)
{
	const u8 *b = buf;

	if (len < SNAP_HDR_LEN || get32(b + 8) > len - SNAP_HDR_LEN)
		return -EINVAL;
	*tag = get32(b);
	*version = get16(b + 4);
	*total = SNAP_HDR_LEN + get32(b + 8);
	return 0;
}

int snap_open(const void *buf, size_t len, u32 tag, u16 version, const u8 **payload,
	      size_t *payload_len, const char **why)
{
	const u8 *b = buf;
	size_t total;
	u32 t;
	u16 v;

	*why = NULL;
	if (snap_peek(buf, len, &t, &v, &total) || total != len) {
		*why = "the record's length is not its size";
		return -EINVAL;
	}
	if (t != tag) {
		*why = "the record is another device's";
		return -EINVAL;
	}
	if (v != version) {
		*why = "the record's version is not one this Keel reads";
		return -ENOTSUP;
	}
	if (get16(b + 6)) {
		*why = "the record's reserved header bytes are not 0";
		return -EINVAL;
	}
	*payload = b + SNAP_HDR_LEN;
	*payload_len = total - SNAP_HDR_LEN;
	return 0;
}

int snap_load(const void *buf, size_t len, u32 tag, u16 version, snap_fields_fn *fields,
	      void *state, const char **why)
{
	struct snap r = { .reading = true };
	const u8 *payload;
	int err = snap_open(buf, len, tag, version, &payload, &r.len, why);

	if (err)
		return err;
	r.buf = (u8 *)payload;
	fields(&r, state);
	if (r.overrun || r.pos != r.len)
		*why = r.overrun ? "the record is shorter than its fields" :
				   "the record is longer than its fields";
	else if (r.bad)
		*why = r.bad;
	return *why ? -EINVAL : 0;
}
