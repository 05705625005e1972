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
void __attribute__((noreturn, used)) tsc_main(void)
{
	u64 now = rdtsc();
	struct timespec64 ts = { 0, 0 };
	char buf[80];
	char *end = buf + sizeof(buf);
	char *p, *ns_end;
	int i;

	sys3(SYS_CLOCK_GETTIME, CLOCK_REALTIME, (long)&ts, 0);
	*--end = '\n';
	ns_end = end;
	p = format_u64(end, (u64)ts.nsec);
	while (ns_end - p < 9)
		*--p = '0';
	*--p = '.';
	p = format_u64(p, (u64)ts.sec);
	for (i = (int)sizeof(" realtime=") - 2; i >= 0; i--)
		*--p = " realtime="[i];
	p = format_u64(p, now);
	for (i = (int)sizeof("tsc=") - 2; i >= 0; i--)
		*--p = "tsc="[i];
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
