// pidfd_probe checks process file descriptors: pidfd_open, CLONE_PIDFD,
// poll and epoll readiness on exit, pidfd_send_signal, waitid(P_PIDFD),
// and their errors. It prints what it sees, to be compared with a native
// run.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags) {
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}
static const char *e(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static int ready(int fd, int ms) {
	struct pollfd p = {fd, POLLIN, 0};
	int n = poll(&p, 1, ms);
	return n == 1 && (p.revents & POLLIN);
}

int main(void) {
	int self = pidfd_open(getpid(), 0);
	printf("open self: %s, cloexec %d\n", e(self), (fcntl(self, F_GETFD) & FD_CLOEXEC) != 0);
	siginfo_t si;
	printf("waitid self: %s\n", e(waitid(P_PIDFD, self, &si, WEXITED | WNOHANG)));
	printf("signal 0 to self: %s\n", e(pidfd_send_signal(self, 0, NULL, 0)));
	printf("bad flags: %s\n", e(pidfd_open(getpid(), 0x1234)));
	printf("no such pid: %s\n", e(pidfd_open(4000000, 0)));
	printf("not a pidfd: %s\n", e(pidfd_send_signal(0, 0, NULL, 0)));

	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		char b;
		read(p[0], &b, 1);
		_exit(0);
	}
	int fd = pidfd_open(c, 0);
	int nb = pidfd_open(c, O_NONBLOCK);
	printf("child running: ready %d, nonblocking waitid %s\n", ready(fd, 0), e(waitid(P_PIDFD, nb, &si, WEXITED)));
	int ep = epoll_create1(0);
	struct epoll_event ev = {EPOLLIN, {.u32 = 42}}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	printf("kill: %s\n", e(pidfd_send_signal(fd, SIGTERM, NULL, 0)));
	printf("exited: ready %d, epoll %d data %u\n", ready(fd, 5000), epoll_wait(ep, &out, 1, 5000), out.data.u32);
	memset(&si, 0, sizeof si);
	long r = waitid(P_PIDFD, fd, &si, WEXITED);
	printf("waitid: %s, pid ok %d, code %d, status %d\n", e(r), si.si_pid == c, si.si_code, si.si_status);
	printf("after reaping: signal %s, waitid %s\n", e(pidfd_send_signal(fd, 0, NULL, 0)), e(waitid(P_PIDFD, fd, &si, WEXITED)));

	int cfd = -1;
	pid_t d = (pid_t)syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &cfd, 0, 0);
	if (d == 0)
		_exit(7);
	printf("clone pidfd: %s, fd %s\n", e(d), cfd >= 0 ? "set" : "unset");
	printf("clone child: ready %d\n", ready(cfd, 5000));
	memset(&si, 0, sizeof si);
	waitid(P_PIDFD, cfd, &si, WEXITED);
	printf("clone child: code %d, status %d\n", si.si_code, si.si_status);
	printf("CLONE_PIDFD|CLONE_PARENT_SETTID: %s\n", e(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &cfd, 0, 0)));
	return 0;
}
