// abi_probe checks, from inside the sandbox, facts only ward's own kernel
// would make true. Built with gcc -static by the test; prints one line per
// check and exits non-zero if any failed.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

static int failed;

static void check(int ok, const char *what) {
	printf("%s %s\n", ok ? "ok" : "FAIL", what);
	if (!ok) failed = 1;
}

int main(void) {
	check(getpid() == 1, "getpid() is 1");
	check(syscall(SYS_getppid) == 0, "raw getppid is 0 (the host's parent is invisible)");

	/* A write from an unmapped pointer: EFAULT, and we keep running. */
	long r = syscall(SYS_write, 1, (void *)16, 10);
	check(r == -1 && errno == EFAULT, "write from an unmapped pointer is EFAULT");

	/* A write from a PROT_NONE page. */
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = syscall(SYS_write, 1, p, 10);
	check(r == -1 && errno == EFAULT, "write from a PROT_NONE page is EFAULT");

	/* A huge read into a small buffer is bounded by the mapping. */
	int fds[2];
	pipe(fds);
	write(fds[1], "abc", 3);
	char buf[8];
	r = syscall(SYS_read, fds[0], buf, 1L << 40);
	check(r == 3, "read with a huge count returns what is there");

	/* Unknown system call numbers. */
	r = syscall(100000);
	check(r == -1 && errno == ENOSYS, "syscall 100000 is ENOSYS");
	r = syscall(449 + 500);
	check(r == -1 && errno == ENOSYS, "syscall 949 is ENOSYS");

	/* The kernel identity is the sandbox's. */
	char host[65] = {0};
	gethostname(host, sizeof host);
	check(strcmp(host, "ward") == 0, "hostname is ward");

	/* Capabilities: root holds them all; a dropped one is gone. */
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	r = syscall(SYS_capget, &hdr, data);
	check(r == 0 && (data[0].effective & (1u << CAP_SYS_ADMIN)) && (data[1].permitted & 1u << (CAP_CHECKPOINT_RESTORE - 32)),
	      "capget: root has every capability");
	data[0].effective &= ~(1u << CAP_NET_RAW);
	data[0].permitted &= ~(1u << CAP_NET_RAW);
	r = syscall(SYS_capset, &hdr, data);
	struct __user_cap_data_struct again[2];
	syscall(SYS_capget, &hdr, again);
	check(r == 0 && !(again[0].permitted & (1u << CAP_NET_RAW)), "capset drops a capability");
	data[0].permitted |= 1u << CAP_NET_RAW;
	r = syscall(SYS_capset, &hdr, data);
	check(r == -1 && errno == EPERM, "a dropped capability cannot come back");

	printf("%s\n", failed ? "FAILED" : "PASSED");
	return failed;
}
