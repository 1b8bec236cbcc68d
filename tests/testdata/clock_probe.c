// clock_probe checks that the clocks a program reads through the vDSO and
// through system calls agree, and that absolute deadlines computed from
// the vDSO's time are honoured by the kernel's sleeps, timerfds and
// futexes. With the argument "spin" it only reads the clock many times
// (the test counts the system calls that cost under ward --strace).
#define _GNU_SOURCE
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(struct timespec ts) { return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec; }

static int64_t libc_now(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ns(ts);
}

static int64_t sys_now(clockid_t c) {
	struct timespec ts;
	syscall(SYS_clock_gettime, c, &ts);
	return ns(ts);
}

static void agree(const char *name, clockid_t c) {
	int64_t a = libc_now(c), b = sys_now(c), d = libc_now(c);
	printf("%s: %s\n", name, a <= b && b <= d && d - a < 1000000000 ? "agree" : "DISAGREE");
}

static struct timespec at(int64_t t) {
	struct timespec ts = {t / 1000000000, t % 1000000000};
	return ts;
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "spin") == 0) {
		int64_t last = 0;
		for (int i = 0; i < 100000; i++) {
			int64_t t = libc_now(CLOCK_MONOTONIC);
			if (t < last) {
				printf("went back\n");
				return 1;
			}
			last = t;
		}
		printf("spun\n");
		return 0;
	}
	printf("vdso: %s\n", getauxval(AT_SYSINFO_EHDR) ? "yes" : "no");
	agree("realtime", CLOCK_REALTIME);
	agree("monotonic", CLOCK_MONOTONIC);
	agree("boottime", CLOCK_BOOTTIME);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	int64_t rt = sys_now(CLOCK_REALTIME);
	printf("gettimeofday: %s\n", (int64_t)tv.tv_sec * 1000000000 + tv.tv_usec * 1000 <= rt ? "agree" : "DISAGREE");

	// A deadline 100 ms ahead on the vDSO's clock.
	int64_t start = libc_now(CLOCK_MONOTONIC);
	struct timespec deadline = at(start + 100000000);
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
	int64_t slept = libc_now(CLOCK_MONOTONIC) - start;
	printf("clock_nanosleep abstime: %s\n", slept >= 100000000 && slept < 5000000000LL ? "ok" : "WRONG");

	int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	start = libc_now(CLOCK_MONOTONIC);
	struct itimerspec its = {{0, 0}, at(start + 50000000)};
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
	uint64_t n = 0;
	read(tfd, &n, sizeof n);
	slept = libc_now(CLOCK_MONOTONIC) - start;
	printf("timerfd abstime: %s\n", n == 1 && slept >= 50000000 && slept < 5000000000LL ? "ok" : "WRONG");

	uint32_t word = 0;
	start = libc_now(CLOCK_MONOTONIC);
	deadline = at(start + 50000000);
	long r = syscall(SYS_futex, &word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, &deadline, NULL, FUTEX_BITSET_MATCH_ANY);
	slept = libc_now(CLOCK_MONOTONIC) - start;
	printf("futex abstime: %s\n", r == -1 && slept >= 50000000 && slept < 5000000000LL ? "ok" : "WRONG");
	return 0;
}
