/* Host tests for devices/backend/vswitch.c: learning, flooding, filtering, ageing, detach. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/backend/vswitch.h"
#include "fake_hw.h"

#define NPORTS 4

/* A station behind a port: what it received. */
struct station {
	struct net_port port;
	unsigned nframes;
	u8 last[ETH_FRAME_MAX];
	size_t last_len;
};

struct world {
	struct vswitch *sw;
	struct station st[NPORTS];
};

static const u8 BCAST[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void station_deliver(void *ctx, const u8 *frame, size_t len)
{
	struct station *s = ctx;

	assert_true(len <= sizeof(s->last));
	s->nframes++;
	memcpy(s->last, frame, len);
	s->last_len = len;
}

/* Station i's address: 52:54:00:00:00:i+1. */
static void station_mac(unsigned i, u8 mac[ETH_ALEN])
{
	const u8 m[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x00, 0x00, (u8)(i + 1) };

	memcpy(mac, m, ETH_ALEN);
}

static int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	fake_time_ns = 1000;
	w->sw = vswitch_get("test0");
	assert_non_null(w->sw);
	for (unsigned i = 0; i < NPORTS; i++) {
		w->st[i].port.deliver = station_deliver;
		w->st[i].port.ctx = &w->st[i];
		assert_int_equal(vswitch_attach(w->sw, &w->st[i].port), 0);
	}
	*state = w;
	return 0;
}

static int world_teardown(void **state)
{
	struct world *w = *state;

	for (unsigned i = 0; i < NPORTS; i++)
		vswitch_detach(&w->st[i].port);
	assert_int_equal(vswitch_port_count(w->sw), 0);
	free(w);
	return 0;
}

/* Build a frame dst <- src of len bytes (payload is a counting pattern). */
static size_t frame(u8 *buf, const u8 *dst, const u8 *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (u8)i;
	if (len >= ETH_HLEN) {
		memcpy(buf, dst, ETH_ALEN);
		memcpy(buf + ETH_ALEN, src, ETH_ALEN);
		buf[12] = 0x08;
		buf[13] = 0x00;
	}
	return len;
}

/* Station from sends a 60-byte frame to dst. */
static void send_to(struct world *w, unsigned from, const u8 *dst)
{
	u8 buf[64], src[ETH_ALEN];

	station_mac(from, src);
	vswitch_send(w->sw, &w->st[from].port, buf, frame(buf, dst, src, 60));
}

static void counts(const struct world *w, unsigned a, unsigned b, unsigned c, unsigned d)
{
	assert_int_equal(w->st[0].nframes, a);
	assert_int_equal(w->st[1].nframes, b);
	assert_int_equal(w->st[2].nframes, c);
	assert_int_equal(w->st[3].nframes, d);
}

static void test_get_by_name(void **state)
{
	struct world *w = *state;
	char long_name[VSWITCH_NAME_MAX + 1];

	assert_ptr_equal(vswitch_get("test0"), w->sw);
	assert_string_equal(vswitch_name(w->sw), "test0");
	assert_ptr_not_equal(vswitch_get("test1"), w->sw);
	assert_ptr_equal(vswitch_get("test1"), vswitch_get("test1"));
	assert_null(vswitch_get(""));
	assert_null(vswitch_get(NULL));
	memset(long_name, 'a', VSWITCH_NAME_MAX);
	long_name[VSWITCH_NAME_MAX] = 0;
	assert_null(vswitch_get(long_name));
	long_name[VSWITCH_NAME_MAX - 1] = 0;	/* 15 characters fit */
	assert_non_null(vswitch_get(long_name));
}

static void test_broadcast_floods_not_back(void **state)
{
	struct world *w = *state;

	send_to(w, 0, BCAST);
	counts(w, 0, 1, 1, 1);
	assert_int_equal(w->st[1].last_len, 60);
	assert_memory_equal(w->st[1].last, BCAST, ETH_ALEN);
	assert_int_equal(w->st[0].port.stats.tx_frames, 1);
	assert_int_equal(w->st[0].port.stats.tx_bytes, 60);
	assert_int_equal(w->st[2].port.stats.rx_frames, 1);
	assert_int_equal(w->st[2].port.stats.rx_bytes, 60);
	assert_int_equal(w->st[0].port.stats.rx_frames, 0);
}

static void test_multicast_floods(void **state)
{
	struct world *w = *state;
	const u8 mcast[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
	u8 buf[64];

	send_to(w, 2, mcast);
	counts(w, 1, 1, 0, 1);
	/* A group address used as a source is not learnt behind port 1... */
	vswitch_send(w->sw, &w->st[1].port, buf, frame(buf, BCAST, mcast, 60));
	counts(w, 2, 1, 1, 2);
	/* ...so frames to it still reach every port but the sender. */
	send_to(w, 0, mcast);
	counts(w, 2, 2, 2, 3);
}

static void test_unknown_unicast_floods_then_learns(void **state)
{
	struct world *w = *state;
	u8 mac0[ETH_ALEN], mac2[ETH_ALEN];

	station_mac(0, mac0);
	station_mac(2, mac2);
	send_to(w, 0, mac2);		/* 2 not known yet: flood */
	counts(w, 0, 1, 1, 1);
	send_to(w, 2, mac0);		/* 0 learnt from the first frame */
	counts(w, 1, 1, 1, 1);
	send_to(w, 0, mac2);		/* 2 learnt from its reply */
	counts(w, 1, 1, 2, 1);
	assert_memory_equal(w->st[2].last + ETH_ALEN, mac0, ETH_ALEN);
}

static void test_attach_learns_port_mac(void **state)
{
	struct world *w = *state;
	struct station extra = { 0 };
	const u8 mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

	extra.port.deliver = station_deliver;
	extra.port.ctx = &extra;
	memcpy(extra.port.mac, mac, ETH_ALEN);
	assert_int_equal(vswitch_attach(w->sw, &extra.port), 0);
	send_to(w, 0, mac);		/* known at once: not flooded */
	counts(w, 0, 0, 0, 0);
	assert_int_equal(extra.nframes, 1);
	vswitch_detach(&extra.port);
}

static void test_station_moves(void **state)
{
	struct world *w = *state;
	u8 mac3[ETH_ALEN], buf[64];

	station_mac(3, mac3);
	send_to(w, 3, BCAST);			/* mac3 behind port 3 */
	send_to(w, 0, mac3);
	counts(w, 1, 1, 1, 1);
	/* The same address now speaks from port 1. */
	vswitch_send(w->sw, &w->st[1].port, buf, frame(buf, BCAST, mac3, 60));
	counts(w, 2, 1, 2, 2);
	send_to(w, 0, mac3);
	counts(w, 2, 2, 2, 2);
}

static void test_no_echo_to_sender(void **state)
{
	struct world *w = *state;
	u8 mac0[ETH_ALEN];

	station_mac(0, mac0);
	send_to(w, 0, BCAST);
	counts(w, 0, 1, 1, 1);
	send_to(w, 0, mac0);			/* to itself: filtered */
	counts(w, 0, 1, 1, 1);
	assert_int_equal(w->st[0].port.stats.tx_filtered, 1);
	assert_int_equal(w->st[0].port.stats.tx_frames, 2);
}

static void test_bad_sizes_dropped(void **state)
{
	struct world *w = *state;
	static u8 big[ETH_FRAME_MAX + 1];
	u8 src[ETH_ALEN];

	station_mac(0, src);
	vswitch_send(w->sw, &w->st[0].port, big, frame(big, BCAST, src, ETH_HLEN - 1));
	vswitch_send(w->sw, &w->st[0].port, big, 0);
	vswitch_send(w->sw, &w->st[0].port, big, frame(big, BCAST, src, ETH_FRAME_MAX + 1));
	counts(w, 0, 0, 0, 0);
	assert_int_equal(w->st[0].port.stats.tx_bad_size, 3);
	assert_int_equal(w->st[0].port.stats.tx_frames, 0);
	/* The limits themselves pass: a bare header and a tagged full frame. */
	vswitch_send(w->sw, &w->st[0].port, big, frame(big, BCAST, src, ETH_HLEN));
	vswitch_send(w->sw, &w->st[0].port, big, frame(big, BCAST, src, ETH_FRAME_MAX));
	counts(w, 0, 2, 2, 2);
	assert_int_equal(w->st[1].last_len, ETH_FRAME_MAX);
	assert_memory_equal(w->st[1].last, big, ETH_FRAME_MAX);
}

static void test_detach_forgets_macs(void **state)
{
	struct world *w = *state;
	u8 mac2[ETH_ALEN];

	station_mac(2, mac2);
	send_to(w, 2, BCAST);
	send_to(w, 0, mac2);
	counts(w, 1, 1, 1, 1);
	vswitch_detach(&w->st[2].port);
	assert_false(net_port_plugged(&w->st[2].port));
	assert_null(w->st[2].port.backend_ctx);
	assert_int_equal(vswitch_port_count(w->sw), NPORTS - 1);
	send_to(w, 0, mac2);		/* unknown again: flooded to what is left */
	counts(w, 1, 2, 1, 2);
	vswitch_detach(&w->st[2].port);	/* twice is harmless */
	/* A frame from a port that is not attached goes nowhere. */
	send_to(w, 2, BCAST);
	counts(w, 1, 2, 1, 2);
	/* Reattached, it starts over with fresh counters. */
	assert_int_equal(vswitch_attach(w->sw, &w->st[2].port), 0);
	assert_int_equal(w->st[2].port.stats.tx_frames, 0);
	send_to(w, 2, BCAST);
	counts(w, 2, 3, 1, 3);
}

static void test_attach_errors(void **state)
{
	struct world *w = *state;
	struct vswitch *other = vswitch_get("test2");
	static struct station many[VSWITCH_MAX_PORTS];
	struct net_port nodeliver = { 0 };
	unsigned i;

	assert_int_equal(vswitch_attach(w->sw, &w->st[0].port), -EBUSY);
	assert_int_equal(vswitch_attach(other, &w->st[0].port), -EBUSY);
	assert_int_equal(vswitch_attach(w->sw, &nodeliver), -EINVAL);
	assert_int_equal(vswitch_attach(w->sw, NULL), -EINVAL);
	for (i = 0; i < VSWITCH_MAX_PORTS - NPORTS; i++) {
		many[i].port.deliver = station_deliver;
		many[i].port.ctx = &many[i];
		assert_int_equal(vswitch_attach(w->sw, &many[i].port), 0);
	}
	many[i].port.deliver = station_deliver;
	assert_int_equal(vswitch_attach(w->sw, &many[i].port), -ENOSPC);
	/* Sending on the wrong switch does nothing. */
	send_to(w, 0, BCAST);
	counts(w, 0, 1, 1, 1);
	vswitch_send(other, &w->st[0].port, (const u8 *)BCAST, 0);
	assert_int_equal(w->st[0].port.stats.tx_bad_size, 0);
	for (i = 0; i < VSWITCH_MAX_PORTS - NPORTS; i++) {
		assert_int_equal(many[i].nframes, 1);
		vswitch_detach(&many[i].port);
	}
}

static void test_ageing(void **state)
{
	struct world *w = *state;
	u8 mac1[ETH_ALEN];

	station_mac(1, mac1);
	send_to(w, 1, BCAST);
	fake_time_ns += VSWITCH_AGE_NS - 1;
	send_to(w, 0, mac1);			/* still fresh */
	counts(w, 1, 1, 1, 1);
	fake_time_ns += 1;
	send_to(w, 0, mac1);			/* aged out: flooded */
	counts(w, 1, 2, 2, 2);
}

/* A guest sending from many addresses recycles its own entries and
 * cannot push out what was learnt for the other ports. */
static void test_fdb_quota(void **state)
{
	struct world *w = *state;
	const unsigned n = 4 * VSWITCH_FDB_SIZE;
	const u8 newest[ETH_ALEN] = { 0x02, 0, 0, 0, (u8)((n - 1) >> 8), (u8)(n - 1) };
	const u8 oldest[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0 };
	u8 mac2[ETH_ALEN], buf[64];

	station_mac(2, mac2);
	send_to(w, 2, BCAST);
	for (unsigned i = 0; i < n; i++) {
		const u8 src[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, (u8)(i >> 8), (u8)i };

		fake_time_ns++;
		vswitch_send(w->sw, &w->st[3].port, buf, frame(buf, BCAST, src, 60));
	}
	counts(w, n + 1, n + 1, n, 1);
	send_to(w, 0, mac2);			/* still known: not flooded */
	counts(w, n + 1, n + 1, n + 1, 1);
	send_to(w, 0, newest);			/* the newest spoofed address is known */
	counts(w, n + 1, n + 1, n + 1, 2);
	send_to(w, 0, oldest);			/* the oldest was recycled: flooded */
	counts(w, n + 1, n + 2, n + 2, 3);
}

/* Runs last: it uses up the switch table for good. */
static void test_switch_table_full(void **state)
{
	char name[8];
	unsigned made = 0;

	(void)state;
	for (unsigned i = 0; i < 2 * VSWITCH_MAX; i++) {
		snprintf(name, sizeof(name), "full%u", i);
		if (vswitch_get(name))
			made++;
	}
	/* test0, test1, test2 and the 15-letter name took four slots. */
	assert_int_equal(made, VSWITCH_MAX - 4);
	assert_null(vswitch_get("one-more"));
	assert_non_null(vswitch_get("test0"));	/* existing ones still found */
}

#define SW_TEST(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SW_TEST(test_get_by_name),
		SW_TEST(test_broadcast_floods_not_back),
		SW_TEST(test_multicast_floods),
		SW_TEST(test_unknown_unicast_floods_then_learns),
		SW_TEST(test_attach_learns_port_mac),
		SW_TEST(test_station_moves),
		SW_TEST(test_no_echo_to_sender),
		SW_TEST(test_bad_sizes_dropped),
		SW_TEST(test_detach_forgets_macs),
		SW_TEST(test_attach_errors),
		SW_TEST(test_ageing),
		SW_TEST(test_fdb_quota),
		cmocka_unit_test(test_switch_table_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
