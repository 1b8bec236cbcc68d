// events_probe checks eventfd, timerfd, epoll, select, interval timers and
// POSIX timers. It prints one "ok NAME" or "FAIL NAME: why" line per check
// and "PASSED" when every check passed. It must pass natively and under
// ward. Built with gcc -static by tests/events_test.go.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *name, const char *why) {
	if (ok) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: %s (errno %d %s)\n", name, why, errno, strerror(errno));
		failures++;
	}
	fflush(stdout);
}

static long long now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void test_eventfd(void) {
	int fd = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t v = 0;
	int ok = fd >= 0;
	ok = ok && read(fd, &v, 8) == 8 && v == 3;
	ok = ok && read(fd, &v, 8) == -1 && errno == EAGAIN;
	v = 5;
	ok = ok && write(fd, &v, 8) == 8;
	v = 2;
	ok = ok && write(fd, &v, 8) == 8;
	ok = ok && read(fd, &v, 8) == 8 && v == 7;
	ok = ok && read(fd, &v, 4) == -1 && errno == EINVAL;
	v = UINT64_MAX;
	ok = ok && write(fd, &v, 8) == -1 && errno == EINVAL;
	ok = ok && (fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	check(ok, "eventfd-counter", "counter semantics");

	fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
	ok = fd >= 0;
	ok = ok && read(fd, &v, 8) == 8 && v == 1;
	ok = ok && read(fd, &v, 8) == 8 && v == 1;
	ok = ok && read(fd, &v, 8) == -1 && errno == EAGAIN;
	ok = ok && eventfd(0, 0x12345) == -1 && errno == EINVAL;
	close(fd);
	check(ok, "eventfd-semaphore", "semaphore semantics");
}

static void test_timerfd_epoll(void) {
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0xdeadbeefcafeULL};
	int ok = tfd >= 0 && ep >= 0;
	ok = ok && epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) == 0;
	struct itimerspec its = {.it_interval = {0, 10000000}, .it_value = {0, 10000000}};
	ok = ok && timerfd_settime(tfd, 0, &its, NULL) == 0;
	struct itimerspec cur;
	ok = ok && timerfd_gettime(tfd, &cur) == 0 && cur.it_interval.tv_nsec == 10000000 &&
	     cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0;
	if (!ok) {
		check(0, "timerfd-epoll", "setup");
		return;
	}
	uint64_t total = 0;
	long long start = now_ms();
	int waits = 0;
	while (total < 10 && waits < 100) {
		struct epoll_event out[4];
		int n = epoll_wait(ep, out, 4, 1000);
		waits++;
		if (n != 1 || out[0].data.u64 != 0xdeadbeefcafeULL || !(out[0].events & EPOLLIN)) {
			check(0, "timerfd-epoll", "epoll_wait did not report the timer");
			return;
		}
		uint64_t exp;
		if (read(tfd, &exp, 8) != 8 || exp == 0) {
			check(0, "timerfd-epoll", "read");
			return;
		}
		total += exp;
	}
	long long el = now_ms() - start;
	ok = total >= 10 && el >= 90 && el < 2000;
	uint64_t exp;
	ok = ok && read(tfd, &exp, 8) == -1 && errno == EAGAIN;
	// Disarm, then an absolute time in the past expires at once.
	memset(&its, 0, sizeof its);
	ok = ok && timerfd_settime(tfd, 0, &its, NULL) == 0;
	ok = ok && timerfd_gettime(tfd, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0;
	its.it_value.tv_sec = 1;
	ok = ok && timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0;
	ok = ok && read(tfd, &exp, 8) == 8 && exp == 1;
	close(tfd);
	close(ep);
	check(ok, "timerfd-epoll", "10 ticks at 10ms");
}

static void test_epoll_pipe(void) {
	int p[2], ep = epoll_create(1), ok = 1;
	if (pipe2(p, O_NONBLOCK) < 0 || ep < 0) {
		check(0, "epoll-errors", "setup");
		return;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = p[0]}, out[4];
	// Level triggered: reported until drained.
	ok = ok && epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0;
	ok = ok && epoll_wait(ep, out, 4, 0) == 0;
	ok = ok && write(p[1], "ab", 2) == 2;
	ok = ok && epoll_wait(ep, out, 4, 0) == 1 && out[0].data.fd == p[0];
	ok = ok && epoll_wait(ep, out, 4, 0) == 1;
	char buf[8];
	ok = ok && read(p[0], buf, 8) == 2;
	ok = ok && epoll_wait(ep, out, 4, 0) == 0;
	check(ok, "epoll-level", "level triggered");

	// Edge triggered: once per write.
	ev.events = EPOLLIN | EPOLLET | EPOLLRDHUP;
	ok = epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0;
	ok = ok && write(p[1], "a", 1) == 1;
	ok = ok && epoll_wait(ep, out, 4, 0) == 1;
	ok = ok && epoll_wait(ep, out, 4, 0) == 0;
	ok = ok && write(p[1], "b", 1) == 1;
	ok = ok && epoll_wait(ep, out, 4, 100) == 1;
	ok = ok && epoll_wait(ep, out, 4, 0) == 0;
	ok = ok && read(p[0], buf, 8) == 2;
	check(ok, "epoll-edge", "edge triggered");

	// One-shot: reported once until re-armed with MOD.
	ev.events = EPOLLIN | EPOLLONESHOT;
	ok = epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0;
	ok = ok && write(p[1], "c", 1) == 1;
	ok = ok && epoll_wait(ep, out, 4, 0) == 1;
	ok = ok && epoll_wait(ep, out, 4, 0) == 0;
	ok = ok && epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0;
	ok = ok && epoll_wait(ep, out, 4, 0) == 1;
	ok = ok && read(p[0], buf, 8) == 1;
	check(ok, "epoll-oneshot", "one-shot");

	// Errors, as Linux reports them.
	ok = epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == -1 && errno == EEXIST;
	ok = ok && epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL) == -1 && errno == ENOENT;
	ok = ok && epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev) == -1 && errno == EINVAL;
	ok = ok && epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev) == -1 && errno == EINVAL;
	ok = ok && epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev) == -1 && errno == EBADF;
	int reg = open("/proc/self/exe", O_RDONLY);
	ok = ok && reg >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev) == -1 && errno == EPERM;
	close(reg);
	ok = ok && epoll_wait(ep, out, 0, 0) == -1 && errno == EINVAL;
	ok = ok && epoll_create(0) == -1 && errno == EINVAL;
	check(ok, "epoll-errors", "errno values");

	// Nesting: an epoll watching an epoll; a loop is ELOOP.
	int outer = epoll_create1(0);
	struct epoll_event oev = {.events = EPOLLIN, .data.u32 = 77};
	ok = epoll_ctl(outer, EPOLL_CTL_ADD, ep, &oev) == 0;
	ok = ok && epoll_wait(outer, out, 4, 0) == 0;
	ev.events = EPOLLIN;
	ok = ok && epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0;
	ok = ok && write(p[1], "d", 1) == 1;
	ok = ok && epoll_wait(outer, out, 4, 100) == 1 && out[0].data.u32 == 77;
	ok = ok && epoll_ctl(ep, EPOLL_CTL_ADD, outer, &oev) == -1 && errno == ELOOP;
	check(ok, "epoll-nested", "epoll of epoll");

	// A file closed while registered is dropped.
	close(p[0]);
	ok = epoll_wait(ep, out, 4, 0) == 0;
	int q[2];
	ok = ok && pipe(q) == 0 && write(q[1], "e", 1) == 1;
	ev.data.fd = q[0];
	ok = ok && epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev) == 0;
	ok = ok && epoll_wait(ep, out, 4, 0) == 1 && out[0].data.fd == q[0];
	// A blocking wait is woken by a write from another process.
	char c;
	ok = ok && read(q[0], &c, 1) == 1;
	pid_t pid = fork();
	if (pid == 0) {
		usleep(20000);
		write(q[1], "f", 1);
		_exit(0);
	}
	ok = ok && epoll_wait(ep, out, 4, 2000) == 1;
	check(ok, "epoll-close-wake", "closed file dropped, blocking wait woken");
	close(q[0]);
	close(q[1]);
	close(p[1]);
	close(ep);
	close(outer);
}

static void test_select(void) {
	int p[2];
	int ok = pipe(p) == 0;
	fd_set r, w;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timeval tv = {0, 50000};
	long long t0 = now_ms();
	ok = ok && select(p[0] + 1, &r, NULL, NULL, &tv) == 0;
	long long el = now_ms() - t0;
	ok = ok && el >= 45 && tv.tv_sec == 0 && tv.tv_usec == 0 && !FD_ISSET(p[0], &r);
	check(ok, "select-timeout", "times out after 50ms with the timeout updated");

	ok = write(p[1], "x", 1) == 1;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &r);
	FD_SET(p[1], &w);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	ok = ok && select(p[1] + 1, &r, &w, NULL, &tv) == 2;
	ok = ok && FD_ISSET(p[0], &r) && !FD_ISSET(p[1], &r) && FD_ISSET(p[1], &w);
	ok = ok && tv.tv_sec <= 5 && (tv.tv_sec >= 4);
	/* A closed descriptor inside the fd table: EBADF. (Beyond the table's
	 * size Linux ignores the bit, so make sure the table reaches 100.) */
	dup2(0, 100);
	close(100);
	FD_ZERO(&r);
	FD_SET(100, &r);
	ok = ok && select(101, &r, NULL, NULL, &tv) == -1 && errno == EBADF;
	struct timespec ts = {1, 0};
	sigset_t mask;
	sigemptyset(&mask);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	ok = ok && pselect(p[0] + 1, &r, NULL, NULL, &ts, &mask) == 1;
	close(p[0]);
	close(p[1]);
	check(ok, "select-ready", "readiness of a pipe");
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static void test_itimer(void) {
	int p[2];
	if (pipe(p) < 0) {
		check(0, "itimer-eintr", "pipe");
		return;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {.it_value = {0, 50000}};
	alarms = 0;
	int ok = setitimer(ITIMER_REAL, &it, NULL) == 0;
	struct itimerval cur;
	ok = ok && getitimer(ITIMER_REAL, &cur) == 0 && cur.it_value.tv_usec > 0;
	char c;
	long long t0 = now_ms();
	ok = ok && read(p[0], &c, 1) == -1 && errno == EINTR && alarms == 1;
	ok = ok && now_ms() - t0 >= 45;
	check(ok, "itimer-eintr", "SIGALRM interrupts a read with EINTR");

	// With SA_RESTART the read restarts and gets the byte a child writes
	// after the alarm.
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	alarms = 0;
	pid_t pid = fork();
	if (pid == 0) {
		usleep(150000);
		write(p[1], "z", 1);
		_exit(0);
	}
	ok = setitimer(ITIMER_REAL, &it, NULL) == 0;
	ok = ok && read(p[0], &c, 1) == 1 && c == 'z' && alarms == 1;
	check(ok, "itimer-restart", "SA_RESTART restarts the read");

	// alarm() returns the seconds left of the previous alarm.
	ok = alarm(5) == 0 && alarm(0) == 5;
	ok = ok && getitimer(ITIMER_REAL, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0;
	check(ok, "alarm", "alarm's return value");
	close(p[0]);
	close(p[1]);
}

static volatile sig_atomic_t timer_hits, timer_code_ok;
static void on_timer(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	timer_hits++;
	if (si->si_code == SI_TIMER && si->si_value.sival_int == 4242) {
		timer_code_ok++;
	}
}

static void test_posix_timer(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_timer;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN + 1, &sa, NULL);
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN + 1;
	sev.sigev_value.sival_int = 4242;
	timer_t id;
	int ok = timer_create(CLOCK_MONOTONIC, &sev, &id) == 0;
	struct itimerspec its = {.it_interval = {0, 20000000}, .it_value = {0, 20000000}};
	ok = ok && timer_settime(id, 0, &its, NULL) == 0;
	long long t0 = now_ms();
	while (ok && timer_hits < 3 && now_ms() - t0 < 3000) {
		pause();
	}
	struct itimerspec cur;
	ok = ok && timer_gettime(id, &cur) == 0 && cur.it_interval.tv_nsec == 20000000;
	ok = ok && timer_getoverrun(id) >= 0;
	ok = ok && timer_delete(id) == 0;
	ok = ok && timer_hits >= 3 && timer_code_ok == timer_hits;
	ok = ok && timer_delete(id) == -1 && errno == EINVAL;
	check(ok, "posix-timer", "SIGEV_SIGNAL fires three times with SI_TIMER and the value");

	// SIGEV_NONE: no signal; timer_gettime shows it counting down.
	sev.sigev_notify = SIGEV_NONE;
	ok = timer_create(CLOCK_REALTIME, &sev, &id) == 0;
	its.it_interval.tv_nsec = 0;
	its.it_value.tv_sec = 10;
	its.it_value.tv_nsec = 0;
	ok = ok && timer_settime(id, 0, &its, NULL) == 0;
	ok = ok && timer_gettime(id, &cur) == 0 && cur.it_value.tv_sec >= 9 && cur.it_value.tv_sec <= 10;
	ok = ok && timer_delete(id) == 0;
	check(ok, "posix-timer-none", "SIGEV_NONE counts down");
}

static void test_sigtimedwait(void) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	union sigval v = {.sival_int = 99};
	int ok = sigqueue(getpid(), SIGUSR1, v) == 0;
	siginfo_t si;
	struct timespec ts = {1, 0};
	ok = ok && sigtimedwait(&set, &si, &ts) == SIGUSR1 && si.si_code == SI_QUEUE && si.si_value.sival_int == 99;
	ts.tv_sec = 0;
	ts.tv_nsec = 10000000;
	ok = ok && sigtimedwait(&set, &si, &ts) == -1 && errno == EAGAIN;
	// A blocked signal sent by another process wakes the waiter.
	pid_t parent = getpid();
	if (fork() == 0) {
		usleep(20000);
		kill(parent, SIGUSR2);
		_exit(0);
	}
	ts.tv_sec = 5;
	ok = ok && sigtimedwait(&set, &si, &ts) == SIGUSR2 && si.si_code == SI_USER;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	check(ok, "sigtimedwait", "sigqueue and sigtimedwait");
}

int main(void) {
	test_eventfd();
	test_timerfd_epoll();
	test_epoll_pipe();
	test_select();
	test_itimer();
	test_posix_timer();
	test_sigtimedwait();
	if (failures == 0) {
		printf("PASSED\n");
		return 0;
	}
	return 1;
}
