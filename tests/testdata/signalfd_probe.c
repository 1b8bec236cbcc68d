/* signalfd_probe: a process reads its blocked signals from a signalfd
 * instead of having them delivered. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	int failed = 0;
#define CHECK(ok, what) do { int ok_ = (ok); printf("%s %s\n", ok_ ? "ok" : "FAIL", what); if (!ok_) failed = 1; } while (0)
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGCHLD);
	sigprocmask(SIG_BLOCK, &m, 0);
	int fd = signalfd(-1, &m, SFD_CLOEXEC | SFD_NONBLOCK);
	struct pollfd p = {fd, POLLIN, 0};
	struct signalfd_siginfo si;
	CHECK(poll(&p, 1, 0) == 0, "nothing pending: not readable");
	CHECK(read(fd, &si, sizeof si) == -1, "nonblocking read of nothing fails");
	kill(getpid(), SIGUSR1);
	CHECK(poll(&p, 1, 0) == 1, "pending SIGUSR1: readable");
	ssize_t n = read(fd, &si, sizeof si);
	CHECK(n == sizeof si && si.ssi_signo == SIGUSR1 && si.ssi_pid == (unsigned)getpid(), "read SIGUSR1 with the sender's pid");
	pid_t c = fork();
	if (c == 0) _exit(5);
	p.revents = 0;
	CHECK(poll(&p, 1, 5000) == 1, "a child's exit makes SIGCHLD readable");
	n = read(fd, &si, sizeof si);
	CHECK(n == sizeof si && si.ssi_signo == SIGCHLD && si.ssi_status == 5 && si.ssi_pid == (unsigned)c, "read SIGCHLD with status and pid");
	int st;
	CHECK(waitpid(c, &st, 0) == c && WEXITSTATUS(st) == 5, "child reaped");
	printf("%s\n", failed ? "FAILED" : "PASSED");
	return failed;
}
