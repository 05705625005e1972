/*
 * A VM's device table (include/vmm/core/devices.h): adding, the walks
 * (timers, statistics) and the device half of a snapshot.
 *
 * The saved stream: a "GCLK" record holding the VM's clock, then for each
 * device in table order its name (one length byte, the bytes) followed by
 * its own record (include/devices/snapshot.h). Device times are absolute
 * values of the VM's clock, so setting the clock to the saved reading is
 * what makes their deadlines mean the same after a restore.
 */
#include "vmm/core/devices.h"
#include "vmm/core/vm.h"
#include "devices/snapshot.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

#define CLOCK_TAG SNAP_TAG('G', 'C', 'L', 'K')
#define CLOCK_VERSION 1

int vm_device_add(struct vm *vm, const char *name, const struct dev_ops *ops, void *dev)
{
	struct vm_devices *t = &vm->devices;
	size_t len = strnlen(name, VM_DEVICE_NAME_MAX);

	if (len == 0 || len == VM_DEVICE_NAME_MAX)
		return -EINVAL;
	if (vm_device_find(vm, name))
		return -EEXIST;
	if (t->count == VM_MAX_DEVICES)
		return -ENOSPC;
	memcpy(t->dev[t->count].name, name, len + 1);
	t->dev[t->count].ops = ops;
	t->dev[t->count].dev = dev;
	t->count++;
	if (ops->advance)
		t->timed[t->ntimed++] = (struct vm_timed_device){ ops->advance, dev };
	return 0;
}

const struct vm_device *vm_device_find(const struct vm *vm, const char *name)
{
	for (unsigned i = 0; i < vm->devices.count; i++)
		if (!strcmp(vm->devices.dev[i].name, name))
			return &vm->devices.dev[i];
	return NULL;
}

u64 vm_devices_advance(struct vm *vm, u64 now)
{
	const struct vm_timed_device *t = vm->devices.timed;
	u64 next = UINT64_MAX;

	for (unsigned i = 0; i < vm->devices.ntimed; i++) {
		u64 due = t[i].advance(t[i].dev, now);	/* not inside MIN(): it evaluates twice */

		next = MIN(next, due);
	}
	return next;
}

void vm_devices_report(const struct vm *vm)
{
	char line[256];

	for (unsigned i = 0; i < vm->devices.count; i++) {
		const struct vm_device *d = &vm->devices.dev[i];

		if (d->ops->stats && d->ops->stats(d->dev, line, sizeof(line)))
			log_info("%s %s: %s", vm->name, d->name, line);
	}
}

static void clock_fields(struct snap *s, void *now)
{
	snap_u64(s, now);
}

int vm_devices_save(const struct vm *vm, void *buf, size_t len)
{
	u64 now = guest_clock_now(&vm->clock);
	u8 *b = buf;
	int r = snap_save(b, len, CLOCK_TAG, CLOCK_VERSION, clock_fields, &now, NULL);
	size_t pos;

	if (r < 0)
		return r;
	pos = (size_t)r;
	for (unsigned i = 0; i < vm->devices.count; i++) {
		const struct vm_device *d = &vm->devices.dev[i];
		size_t name_len = strlen(d->name);

		if (!d->ops->save)
			continue;
		if (len - pos < 1 + name_len)
			return -ENOSPC;
		b[pos] = (u8)name_len;
		memcpy(b + pos + 1, d->name, name_len);
		pos += 1 + name_len;
		r = d->ops->save(d->dev, b + pos, len - pos);
		if (r < 0)
			return r;
		pos += (size_t)r;
	}
	return (int)pos;
}

/* The record of device d at *pos in the stream, after its name. */
static int stream_next(const u8 *b, size_t len, size_t *pos, const struct vm_device *d,
		       const u8 **rec, size_t *rec_len, const char **why)
{
	size_t name_len = strlen(d->name), total;
	u32 tag;
	u16 version;

	if (*pos == len || b[*pos] != name_len || len - *pos - 1 < name_len ||
	    memcmp(b + *pos + 1, d->name, name_len)) {
		*why = "the saved devices are not this VM's (another name, order or count)";
		return -EINVAL;
	}
	*pos += 1 + name_len;
	if (snap_peek(b + *pos, len - *pos, &tag, &version, &total)) {
		*why = "its record is cut short";
		return -EINVAL;
	}
	*rec = b + *pos;
	*rec_len = total;
	*pos += total;
	return 0;
}

/* One pass over the stream: check every record (apply false) or apply them. */
static int devices_pass(struct vm *vm, const u8 *b, size_t len, size_t pos, bool apply,
			const struct vm_device **bad, const char **why)
{
	for (unsigned i = 0; i < vm->devices.count; i++) {
		const struct vm_device *d = &vm->devices.dev[i];
		const u8 *rec;
		size_t rec_len;
		int err;

		if (!d->ops->save)
			continue;
		*bad = d;
		err = stream_next(b, len, &pos, d, &rec, &rec_len, why);
		err = err ?: d->ops->load(d->dev, rec, rec_len, apply, why);
		if (err)
			return err;
	}
	*bad = NULL;
	if (pos != len) {
		*why = "the saved devices are not this VM's (records left over)";
		return -EINVAL;
	}
	return 0;
}

int vm_devices_load(struct vm *vm, const void *buf, size_t len, char *why, size_t why_size)
{
	const struct vm_device *bad = NULL;
	const char *reason = NULL;
	const u8 *b = buf;
	u32 tag;
	u16 version;
	size_t clock_len;
	u64 now = 0;
	int err;

	err = snap_peek(b, len, &tag, &version, &clock_len);
	err = err ?: snap_load(b, clock_len, CLOCK_TAG, CLOCK_VERSION, clock_fields, &now, &reason);
	if (err) {
		keel_snprintf(why, why_size, "clock: %s", reason ? reason : "no clock record");
		return err;
	}
	err = devices_pass(vm, b, len, clock_len, false, &bad, &reason);
	if (err) {
		keel_snprintf(why, why_size, "%s: %s", bad ? bad->name : "devices", reason);
		return err;
	}
	/* Checked: the clock first, so that what the devices drive at load
	 * (and any deadline computed from then on) reads the restored time. */
	guest_clock_set(&vm->clock, now);
	err = devices_pass(vm, b, len, clock_len, true, &bad, &reason);
	if (err)	/* a model whose check and apply disagree: Keel's bug */
		panic("vm %s: device %s refused at apply what it accepted: %s", vm->name,
		      bad ? bad->name : "?", reason);
	vm->timers_dirty = true;
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vm->vcpus[i]->irq_check = true;
	return 0;
}
