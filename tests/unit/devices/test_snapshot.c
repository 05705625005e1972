/*
 * Device state records (devices/snapshot.c): a toy state with every field
 * kind written and read back, and every way a record is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "devices/snapshot.h"

#define TAG SNAP_TAG('T', 'O', 'Y', '0')

struct toy {
	u8 a;
	u16 b;
	u32 c;
	u64 d;
	bool e;
	u8 bytes[5];
};

static void toy_fields(struct snap *s, void *p)
{
	struct toy *t = p;

	snap_u8(s, &t->a);
	snap_u16(s, &t->b);
	snap_u32(s, &t->c);
	snap_u64(s, &t->d);
	snap_bool(s, &t->e);
	snap_bytes(s, t->bytes, sizeof(t->bytes));
	snap_check(s, t->a != 0xee, "a is 0xee");
}

static const struct toy sample = { 0x11, 0x2233, 0x44556677, 0x8899aabbccddeeffull, true,
				   { 1, 2, 3, 4, 5 } };
#define PAYLOAD (1 + 2 + 4 + 8 + 1 + 5)

static int save(u8 *buf, size_t len)
{
	return snap_save(buf, len, TAG, 3, toy_fields, &sample, NULL);
}

/* The header and the payload, byte by byte: little-endian, no padding. */
static void test_layout(void **state)
{
	static const u8 want[SNAP_HDR_LEN + PAYLOAD] = {
		'T', 'O', 'Y', '0', 3, 0, 0, 0, PAYLOAD, 0, 0, 0,
		0x11, 0x33, 0x22, 0x77, 0x66, 0x55, 0x44,
		0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 1, 1, 2, 3, 4, 5,
	};
	u8 buf[64];
	size_t need = 0;

	assert_int_equal(save(buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(snap_save(NULL, 0, TAG, 3, toy_fields, &sample, &need), -ENOSPC);
	assert_int_equal(need, sizeof(want));
}

/* Read back, then written again: the same bytes. */
static void test_round_trip(void **state)
{
	u8 a[64], b[64];
	struct toy t;
	const char *why = "unset";
	int n = save(a, sizeof(a));

	memset(&t, 0, sizeof(t));
	assert_int_equal(snap_load(a, (size_t)n, TAG, 3, toy_fields, &t, &why), 0);
	assert_null(why);
	assert_int_equal(t.d, sample.d);
	assert_true(t.e);
	assert_int_equal(snap_save(b, sizeof(b), TAG, 3, toy_fields, &t, NULL), n);
	assert_memory_equal(a, b, (size_t)n);
}

/* Too small a buffer: refused, and nothing written past its end. */
static void test_no_room(void **state)
{
	u8 buf[64];

	memset(buf, 0xa5, sizeof(buf));
	for (size_t len = 0; len < SNAP_HDR_LEN + PAYLOAD; len++)
		assert_int_equal(save(buf, len), -ENOSPC);
	for (size_t i = SNAP_HDR_LEN + PAYLOAD - 1; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xa5);
}

static int load(const u8 *buf, size_t len, u16 version, const char **why)
{
	struct toy t;

	return snap_load(buf, len, TAG, version, toy_fields, &t, why);
}

static void test_refusals(void **state)
{
	u8 buf[64], bad[64];
	const char *why;
	int n = save(buf, sizeof(buf));

	/* Truncated anywhere, or with bytes after it. */
	for (int len = 0; len < n; len++)
		assert_int_equal(load(buf, (size_t)len, 3, &why), -EINVAL);
	assert_int_equal(load(buf, (size_t)n + 1, 3, &why), -EINVAL);
	assert_string_equal(why, "the record's length is not its size");
	/* Another device's tag, another version, reserved bytes set. */
	memcpy(bad, buf, (size_t)n);
	bad[0] = 'X';
	assert_int_equal(load(bad, (size_t)n, 3, &why), -EINVAL);
	assert_string_equal(why, "the record is another device's");
	assert_int_equal(load(buf, (size_t)n, 4, &why), -ENOTSUP);
	memcpy(bad, buf, (size_t)n);
	bad[7] = 1;
	assert_int_equal(load(bad, (size_t)n, 3, &why), -EINVAL);
	/* A payload shorter or longer than the fields read. */
	memcpy(bad, buf, (size_t)n);
	bad[8] = PAYLOAD - 1;
	assert_int_equal(load(bad, (size_t)n - 1, 3, &why), -EINVAL);
	assert_string_equal(why, "the record is shorter than its fields");
	memcpy(bad, buf, (size_t)n);
	bad[8] = PAYLOAD + 1;
	bad[n] = 0;
	assert_int_equal(load(bad, (size_t)n + 1, 3, &why), -EINVAL);
	assert_string_equal(why, "the record is longer than its fields");
	/* Values the fields refuse: a boolean of 2, the model's own check. */
	memcpy(bad, buf, (size_t)n);
	bad[SNAP_HDR_LEN + 15] = 2;
	assert_int_equal(load(bad, (size_t)n, 3, &why), -EINVAL);
	assert_string_equal(why, "a boolean field is neither 0 nor 1");
	memcpy(bad, buf, (size_t)n);
	bad[SNAP_HDR_LEN] = 0xee;
	assert_int_equal(load(bad, (size_t)n, 3, &why), -EINVAL);
	assert_string_equal(why, "a is 0xee");
}

static void test_peek(void **state)
{
	u8 buf[64];
	int n = save(buf, sizeof(buf));
	u32 tag;
	u16 version;
	size_t total;

	assert_int_equal(snap_peek(buf, sizeof(buf), &tag, &version, &total), 0);
	assert_int_equal(tag, TAG);
	assert_int_equal(version, 3);
	assert_int_equal(total, n);
	assert_int_equal(snap_peek(buf, (size_t)n - 1, &tag, &version, &total), -EINVAL);
	assert_int_equal(snap_peek(buf, SNAP_HDR_LEN - 1, &tag, &version, &total), -EINVAL);
}

/* A record of records: two toy records sealed in an outer one, opened
 * again with the outer header's checks; each inner one loads on its own. */
static void test_record_of_records(void **state)
{
	u8 buf[128];
	const u8 *payload;
	size_t payload_len, first;
	const char *why;
	u32 tag;
	u16 version;
	int a = save(buf + SNAP_HDR_LEN, sizeof(buf) - SNAP_HDR_LEN);
	int b = save(buf + SNAP_HDR_LEN + a, sizeof(buf) - SNAP_HDR_LEN - (size_t)a);
	int n = snap_seal(buf, SNAP_TAG('O', 'U', 'T', '0'), 7, (size_t)(a + b));

	assert_int_equal(n, SNAP_HDR_LEN + a + b);
	assert_int_equal(snap_peek(buf, (size_t)n, &tag, &version, &first), 0);
	assert_int_equal(tag, SNAP_TAG('O', 'U', 'T', '0'));
	assert_int_equal(version, 7);
	assert_int_equal(first, n);
	assert_int_equal(snap_open(buf, (size_t)n, SNAP_TAG('O', 'U', 'T', '0'), 7, &payload,
				   &payload_len, &why), 0);
	assert_null(why);
	assert_ptr_equal(payload, buf + SNAP_HDR_LEN);
	assert_int_equal(payload_len, a + b);
	assert_int_equal(snap_peek(payload, payload_len, &tag, &version, &first), 0);
	assert_int_equal(load(payload, first, 3, &why), 0);
	assert_int_equal(load(payload + first, payload_len - first, 3, &why), 0);
	/* The outer header is checked as snap_load checks one. */
	assert_int_equal(snap_open(buf, (size_t)n - 1, SNAP_TAG('O', 'U', 'T', '0'), 7, &payload,
				   &payload_len, &why), -EINVAL);
	assert_string_equal(why, "the record's length is not its size");
	assert_int_equal(snap_open(buf, (size_t)n, TAG, 7, &payload, &payload_len, &why), -EINVAL);
	assert_string_equal(why, "the record is another device's");
	assert_int_equal(snap_open(buf, (size_t)n, SNAP_TAG('O', 'U', 'T', '0'), 6, &payload,
				   &payload_len, &why), -ENOTSUP);
	buf[6] = 1;
	assert_int_equal(snap_open(buf, (size_t)n, SNAP_TAG('O', 'U', 'T', '0'), 7, &payload,
				   &payload_len, &why), -EINVAL);
	assert_string_equal(why, "the record's reserved header bytes are not 0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_record_of_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
