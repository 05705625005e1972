/*
 * tsc: print the time-stamp counter as "tsc=N" and exit. A static, libc-free
 * x86-64 Linux program for the guest's initramfs (tests/guests/linux/init).
 *
 * In Bochs (clock: sync=none) the TSC counts emulated ticks since power-on,
 * one per retired instruction, so the value is what the boot cost up to this
 * point of userspace, reproducible run to run. RDTSC is SDM vol. 2B "RDTSC";
 * the syscall ABI (number in rax, arguments in rdi, rsi, rdx; rcx and r11
 * clobbered) is the x86-64 System V ABI, appendix A.2.
 *
 * Build: gcc -static -nostdlib -fno-pie -no-pie -O2 -ffreestanding
 *        -fno-stack-protector -o tsc tsc.c
 */
typedef unsigned long u64;

#define SYS_WRITE 1
#define SYS_EXIT 60
#define STDOUT 1

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a), "S"(b), "d"(c)
		     : "rcx", "r11", "memory");
	return ret;
}

static u64 rdtsc(void)
{
	unsigned int lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/* Write the decimal digits of v, right-aligned, ending at end; return the first. */
static char *format_u64(char *end, u64 v)
{
	char *p = end;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

/* Write all of buf, retrying short writes (a tty may take part of it). */
static int write_all(const char *buf, long len)
{
	while (len > 0) {
		long n = sys3(SYS_WRITE, STDOUT, (long)buf, len);

		if (n == -4) /* -EINTR */
			continue;
		if (n <= 0)
			return 1;
		buf += n;
		len -= n;
	}
	return 0;
}

#define SYS_CLOCK_GETTIME 228
#define CLOCK_REALTIME 0

struct timespec64 {
	long sec, nsec;
};

/*
 * Read the TSC first, so that formatting and writing are not counted; then
 * the guest's wall clock, so a test can compare the guest's idea of elapsed
 * time with the TSC's (the host's) between two runs of this program.
 * Prints "tsc=N realtime=S.NNNNNNNNN".
 */
static void cpuid(unsigned leaf, unsigned r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* Prepend the literal s before p (the buffer is filled right to left). */
static char *prepend(char *p, const char *s, int len)
{
	while (len-- > 0)
		*--p = s[len];
	return p;
}

#define PREPEND(p, lit) prepend(p, lit, (int)sizeof(lit) - 1)

/*
 * Keel's statistics leaf (include/vmm/exit/hypercall.h, ABI 1.1): exits of this
 * vCPU and the TSC ticks Keel spent on them, when the hypervisor is Keel.
 * Returns 0 elsewhere.
 */
static int keel_stats(u64 *exits, u64 *hv)
{
	unsigned r[4];

	cpuid(1, r);
	if (!(r[2] & (1u << 31)))
		return 0;
	cpuid(0x40000000, r);
	if (r[1] != 0x6c65654b || r[2] != 0x6c65654b || r[3] != 0x6c65654b || r[0] < 0x40000002)
		return 0;
	cpuid(0x40000002, r);
	*exits = ((u64)r[3] << 32) | r[0];
	*hv = ((u64)r[2] << 32) | r[1];
	return 1;
}

/*
 * Read the TSC first, so that formatting and writing are not counted; then
 * the guest's wall clock, so a test can compare the guest's idea of elapsed
 * time with the TSC's (the host's) between two runs of this program; then,
 * under Keel, its exit statistics.
 * Prints "tsc=N realtime=S.NNNNNNNNN" and, under Keel, " exits=E hv=H".
 */
void __attribute__((noreturn, used)) tsc_main(void)
{
	u64 now = rdtsc(), exits, hv;
	int keel = keel_stats(&exits, &hv);
	struct timespec64 ts = { 0, 0 };
	char buf[128];
	char *end = buf + sizeof(buf);
	char *p, *ns_end;

	sys3(SYS_CLOCK_GETTIME, CLOCK_REALTIME, (long)&ts, 0);
	p = end;
	*--p = '\n';
	if (keel) {
		p = format_u64(p, hv);
		p = PREPEND(p, " hv=");
		p = format_u64(p, exits);
		p = PREPEND(p, " exits=");
	}
	ns_end = p;
	p = format_u64(p, (u64)ts.nsec);
	while (ns_end - p < 9)
		*--p = '0';
	*--p = '.';
	p = format_u64(p, (u64)ts.sec);
	p = PREPEND(p, " realtime=");
	p = format_u64(p, now);
	p = PREPEND(p, "tsc=");
	sys3(SYS_EXIT, write_all(p, end - p), 0, 0);
	for (;;)
		;
}

/*
 * The kernel enters with rsp pointing at argc and 16-byte aligned; a call
 * pushes the return address, as the ABI expects at a function's entry.
 */
asm(".globl _start\n"
    "_start:\n"
    "	xor %ebp, %ebp\n"
    "	call tsc_main\n"
    "	hlt\n");
