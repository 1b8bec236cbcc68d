// syscall_fuzz throws random system calls with garbage arguments at the
// kernel, in child processes bounded by alarm(2): "any" tries nearly every
// system call number (not those that would end or replace the fuzzing
// process, or change its signals, credentials or address space), "mm" the
// memory calls on a part of the address space the program does not use.
// Arguments are small numbers, -1, huge values, unmapped addresses and
// pointers to a buffer of random bytes (so that calls parse structures).
// The children may die of anything; the kernel must not: tests/fuzz_test.go
// checks that ward ends normally and logs no kernel error. It is only ever
// run under ward, never natively (it would be root on the host).
// "net" makes sockets of every family the kernel serves (AF_UNIX,
// AF_INET, AF_INET6, AF_NETLINK) and throws the socket calls at them.
// Usage: syscall_fuzz any|mm|net ROUNDS SEED
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long long rnd_state;
static unsigned long long rnd(void) {
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static char *scratch;

static long arg(void) {
	switch (rnd() % 10) {
	case 8:
	case 9:
		// A valid buffer of random bytes: struct-parsing paths.
		for (int i = 0; i < 64; i++)
			scratch[rnd() % 65536] = (char)rnd();
		return (long)(scratch + (rnd() % 4) * 4096 + (rnd() % 2 ? 0 : rnd() % 64));
	case 0: return 0;
	case 1: return -1;
	case 2: return rnd() % 4096;
	case 3: return (long)rnd();
	case 4: return 0x7fffffff;
	case 5: return (long)(rnd() % 64);
	case 6: return 0x10000 + (rnd() % 0x100000) * 4096;
	default: return (long)0x7ffff0000000ULL + (rnd() % 1000);
	}
}

static int skip(long nr) {
	switch (nr) {
	case SYS_exit: case SYS_exit_group: case SYS_kill: case SYS_tkill: case SYS_tgkill:
	case SYS_fork: case SYS_vfork: case SYS_clone: case SYS_clone3: case SYS_execve: case SYS_execveat:
	case SYS_reboot: case SYS_rt_sigreturn: case SYS_pause: case SYS_rt_sigsuspend:
	case SYS_ptrace: case SYS_setsid: case SYS_setpgid: case SYS_vhangup:
	case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo: case SYS_pidfd_send_signal:
	case SYS_prctl: case SYS_seccomp: case SYS_setrlimit: case SYS_prlimit64:
	case SYS_munmap: case SYS_mremap: case SYS_mprotect: case SYS_madvise: case SYS_brk: case SYS_mmap:
	case SYS_close: case SYS_close_range: case SYS_dup2: case SYS_dup3:
	case SYS_arch_prctl: case SYS_set_tid_address: case SYS_rt_sigaction: case SYS_rt_sigprocmask:
	case SYS_sigaltstack: case SYS_setuid: case SYS_setgid: case SYS_setreuid: case SYS_setregid:
	case SYS_setresuid: case SYS_setresgid: case SYS_setgroups: case SYS_capset: case SYS_unshare:
	case SYS_chdir: case SYS_fchdir: case SYS_chroot: case SYS_umask:
	case SYS_alarm: case SYS_setitimer: case SYS_timer_settime: case SYS_timer_delete: case SYS_timer_create:
		return 1;
	}
	return 0;
}

static void fuzz_any(void) {
	for (int i = 0; i < 3000; i++) {
		long nr = rnd() % 460;
		if (!skip(nr))
			syscall(nr, arg(), arg(), arg(), arg(), arg(), arg());
	}
}

static unsigned long addr(void) {
	return 0x200000000000UL + (rnd() % (1UL << 30)) * 4096 + (rnd() % 16 == 0 ? rnd() % 4096 : 0);
}

static unsigned long len(void) {
	switch (rnd() % 6) {
	case 0: return 0;
	case 1: return rnd();
	case 2: return (rnd() % 64) * 4096;
	case 3: return 1UL << (rnd() % 48);
	case 4: return rnd() % 100000;
	default: return 4096;
	}
}

static void fuzz_mm(void) {
	for (int i = 0; i < 3000; i++) {
		unsigned long a = addr(), l = len();
		long fl = (long)(rnd() & 0xfffff), prot = (long)(rnd() % 16);
		switch (rnd() % 9) {
		case 0:
			// No MAP_POPULATE of huge ranges: filling the memory file is
			// another test's business.
			syscall(SYS_mmap, a, l, prot, (rnd() % 2 ? MAP_PRIVATE : MAP_SHARED) | MAP_ANONYMOUS |
				(rnd() % 2 ? MAP_FIXED : 0) | (rnd() % 4 == 0 ? fl & ~(MAP_POPULATE | MAP_LOCKED) : 0), -1, 0);
			break;
		case 1: syscall(SYS_munmap, a, l); break;
		case 2: syscall(SYS_mprotect, a, l, prot | (rnd() % 8 == 0 ? fl << 8 : 0)); break;
		case 3: syscall(SYS_madvise, a, l, (long)(rnd() % 120)); break;
		case 4: syscall(SYS_mremap, a, l, len(), (long)(rnd() % 8), addr()); break;
		case 5: syscall(SYS_msync, a, l, (long)(rnd() % 8)); break;
		case 6: syscall(SYS_mlock, a, l); break;
		case 7: syscall(SYS_mincore, a, l, addr()); break;
		default: {
			volatile char *c = (char *)(0x200000000000UL + (rnd() % (1UL << 30)) * 4096);
			pid_t q = fork(); // touch in a child: a SIGSEGV kills only it
			if (q == 0) {
				if (rnd() % 2)
					c[0] = 1;
				else
					(void)c[0];
				_exit(0);
			}
			if (q > 0)
				waitpid(q, 0, 0);
		}
		}
	}
}

static const int families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET};

// sockarg returns a socket descriptor made here, or now and then garbage.
static long sockarg(int *fds, int n) {
	return rnd() % 8 == 0 ? arg() : fds[rnd() % n];
}

static void fuzz_net(void) {
	int fds[16];
	for (int i = 0; i < 16; i++) {
		int fam = families[rnd() % 4], typ = types[rnd() % 4] | (rnd() % 2 ? SOCK_NONBLOCK : 0);
		fds[i] = socket(fam, typ, rnd() % 4 == 0 ? (int)(rnd() % 20) : 0);
		if (fds[i] < 0)
			fds[i] = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	}
	static const long calls[] = {SYS_bind, SYS_connect, SYS_listen, SYS_accept4, SYS_sendto, SYS_recvfrom,
		SYS_sendmsg, SYS_recvmsg, SYS_sendmmsg, SYS_recvmmsg, SYS_shutdown, SYS_getsockname,
		SYS_getpeername, SYS_setsockopt, SYS_getsockopt, SYS_ioctl, SYS_read, SYS_write, SYS_poll};
	for (int i = 0; i < 3000; i++) {
		long nr = calls[rnd() % (sizeof calls / sizeof calls[0])];
		long flags = rnd() % 2 ? MSG_DONTWAIT : arg();
		switch (nr) {
		case SYS_poll: {
			struct pollfd p = {(int)sockarg(fds, 16), POLLIN | POLLOUT, 0};
			syscall(nr, &p, 1, 0);
			break;
		}
		case SYS_recvfrom: case SYS_sendto:
			syscall(nr, sockarg(fds, 16), arg(), rnd() % 2 ? rnd() % 70000 : arg(), flags | MSG_DONTWAIT, arg(), arg());
			break;
		case SYS_recvmsg: case SYS_sendmsg: case SYS_recvmmsg: case SYS_sendmmsg:
			syscall(nr, sockarg(fds, 16), arg(), rnd() % 4, flags | MSG_DONTWAIT, 0, 0);
			break;
		case SYS_accept4:
			syscall(nr, sockarg(fds, 16), arg(), arg(), SOCK_NONBLOCK);
			break;
		case SYS_read: case SYS_write:
			if (fcntl((int)fds[i % 16], F_SETFL, O_NONBLOCK) == 0)
				syscall(nr, fds[i % 16], arg(), rnd() % 70000);
			break;
		case SYS_connect: case SYS_bind:
			// Loopback addresses now and then, so that some calls succeed.
			if (rnd() % 3 == 0) {
				struct sockaddr_in a = {AF_INET, htons((unsigned short)(rnd() % 4 ? 40000 + rnd() % 8 : 0)), {htonl(0x7f000001)}};
				syscall(nr, sockarg(fds, 16), &a, sizeof a);
				break;
			}
			syscall(nr, sockarg(fds, 16), arg(), rnd() % 200);
			break;
		default:
			syscall(nr, sockarg(fds, 16), arg(), arg(), arg(), arg(), arg());
		}
	}
}

int main(int argc, char **argv) {
	if (argc != 4)
		return 2;
	int mm = strcmp(argv[1], "mm") == 0, net = strcmp(argv[1], "net") == 0, rounds = atoi(argv[2]), seed = atoi(argv[3]);
	for (int r = 0; r < rounds; r++) {
		pid_t p = fork();
		if (p == 0) {
			rnd_state = 88172645463325252ULL + (unsigned long long)(r + seed * 1000) * 7919;
			int null = open("/dev/null", O_RDWR);
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			alarm(2);
			scratch = mmap(0, 65536 + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (mm)
				fuzz_mm();
			else if (net)
				fuzz_net();
			else
				fuzz_any();
			_exit(0);
		}
		int st;
		waitpid(p, &st, 0);
	}
	printf("fuzz done\n");
	return 0;
}
