// threads_probe checks threads, signals, futexes and job control: it must
// pass natively and under ward. Built with gcc -static -pthread by
// tests/threads_test.go. Each check prints "ok NAME"; the last line is
// PASSED, or the program prints "FAIL NAME: why" and exits 1.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FAIL(name, ...)                        \
	do {                                       \
		printf("FAIL %s: ", name);             \
		printf(__VA_ARGS__);                   \
		printf("\n");                          \
		fflush(stdout);                        \
		exit(1);                               \
	} while (0)
#define OK(name)                 \
	do {                         \
		printf("ok %s\n", name); \
		fflush(stdout);          \
	} while (0)

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static void msleep(int ms) {
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

static long futex(atomic_int *uaddr, int op, int val, long val2, atomic_int *uaddr2, int val3) {
	return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

// --- 16 threads and a barrier -------------------------------------------

#define NTHREADS 16
#define ROUNDS 50
static pthread_barrier_t barrier;
static atomic_int counter;
static int round_ok = 1;

static void *barrier_thread(void *arg) {
	(void)arg;
	for (int r = 0; r < ROUNDS; r++) {
		atomic_fetch_add(&counter, 1);
		pthread_barrier_wait(&barrier);
		// Between the barriers every thread has counted this round.
		if (atomic_load(&counter) < (r + 1) * NTHREADS)
			round_ok = 0;
		pthread_barrier_wait(&barrier);
	}
	return (void *)(intptr_t)gettid_();
}

static void check_barrier(void) {
	pthread_t th[NTHREADS];
	pthread_barrier_init(&barrier, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, barrier_thread, NULL) != 0)
			FAIL("threads16-barrier", "pthread_create %d", i);
	pid_t tids[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		tids[i] = (pid_t)(intptr_t)ret;
	}
	for (int i = 0; i < NTHREADS; i++)
		for (int j = i + 1; j < NTHREADS; j++)
			if (tids[i] == tids[j] || tids[i] == getpid())
				FAIL("threads16-barrier", "thread IDs not distinct");
	if (counter != NTHREADS * ROUNDS || !round_ok)
		FAIL("threads16-barrier", "counter %d, rounds ok %d", counter, round_ok);
	OK("threads16-barrier");
}

// --- thread exit vs exit_group -----------------------------------------

static void *late_exit_group(void *arg) {
	(void)arg;
	msleep(100);
	exit(5);
}

static void *block_forever(void *arg) {
	(void)arg;
	for (;;)
		pause();
}

static void check_exit(void) {
	pid_t pid = fork();
	if (pid == 0) {
		// The main thread leaves; the process lives on in the other
		// thread, which ends it with exit_group(5).
		pthread_t th;
		pthread_create(&th, NULL, late_exit_group, NULL);
		pthread_exit(NULL);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 5)
		FAIL("thread-exit", "status %#x, want exit 5", st);
	pid = fork();
	if (pid == 0) {
		pthread_t th[3];
		for (int i = 0; i < 3; i++)
			pthread_create(&th[i], NULL, block_forever, NULL);
		msleep(20);
		exit(7); // exit_group ends the blocked threads too
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		FAIL("exit-group", "status %#x, want exit 7", st);
	OK("thread-exit-vs-exit-group");
}

// --- nested handlers on the alternate stack -------------------------------

static char *altstack;
#define ALTSIZE (64 * 1024)
static volatile int depth, max_depth, on_alt_ok = 1;

static int on_altstack(void *p) {
	return (char *)p >= altstack && (char *)p < altstack + ALTSIZE;
}

static void alt_handler(int sig) {
	int local;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	stack_t cur;
	sigaltstack(NULL, &cur);
	if (!on_altstack(&local) || !(cur.ss_flags & SS_ONSTACK))
		on_alt_ok = 0;
	if (sig == SIGUSR1)
		raise(SIGUSR2); // nested: runs inside this handler
	depth--;
}

static void check_altstack(void) {
	altstack = malloc(ALTSIZE);
	stack_t ss = {.ss_sp = altstack, .ss_size = ALTSIZE, .ss_flags = 0};
	if (sigaltstack(&ss, NULL) < 0)
		FAIL("sigaltstack-nested", "sigaltstack: %s", strerror(errno));
	struct sigaction sa = {0};
	sa.sa_handler = alt_handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR1);
	if (max_depth != 2 || !on_alt_ok || depth != 0)
		FAIL("sigaltstack-nested", "max depth %d, on alt stack %d", max_depth, on_alt_ok);
	stack_t cur;
	sigaltstack(NULL, &cur);
	if (cur.ss_flags & SS_ONSTACK)
		FAIL("sigaltstack-nested", "still on the alternate stack after return");
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	OK("sigaltstack-nested");
}

// --- SIGSEGV handler that siglongjmps ------------------------------------

static sigjmp_buf segv_env;
static volatile uintptr_t segv_addr;

static void segv_handler(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	segv_addr = (uintptr_t)si->si_addr;
	siglongjmp(segv_env, 1);
}

static void check_segv_longjmp(void) {
	struct sigaction sa = {0};
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	for (int i = 0; i < 3; i++) {
		if (sigsetjmp(segv_env, 1) == 0) {
			*(volatile int *)(uintptr_t)(0x1000 + i * 8) = 1;
			FAIL("segv-siglongjmp", "the write did not fault");
		}
		if (segv_addr != (uintptr_t)(0x1000 + i * 8))
			FAIL("segv-siglongjmp", "si_addr %#lx", (unsigned long)segv_addr);
	}
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	if (sigismember(&cur, SIGSEGV))
		FAIL("segv-siglongjmp", "SIGSEGV still blocked after siglongjmp");
	signal(SIGSEGV, SIG_DFL);
	OK("segv-siglongjmp");
}

// --- SA_RESTART read on a pipe ------------------------------------------

static volatile int alarms;
static void alarm_handler(int sig) {
	(void)sig;
	alarms++;
}

static int pipefd[2];
static void *late_writer(void *arg) {
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	msleep((int)(intptr_t)arg);
	write(pipefd[1], "x", 1);
	return NULL;
}

static void check_restart(void) {
	for (int restart = 1; restart >= 0; restart--) {
		const char *name = restart ? "sa-restart-read" : "eintr-read";
		struct sigaction sa = {0};
		sa.sa_handler = alarm_handler;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGALRM, &sa, NULL);
		pipe(pipefd);
		alarms = 0;
		pthread_t th;
		pthread_create(&th, NULL, late_writer, (void *)(intptr_t)200);
		struct itimerval it = {{0, 0}, {0, 50000}};
		setitimer(ITIMER_REAL, &it, NULL);
		char c;
		ssize_t n = read(pipefd[0], &c, 1);
		int e = errno;
		pthread_join(th, NULL);
		if (restart && (n != 1 || alarms != 1))
			FAIL(name, "read %zd (%s), %d alarms", n, strerror(e), alarms);
		if (!restart && (n != -1 || e != EINTR || alarms != 1))
			FAIL(name, "read %zd (%s), %d alarms; want EINTR", n, strerror(e), alarms);
		close(pipefd[0]);
		close(pipefd[1]);
		OK(name);
	}
	signal(SIGALRM, SIG_DFL);
}

// --- thread-directed and process-directed signals ------------------------

#define NSIG_THREADS 4
static atomic_int sig_stop;
static pid_t sig_tids[NSIG_THREADS];
static atomic_int sig_ready;
static volatile pid_t handled_on;
static volatile int handled_count;

static void tid_handler(int sig) {
	(void)sig;
	handled_on = gettid_();
	handled_count++;
}

static void *sig_thread(void *arg) {
	int i = (int)(intptr_t)arg;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	// Only the last thread takes the process-directed SIGUSR2.
	pthread_sigmask(i == NSIG_THREADS - 1 ? SIG_UNBLOCK : SIG_BLOCK, &s, NULL);
	sig_tids[i] = gettid_();
	atomic_fetch_add(&sig_ready, 1);
	while (!atomic_load(&sig_stop))
		msleep(1);
	return NULL;
}

static void wait_handled(int want) {
	for (int i = 0; i < 2000 && handled_count < want; i++)
		msleep(1);
}

static void check_tgkill(void) {
	struct sigaction sa = {0};
	sa.sa_handler = tid_handler;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s, &old);
	pthread_t th[NSIG_THREADS];
	for (int i = 0; i < NSIG_THREADS; i++)
		pthread_create(&th[i], NULL, sig_thread, (void *)(intptr_t)i);
	while (atomic_load(&sig_ready) < NSIG_THREADS)
		msleep(1);
	for (int round = 0; round < 3; round++) {
		int target = (round + 1) % NSIG_THREADS;
		int before = handled_count;
		if (syscall(SYS_tgkill, getpid(), sig_tids[target], SIGUSR1) < 0)
			FAIL("tgkill", "tgkill: %s", strerror(errno));
		wait_handled(before + 1);
		if (handled_on != sig_tids[target])
			FAIL("tgkill", "handler ran on %d, want thread %d", handled_on, sig_tids[target]);
	}
	// A thread-directed signal blocked by its target waits for it, even
	// though other threads do not block it.
	int before = handled_count;
	syscall(SYS_tgkill, getpid(), sig_tids[0], SIGUSR2);
	msleep(50);
	if (handled_count != before)
		FAIL("tgkill", "a signal blocked by its target thread was delivered elsewhere");
	// kill() picks the one thread that does not block the signal.
	int before2 = handled_count;
	kill(getpid(), SIGUSR2);
	wait_handled(before2 + 1);
	if (handled_on != sig_tids[NSIG_THREADS - 1])
		FAIL("process-signal", "handler ran on %d, want the only unblocking thread %d", handled_on, sig_tids[NSIG_THREADS - 1]);
	atomic_store(&sig_stop, 1);
	for (int i = 0; i < NSIG_THREADS; i++)
		pthread_join(th[i], NULL);
	// Thread 0 is gone with its pending SIGUSR2; nothing else ran it.
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (handled_count != before2 + 1)
		FAIL("tgkill", "the thread-directed signal leaked to the process: %d handled", handled_count);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	OK("tgkill-thread-directed");
	OK("process-signal-unblocked-thread");
}

// --- robust mutex owner death -----------------------------------------

static pthread_mutex_t robust;
static sem_t locked_sem;

static void *die_holding(void *arg) {
	pthread_mutex_lock(&robust);
	sem_post(&locked_sem);
	msleep((int)(intptr_t)arg);
	return NULL; // the thread ends holding the mutex
}

static void check_robust(void) {
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &a);
	sem_init(&locked_sem, 0, 0);
	for (int waiting = 0; waiting <= 1; waiting++) {
		pthread_t th;
		pthread_create(&th, NULL, die_holding, (void *)(intptr_t)(waiting ? 100 : 0));
		sem_wait(&locked_sem);
		if (!waiting)
			pthread_join(th, NULL);
		// With waiting set, this blocks until the owner dies.
		int r = pthread_mutex_lock(&robust);
		if (r != EOWNERDEAD)
			FAIL("robust-mutex", "lock returned %d (%s), want EOWNERDEAD (waiting %d)", r, strerror(r), waiting);
		pthread_mutex_consistent(&robust);
		pthread_mutex_unlock(&robust);
		if (waiting)
			pthread_join(th, NULL);
		if (pthread_mutex_lock(&robust) != 0)
			FAIL("robust-mutex", "lock after consistent failed");
		pthread_mutex_unlock(&robust);
	}
	OK("robust-mutex-owner-died");
}

// --- condition broadcast and raw requeue --------------------------------

#define NWAITERS 12
static pthread_mutex_t cmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int go, waiting_n, woken_n;

static void *cond_waiter(void *arg) {
	(void)arg;
	pthread_mutex_lock(&cmu);
	waiting_n++;
	while (!go)
		pthread_cond_wait(&cond, &cmu);
	woken_n++;
	pthread_mutex_unlock(&cmu);
	return NULL;
}

static atomic_int fa, fb, fwaiting, fwoken;

static void *futex_waiter(void *arg) {
	(void)arg;
	atomic_fetch_add(&fwaiting, 1);
	while (atomic_load(&fa) == 0)
		futex(&fa, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0);
	atomic_fetch_add(&fwoken, 1);
	return NULL;
}

static void check_requeue(void) {
	pthread_t th[NWAITERS];
	for (int i = 0; i < NWAITERS; i++)
		pthread_create(&th[i], NULL, cond_waiter, NULL);
	for (;;) {
		pthread_mutex_lock(&cmu);
		int n = waiting_n;
		pthread_mutex_unlock(&cmu);
		if (n == NWAITERS)
			break;
		msleep(1);
	}
	pthread_mutex_lock(&cmu);
	go = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&cmu);
	for (int i = 0; i < NWAITERS; i++)
		pthread_join(th[i], NULL);
	if (woken_n != NWAITERS)
		FAIL("cond-broadcast", "%d of %d woke", woken_n, NWAITERS);
	OK("cond-broadcast");

	// FUTEX_CMP_REQUEUE: wake one waiter of fa, move the rest to fb.
	for (int i = 0; i < NWAITERS; i++)
		pthread_create(&th[i], NULL, futex_waiter, NULL);
	while (atomic_load(&fwaiting) < NWAITERS)
		msleep(1);
	msleep(300); // let every waiter reach FUTEX_WAIT, even on a loaded machine
	if (futex(&fa, FUTEX_CMP_REQUEUE_PRIVATE, 0, INT_MAX, &fb, 1) != -1 || errno != EAGAIN)
		FAIL("futex-requeue", "CMP_REQUEUE with a stale value did not fail with EAGAIN");
	long r = futex(&fa, FUTEX_CMP_REQUEUE_PRIVATE, 1, INT_MAX, &fb, 0);
	// The woken waiter sees fa == 0 and waits on fa again.
	if (r != NWAITERS)
		FAIL("futex-requeue", "CMP_REQUEUE returned %ld, want %d", r, NWAITERS);
	msleep(50);
	atomic_store(&fa, 1);
	long w1 = futex(&fa, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0);
	long w2 = futex(&fb, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0);
	for (int i = 0; i < NWAITERS; i++)
		pthread_join(th[i], NULL);
	if (w1 != 1 || w2 != NWAITERS - 1 || fwoken != NWAITERS)
		FAIL("futex-requeue", "woke %ld on fa and %ld on fb (want 1 and %d), %d done", w1, w2, NWAITERS - 1, fwoken);
	OK("futex-cmp-requeue");

	// FUTEX_WAKE_OP: fb = 1 (SET), wake fa's waiters, and fb's if the old
	// value was 0.
	atomic_store(&fb, 0);
	int op = FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0);
	r = futex(&fa, FUTEX_WAKE_OP_PRIVATE, 1, 1, &fb, op);
	if (r != 0 || atomic_load(&fb) != 1)
		FAIL("futex-wake-op", "returned %ld, fb %d", r, atomic_load(&fb));
	op = FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_GT, 0);
	futex(&fa, FUTEX_WAKE_OP_PRIVATE, 1, 1, &fb, op);
	if (atomic_load(&fb) != 6)
		FAIL("futex-wake-op", "ADD: fb %d, want 6", atomic_load(&fb));
	OK("futex-wake-op");
}

// --- process-shared semaphore (shared futex across processes) -----------

static void check_shared_futex(void) {
	sem_t *sem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sem == MAP_FAILED)
		FAIL("shared-futex", "mmap: %s", strerror(errno));
	sem_init(sem, 1, 0);
	pid_t pid = fork();
	if (pid == 0) {
		msleep(100);
		sem_post(sem);
		_exit(0);
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	if (sem_timedwait(sem, &ts) != 0)
		FAIL("shared-futex", "sem_timedwait: %s", strerror(errno));
	struct timespec t1;
	clock_gettime(CLOCK_REALTIME, &t1);
	if (t1.tv_sec - ts.tv_sec + 10 > 5)
		FAIL("shared-futex", "the waiter was not woken by the other process's sem_post");
	waitpid(pid, NULL, 0);
	OK("shared-futex-across-fork");
}

// --- execve from a multithreaded process ----------------------------------

static const char *self_path;

static void *spin(void *arg) {
	(void)arg;
	volatile unsigned long n = 0;
	for (;;)
		n++;
}

static void *exec_from_thread(void *arg) {
	(void)arg;
	msleep(50);
	char *argv[] = {(char *)self_path, "exec-child", NULL};
	execv(self_path, argv);
	_exit(99);
}

static void check_exec(void) {
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t th;
		for (int i = 0; i < 3; i++)
			pthread_create(&th, NULL, spin, NULL);
		pthread_create(&th, NULL, block_forever, NULL);
		pthread_create(&th, NULL, exec_from_thread, NULL);
		for (;;)
			pause();
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 42)
		FAIL("exec-multithreaded", "status %#x, want exit 42", st);
	OK("exec-multithreaded");
}

static int exec_child(void) {
	// After execve: one thread, and its TID is the PID.
	if (getpid() != gettid_())
		return 10;
	FILE *f = fopen("/proc/self/status", "r");
	if (f) {
		char line[256];
		while (fgets(line, sizeof line, f))
			if (strncmp(line, "Threads:", 8) == 0 && atoi(line + 8) != 1)
				return 11;
		fclose(f);
	}
	return 42;
}

// --- job control ------------------------------------------------------

static volatile int chld_stopped, chld_continued;
static void chld_handler(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	if (si->si_code == CLD_STOPPED)
		chld_stopped++;
	if (si->si_code == CLD_CONTINUED)
		chld_continued++;
}

static void *count_forever(void *arg) {
	volatile long *c = arg;
	for (;;)
		(*c)++;
}

static void check_job_control(void) {
	volatile long *counts = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa = {0};
	sa.sa_sigaction = chld_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	// The child gets a process group of its own: the kernel discards
	// SIGTSTP sent to an orphaned process group, and the probe's own group
	// is orphaned when whoever started it has gone (a background job).
	// It dies with the probe, whatever check fails.
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pthread_t th;
		pthread_create(&th, NULL, count_forever, (void *)&counts[1]);
		count_forever((void *)&counts[0]);
	}
	setpgid(pid, pid);
	msleep(50);
	int st;
	kill(pid, SIGSTOP);
	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
		FAIL("job-control", "after SIGSTOP: status %#x, want stopped by SIGSTOP", st);
	long a0 = counts[0], a1 = counts[1];
	msleep(100);
	if (counts[0] != a0 || counts[1] != a1)
		FAIL("job-control", "a stopped process's threads still run");
	if (waitpid(pid, &st, WUNTRACED | WNOHANG) != 0)
		FAIL("job-control", "a stop was reported twice");
	kill(pid, SIGCONT);
	if (waitpid(pid, &st, WCONTINUED) != pid || !WIFCONTINUED(st))
		FAIL("job-control", "after SIGCONT: status %#x, want continued", st);
	// Both threads run again; on a loaded machine that may take a while.
	for (int i = 0; i < 500 && (counts[0] == a0 || counts[1] == a1); i++)
		msleep(10);
	if (counts[0] == a0 || counts[1] == a1)
		FAIL("job-control", "a continued process's threads do not run");
	for (int i = 0; i < 2000 && (chld_stopped < 1 || chld_continued < 1); i++)
		msleep(1);
	if (chld_stopped != 1 || chld_continued != 1)
		FAIL("job-control", "SIGCHLD: %d CLD_STOPPED, %d CLD_CONTINUED; want 1 and 1", chld_stopped, chld_continued);
	OK("job-control-wait4");

	// waitid with WSTOPPED and WCONTINUED, a SIGTSTP stop.
	kill(pid, SIGTSTP);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, pid, &si, WSTOPPED) != 0 || si.si_code != CLD_STOPPED || si.si_status != SIGTSTP || si.si_pid != pid)
		FAIL("job-control-waitid", "stopped: code %d status %d", si.si_code, si.si_status);
	kill(pid, SIGCONT);
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, pid, &si, WCONTINUED) != 0 || si.si_code != CLD_CONTINUED || si.si_status != SIGCONT)
		FAIL("job-control-waitid", "continued: code %d status %d", si.si_code, si.si_status);
	// SA_NOCLDSTOP: no SIGCHLD for stops any more.
	sa.sa_flags |= SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	int before = chld_stopped;
	kill(pid, SIGSTOP);
	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st))
		FAIL("job-control-waitid", "second stop: status %#x", st);
	msleep(50);
	if (chld_stopped != before)
		FAIL("job-control-waitid", "SIGCHLD for a stop despite SA_NOCLDSTOP");
	// A stopped process still dies of SIGKILL.
	kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		FAIL("job-control-waitid", "SIGKILL of a stopped process: status %#x", st);
	signal(SIGCHLD, SIG_DFL);
	OK("job-control-waitid");
}

// --- scheduling and membarrier ------------------------------------------

static void check_sched(void) {
	struct sched_param p = {0};
	if (sched_getscheduler(0) != SCHED_OTHER)
		FAIL("sched", "sched_getscheduler: %d", sched_getscheduler(0));
	if (sched_getparam(0, &p) != 0 || p.sched_priority != 0)
		FAIL("sched", "sched_getparam");
	if (sched_setscheduler(0, SCHED_OTHER, &p) != 0)
		FAIL("sched", "sched_setscheduler(SCHED_OTHER): %s", strerror(errno));
	if (sched_get_priority_max(SCHED_FIFO) != 99 || sched_get_priority_min(SCHED_OTHER) != 0)
		FAIL("sched", "priority ranges");
	if (sched_yield() != 0)
		FAIL("sched", "sched_yield");
	long q = syscall(SYS_membarrier, 0, 0, 0); // MEMBARRIER_CMD_QUERY
	if (q < 0 || !(q & 8) || !(q & 16))
		FAIL("membarrier", "query %ld", q);
	if (syscall(SYS_membarrier, 16, 0, 0) != 0 || syscall(SYS_membarrier, 8, 0, 0) != 0)
		FAIL("membarrier", "private expedited: %s", strerror(errno));
	OK("sched-and-membarrier");
}

// --- real-time signals queue ---------------------------------------------

static int rt_values[8], rt_count, usr1_count;

static void rt_handler(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	if (sig == SIGUSR1)
		usr1_count++;
	else if (rt_count < 8)
		rt_values[rt_count++] = si->si_value.sival_int;
}

// Blocked, three sigqueue'd instances of SIGRTMIN are all delivered, in
// order, with their values; two SIGUSR1 are delivered once.
static void check_rt_queue(void) {
	struct sigaction sa = {0};
	sa.sa_sigaction = rt_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (int i = 1; i <= 3; i++) {
		union sigval v = {.sival_int = i * 10};
		if (sigqueue(getpid(), SIGRTMIN, v) != 0)
			FAIL("rt-signal-queue", "sigqueue: %s", strerror(errno));
	}
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rt_count != 3 || rt_values[0] != 10 || rt_values[1] != 20 || rt_values[2] != 30)
		FAIL("rt-signal-queue", "SIGRTMIN delivered %d times (%d %d %d), want 3 (10 20 30)",
		     rt_count, rt_values[0], rt_values[1], rt_values[2]);
	if (usr1_count != 1)
		FAIL("rt-signal-queue", "SIGUSR1 delivered %d times, want 1", usr1_count);
	signal(SIGRTMIN, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	OK("rt-signal-queue");
}

// --- CPU-time interval timers ----------------------------------------------

static volatile sig_atomic_t vtalrm_count, prof_count;

static void cpu_timer_handler(int sig) {
	if (sig == SIGVTALRM)
		vtalrm_count++;
	else
		prof_count++;
}

static double wall_now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

// ITIMER_VIRTUAL counts CPU time, not sleep; it fires in a busy loop.
// ITIMER_PROF with an interval fires again and again.
static void check_cpu_itimers(void) {
	signal(SIGVTALRM, cpu_timer_handler);
	signal(SIGPROF, cpu_timer_handler);
	struct itimerval it = {.it_value = {.tv_usec = 50000}};
	if (setitimer(ITIMER_VIRTUAL, &it, NULL) != 0)
		FAIL("cpu-itimers", "setitimer(ITIMER_VIRTUAL): %s", strerror(errno));
	msleep(200);
	if (vtalrm_count != 0)
		FAIL("cpu-itimers", "ITIMER_VIRTUAL fired while the process slept");
	struct itimerval cur;
	// (Linux rounds the value up to its clock tick.)
	if (getitimer(ITIMER_VIRTUAL, &cur) != 0 || cur.it_value.tv_sec != 0 ||
	    cur.it_value.tv_usec <= 0 || cur.it_value.tv_usec > 60000)
		FAIL("cpu-itimers", "getitimer(ITIMER_VIRTUAL): %ld.%06ld left", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);
	volatile unsigned long spin = 0;
	for (double end = wall_now() + 5; vtalrm_count == 0 && wall_now() < end;)
		spin++;
	if (vtalrm_count != 1)
		FAIL("cpu-itimers", "ITIMER_VIRTUAL fired %d times in a busy loop, want 1", (int)vtalrm_count);
	struct itimerval prof = {.it_interval = {.tv_usec = 20000}, .it_value = {.tv_usec = 20000}};
	setitimer(ITIMER_PROF, &prof, NULL);
	for (double end = wall_now() + 5; prof_count < 3 && wall_now() < end;)
		spin++;
	struct itimerval off = {0};
	setitimer(ITIMER_PROF, &off, NULL);
	if (prof_count < 3)
		FAIL("cpu-itimers", "ITIMER_PROF fired %d times in 5 s of busy loop, want 3", (int)prof_count);
	signal(SIGVTALRM, SIG_DFL);
	signal(SIGPROF, SIG_DFL);
	OK("cpu-itimers");
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
		return exec_child();
	self_path = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	check_barrier();
	check_exit();
	check_altstack();
	check_segv_longjmp();
	check_restart();
	check_tgkill();
	check_robust();
	check_requeue();
	check_shared_futex();
	check_exec();
	check_job_control();
	check_sched();
	check_rt_queue();
	check_cpu_itimers();
	printf("PASSED\n");
	return 0;
}
