/*
 * What every device model's state record load must refuse, whatever its
 * fields (include/devices/snapshot.h), for the device tests of
 * tests/unit/devices/: a record cut short or with bytes after it, another
 * model's tag, another version. Each refusal must leave the device as it
 * was, and so must a good record checked with apply false. Include after
 * cmocka.h.
 */
#ifndef KEEL_TESTS_SNAP_TEST_H
#define KEEL_TESTS_SNAP_TEST_H

#include <stdlib.h>
#include <string.h>

#include "devices/snapshot.h"

/* A model's X_load, with dev as a void pointer. */
typedef int snap_test_load_fn(void *dev, const void *buf, size_t len, bool apply,
			      const char **why);

/* The tags of the models with records: a record of any other is refused. */
static const u32 snap_test_tags[] = {
	SNAP_TAG('U', 'A', 'R', 'T'), SNAP_TAG('P', 'I', 'T', '0'), SNAP_TAG('P', 'I', 'C', '0'),
	SNAP_TAG('R', 'T', 'C', '0'), SNAP_TAG('I', 'O', 'A', 'P'), SNAP_TAG('A', 'P', 'I', 'C'),
	SNAP_TAG('A', 'C', 'P', 'M'), SNAP_TAG('P', 'C', 'I', 'H'), SNAP_TAG('V', 'P', 'C', 'I'),
	SNAP_TAG('V', 'B', 'L', 'K'), SNAP_TAG('V', 'N', 'E', 'T'),
};

/* Load buf[0, len) into dev, expect err, and dev's state[0, size) as
 * before; returns the reason given. */
static inline const char *snap_test_refused(snap_test_load_fn *load, void *dev, const void *state,
				     size_t size, const void *buf, size_t len, int err)
{
	void *before = malloc(size);
	const char *why = NULL;

	assert_non_null(before);
	memcpy(before, state, size);
	assert_int_equal(load(dev, buf, len, true, &why), err);
	assert_non_null(why);
	assert_memory_equal(state, before, size);
	free(before);
	return why;
}

/*
 * rec[0, n) is a good record of the model whose load is load, and dev (a
 * device of that model, its state at state[0, size)) is not in the state
 * the record holds. Checks every refusal the framing makes, and that
 * apply=false on the good record changes nothing.
 */
static inline void snap_test_framing(snap_test_load_fn *load, void *dev, const void *state,
				     size_t size, const u8 *rec, size_t n)
{
	u8 *bad = calloc(1, n + 1);
	const char *why = "unset";
	u32 own = rec[0] | rec[1] << 8 | rec[2] << 16 | (u32)rec[3] << 24;
	void *before = malloc(size);

	assert_non_null(bad);
	assert_non_null(before);
	for (size_t len = 0; len < n; len++)
		snap_test_refused(load, dev, state, size, rec, len, -EINVAL);
	memcpy(bad, rec, n);
	snap_test_refused(load, dev, state, size, bad, n + 1, -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(snap_test_tags); i++) {
		if (snap_test_tags[i] == own)
			continue;
		memcpy(bad, rec, n);
		memcpy(bad, &snap_test_tags[i], 4);	/* little-endian, as on disk */
		assert_string_equal(snap_test_refused(load, dev, state, size, bad, n, -EINVAL),
				    "the record is another device's");
	}
	memcpy(bad, rec, n);
	bad[4]++;	/* version 2 */
	snap_test_refused(load, dev, state, size, bad, n, -ENOTSUP);
	bad[4] = 0;
	snap_test_refused(load, dev, state, size, bad, n, -ENOTSUP);

	memcpy(before, state, size);
	assert_int_equal(load(dev, rec, n, false, &why), 0);
	assert_null(why);
	assert_memory_equal(state, before, size);
	free(before);
	free(bad);
}

#endif
