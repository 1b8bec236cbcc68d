// files_probe checks the rest of the file surface: sendfile, splice, tee,
// copy_file_range, fallocate, memfd_create, openat2, O_TMPFILE, FIFOs,
// flock, fcntl record locks (POSIX and OFD), sync, syncfs, getrusage and
// the old getdents. It prints one "ok NAME" or "FAIL NAME: why" line per
// check and "PASSED" when every check passed. It must pass natively and
// under ward. Built with gcc -static by tests/files_test.go.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;
static char dir[256];

static void check(int ok, const char *name, const char *why) {
	if (ok) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: %s (errno %d %s)\n", name, why, errno, strerror(errno));
		failures++;
	}
	fflush(stdout);
}

static char *path(const char *name) {
	static char buf[8][512];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
	return buf[i];
}

static int make_file(const char *name, const char *data) {
	int fd = open(path(name), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0 && data)
		write(fd, data, strlen(data));
	return fd;
}

static long long now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void test_sendfile(void) {
	int in = make_file("sf_in", "0123456789abcdef");
	int out = make_file("sf_out", NULL);
	off_t off = 4;
	ssize_t n = sendfile(out, in, &off, 6);
	char buf[32] = {0};
	pread(out, buf, sizeof buf, 0);
	check(n == 6 && off == 10 && strcmp(buf, "456789") == 0 && lseek(in, 0, SEEK_CUR) == 16,
	      "sendfile offset", "wrong data or offsets");
	lseek(in, 2, SEEK_SET);
	n = sendfile(out, in, NULL, 100);
	check(n == 14 && lseek(in, 0, SEEK_CUR) == 16, "sendfile file offset", "wrong count or offset");
	int p[2];
	pipe(p);
	off = 0;
	n = sendfile(p[1], in, &off, 5);
	memset(buf, 0, sizeof buf);
	read(p[0], buf, sizeof buf);
	check(n == 5 && strcmp(buf, "01234") == 0, "sendfile to pipe", "wrong data");
	errno = 0;
	check(sendfile(out, p[0], NULL, 5) == -1 && errno == EINVAL, "sendfile from pipe EINVAL", "not EINVAL");
	errno = 0;
	check(sendfile(p[0], in, NULL, 5) == -1 && errno == EBADF, "sendfile EBADF", "not EBADF");
	close(p[0]), close(p[1]), close(in), close(out);
}

static void test_splice_tee(void) {
	int in = make_file("sp_in", "hello splice world");
	int out = make_file("sp_out", NULL);
	int p[2], q[2];
	pipe(p);
	pipe(q);
	loff_t off = 6;
	ssize_t n = splice(in, &off, p[1], NULL, 6, 0);
	check(n == 6 && off == 12, "splice file to pipe", "wrong count or offset");
	n = tee(p[0], q[1], 100, 0);
	check(n == 6, "tee", "wrong count");
	n = splice(p[0], NULL, out, NULL, 100, 0);
	char buf[32] = {0};
	pread(out, buf, sizeof buf, 0);
	check(n == 6 && strcmp(buf, "splice") == 0, "splice pipe to file", buf);
	int r[2];
	pipe(r);
	n = splice(q[0], NULL, r[1], NULL, 100, 0);
	memset(buf, 0, sizeof buf);
	read(r[0], buf, sizeof buf);
	check(n == 6 && strcmp(buf, "splice") == 0, "splice pipe to pipe", buf);
	errno = 0;
	check(splice(in, NULL, out, NULL, 5, 0) == -1 && errno == EINVAL, "splice no pipe EINVAL", "not EINVAL");
	errno = 0;
	off = 0;
	check(splice(p[0], &off, out, NULL, 5, 0) == -1 && errno == ESPIPE, "splice pipe offset ESPIPE", "not ESPIPE");
	errno = 0;
	check(splice(r[0], NULL, out, NULL, 5, SPLICE_F_NONBLOCK) == -1 && errno == EAGAIN, "splice empty nonblock EAGAIN",
	      "not EAGAIN");
	close(r[1]);
	check(splice(r[0], NULL, out, NULL, 5, 0) == 0, "splice EOF", "not 0");
	close(p[0]), close(p[1]), close(q[0]), close(q[1]), close(r[0]), close(in), close(out);
}

static void test_copy_file_range(void) {
	int in = make_file("cfr_in", "abcdefghijklmnopqrstuvwxyz");
	int out = make_file("cfr_out", "0000000000");
	loff_t ioff = 2, ooff = 4;
	ssize_t n = copy_file_range(in, &ioff, out, &ooff, 5, 0);
	char buf[32] = {0};
	pread(out, buf, sizeof buf, 0);
	check(n == 5 && ioff == 7 && ooff == 9 && strcmp(buf, "0000cdefg0") == 0, "copy_file_range", buf);
	lseek(in, 20, SEEK_SET);
	n = copy_file_range(in, NULL, out, NULL, 100, 0);
	check(n == 6 && lseek(in, 0, SEEK_CUR) == 26 && lseek(out, 0, SEEK_CUR) == 16, "copy_file_range offsets",
	      "wrong count or offsets");
	errno = 0;
	check(copy_file_range(in, NULL, out, NULL, 1, 1) == -1 && errno == EINVAL, "copy_file_range flags EINVAL",
	      "not EINVAL");
	ioff = 0, ooff = 2;
	errno = 0;
	check(copy_file_range(in, &ioff, in, &ooff, 5, 0) == -1 && errno == EINVAL, "copy_file_range overlap EINVAL",
	      "not EINVAL");
	close(in), close(out);
}

static void test_fallocate(void) {
	int fd = make_file("falloc", NULL);
	struct stat st;
	int r = fallocate(fd, 0, 0, 16384);
	fstat(fd, &st);
	check(r == 0 && st.st_size == 16384 && st.st_blocks >= 32, "fallocate mode 0", "wrong size or blocks");
	r = fallocate(fd, FALLOC_FL_KEEP_SIZE, 16384, 8192);
	fstat(fd, &st);
	check(r == 0 && st.st_size == 16384, "fallocate KEEP_SIZE", "size changed");
	char buf[8192];
	memset(buf, 'x', sizeof buf);
	pwrite(fd, buf, sizeof buf, 0);
	r = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 4096);
	char got[3] = {0};
	pread(fd, got, 2, 99);
	char z[2];
	pread(fd, z, 2, 4195);
	fstat(fd, &st);
	check(r == 0 && got[0] == 'x' && got[1] == 0 && z[0] == 0 && z[1] == 'x' && st.st_size == 16384,
	      "fallocate PUNCH_HOLE", "wrong data");
	errno = 0;
	check(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10) == -1 && errno == EOPNOTSUPP, "fallocate PUNCH_HOLE alone",
	      "not EOPNOTSUPP");
	errno = 0;
	check(fallocate(fd, 0, 0, 0) == -1 && errno == EINVAL, "fallocate EINVAL", "not EINVAL");
	int p[2];
	pipe(p);
	errno = 0;
	check(fallocate(p[1], 0, 0, 10) == -1 && errno == ESPIPE, "fallocate pipe ESPIPE", "not ESPIPE");
	int ro = open(path("falloc"), O_RDONLY);
	errno = 0;
	check(fallocate(ro, 0, 0, 10) == -1 && errno == EBADF, "fallocate EBADF", "not EBADF");
	close(ro), close(p[0]), close(p[1]), close(fd);
}

static void test_memfd(void) {
	int fd = memfd_create("probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	check(fd >= 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "memfd_create", "failed or no cloexec");
	char link[64], target[128] = {0};
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	readlink(link, target, sizeof target - 1);
	check(strcmp(target, "/memfd:probe (deleted)") == 0, "memfd name", target);
	write(fd, "data", 4);
	ftruncate(fd, 8192);
	struct stat st;
	fstat(fd, &st);
	char buf[8] = {0};
	pread(fd, buf, 4, 0);
	check(S_ISREG(st.st_mode) && st.st_size == 8192 && strcmp(buf, "data") == 0, "memfd io", "wrong data");
	errno = 0;
	check(memfd_create("x", 0x1000) == -1 && errno == EINVAL, "memfd flags EINVAL", "not EINVAL");
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	errno = 0;
	check(memfd_create(longname, 0) == -1 && errno == EINVAL, "memfd name EINVAL", "not EINVAL");
	close(fd);
}

static long openat2_(int dirfd, const char *p, struct open_how *how, size_t size) {
	return syscall(SYS_openat2, dirfd, p, how, size);
}

static void test_openat2(void) {
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	close(make_file("o2", "x"));
	mkdir(path("sub"), 0755);
	symlink("../o2", path("sub/up"));
	symlink("/etc/passwd", path("abs"));
	struct open_how how = {.flags = O_RDONLY};
	long fd = openat2_(d, "o2", &how, sizeof how);
	check(fd >= 0, "openat2", "failed");
	close(fd);
	errno = 0;
	check(openat2_(d, "o2", &how, 8) == -1 && errno == EINVAL, "openat2 small size EINVAL", "not EINVAL");
	struct {
		struct open_how h;
		uint64_t extra;
	} big = {{.flags = O_RDONLY}, 1};
	errno = 0;
	check(openat2_(d, "o2", (struct open_how *)&big, sizeof big) == -1 && errno == E2BIG, "openat2 E2BIG",
	      "not E2BIG");
	big.extra = 0;
	fd = openat2_(d, "o2", (struct open_how *)&big, sizeof big);
	check(fd >= 0, "openat2 larger zeroed struct", "failed");
	close(fd);
	struct open_how bad = {.flags = O_RDONLY, .mode = 0644};
	errno = 0;
	check(openat2_(d, "o2", &bad, sizeof bad) == -1 && errno == EINVAL, "openat2 mode without O_CREAT",
	      "not EINVAL");
	struct open_how beneath = {.flags = O_RDONLY, .resolve = RESOLVE_BENEATH};
	errno = 0;
	check(openat2_(d, "../x", &beneath, sizeof beneath) == -1 && errno == EXDEV, "RESOLVE_BENEATH ..", "not EXDEV");
	errno = 0;
	check(openat2_(d, "abs", &beneath, sizeof beneath) == -1 && errno == EXDEV, "RESOLVE_BENEATH symlink",
	      "not EXDEV");
	fd = openat2_(d, "sub/up", &beneath, sizeof beneath);
	check(fd >= 0, "RESOLVE_BENEATH inside", "failed");
	close(fd);
	struct open_how nosym = {.flags = O_RDONLY, .resolve = RESOLVE_NO_SYMLINKS};
	errno = 0;
	check(openat2_(d, "sub/up", &nosym, sizeof nosym) == -1 && errno == ELOOP, "RESOLVE_NO_SYMLINKS", "not ELOOP");
	struct open_how inroot = {.flags = O_RDONLY, .resolve = RESOLVE_IN_ROOT};
	fd = openat2_(d, "/o2", &inroot, sizeof inroot);
	long fd2 = openat2_(d, "../../../o2", &inroot, sizeof inroot);
	check(fd >= 0 && fd2 >= 0, "RESOLVE_IN_ROOT", "failed");
	close(fd), close(fd2);
	struct open_how both = {.flags = O_RDONLY, .resolve = RESOLVE_IN_ROOT | RESOLVE_BENEATH};
	errno = 0;
	check(openat2_(d, "o2", &both, sizeof both) == -1 && errno == EINVAL, "openat2 resolve EINVAL", "not EINVAL");
	struct open_how creat = {.flags = O_RDWR | O_CREAT | O_EXCL, .mode = 0600, .resolve = RESOLVE_BENEATH};
	fd = openat2_(d, "sub/new", &creat, sizeof creat);
	check(fd >= 0 && access(path("sub/new"), F_OK) == 0, "openat2 O_CREAT", "failed");
	close(fd);
	close(d);
}

static void test_tmpfile(void) {
	int fd = open(dir, O_TMPFILE | O_RDWR, 0600);
	if (fd < 0 && errno == EOPNOTSUPP) {
		check(1, "O_TMPFILE (EOPNOTSUPP here)", "");
		return;
	}
	check(fd >= 0, "O_TMPFILE", "failed");
	write(fd, "tmp", 3);
	char buf[4] = {0};
	pread(fd, buf, 3, 0);
	struct stat st;
	fstat(fd, &st);
	check(strcmp(buf, "tmp") == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0, "O_TMPFILE io", "wrong data");
	DIR *dd = opendir(dir);
	int named = 0;
	struct dirent *e;
	while ((e = readdir(dd)) != NULL)
		if (strncmp(e->d_name, "#", 1) == 0)
			named++;
	closedir(dd);
	check(named == 0, "O_TMPFILE unnamed", "a name appeared");
	close(fd);
	errno = 0;
	check(open(dir, O_TMPFILE | O_RDONLY, 0600) == -1 && errno == EINVAL, "O_TMPFILE O_RDONLY EINVAL", "not EINVAL");
	errno = 0;
	check(open(path("o2"), O_TMPFILE | O_RDWR, 0600) == -1 && errno == ENOTDIR, "O_TMPFILE ENOTDIR", "not ENOTDIR");
}

static void test_fifo(void) {
	char *f = path("fifo");
	check(mknod(f, S_IFIFO | 0644, 0) == 0, "mknod fifo", "failed");
	errno = 0;
	check(open(f, O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO, "fifo nonblocking writer ENXIO", "not ENXIO");
	int r = open(f, O_RDONLY | O_NONBLOCK);
	check(r >= 0, "fifo nonblocking reader", "failed");
	char buf[16] = {0};
	check(read(r, buf, sizeof buf) == 0, "fifo read without writer EOF", "not 0");
	int w = open(f, O_WRONLY | O_NONBLOCK);
	check(w >= 0 && write(w, "fifo", 4) == 4 && read(r, buf, sizeof buf) == 4 && strcmp(buf, "fifo") == 0,
	      "fifo data", "wrong data");
	close(w), close(r);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		int w = open(f, O_WRONLY);
		write(w, "late", 4);
		close(w);
		_exit(0);
	}
	long long t0 = now_ms();
	r = open(f, O_RDONLY);
	long long waited = now_ms() - t0;
	memset(buf, 0, sizeof buf);
	int n = read(r, buf, sizeof buf);
	check(r >= 0 && waited >= 50 && n == 4 && strcmp(buf, "late") == 0, "fifo blocking open waits for writer",
	      "did not wait");
	close(r);
	waitpid(pid, NULL, 0);
	int rw = open(f, O_RDWR);
	check(rw >= 0 && write(rw, "x", 1) == 1 && read(rw, buf, 1) == 1, "fifo O_RDWR", "failed");
	close(rw);
	check(mkfifo(path("fifo2"), 0600) == 0, "mkfifo", "failed");
	struct stat st;
	check(stat(path("fifo2"), &st) == 0 && S_ISFIFO(st.st_mode), "mkfifo stat", "not a fifo");
}

static void test_flock(void) {
	int a = make_file("flock", "x");
	int b = open(path("flock"), O_RDONLY);
	check(flock(a, LOCK_EX | LOCK_NB) == 0, "flock LOCK_EX", "failed");
	errno = 0;
	check(flock(b, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK, "flock conflict EWOULDBLOCK",
	      "not EWOULDBLOCK");
	int dup_a = dup(a);
	check(flock(dup_a, LOCK_EX | LOCK_NB) == 0, "flock same description", "failed");
	check(flock(a, LOCK_SH) == 0 && flock(b, LOCK_SH | LOCK_NB) == 0, "flock shared", "failed");
	flock(b, LOCK_UN);
	flock(a, LOCK_EX);
	pid_t pid = fork();
	if (pid == 0) {
		close(a), close(dup_a); // the inherited references would keep the lock
		int c = open(path("flock"), O_RDONLY);
		long long t0 = now_ms();
		int r = flock(c, LOCK_EX); // waits for the parent's unlock
		_exit(r == 0 && now_ms() - t0 >= 50 ? 0 : 1);
	}
	usleep(150000);
	close(a);
	close(dup_a); // the last reference releases the lock
	int status;
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "flock blocking, released on close", "child failed");
	errno = 0;
	check(flock(b, 0) == -1 && errno == EINVAL, "flock EINVAL", "not EINVAL");
	close(b);
}

static void test_record_locks(void) {
	int fd = make_file("lk", "0123456789");
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5};
	check(fcntl(fd, F_SETLK, &fl) == 0, "F_SETLK", "failed");
	fl.l_type = F_RDLCK;
	fl.l_start = 5;
	fl.l_len = 0;
	check(fcntl(fd, F_SETLK, &fl) == 0, "F_SETLK read to EOF", "failed");
	pid_t parent = getpid();
	int sync_pipe[2];
	pipe(sync_pipe);
	pid_t pid = fork();
	if (pid == 0) {
		int c = open(path("lk"), O_RDWR);
		struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 1};
		int bad = 0;
		if (fcntl(c, F_GETLK, &q) != 0 || q.l_type != F_WRLCK || q.l_pid != parent || q.l_start != 0 || q.l_len != 5)
			bad |= 1;
		q = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 7, .l_len = 1};
		if (fcntl(c, F_SETLK, &q) != 0) // read locks share
			bad |= 2;
		q = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 3, .l_len = 1};
		errno = 0;
		if (fcntl(c, F_SETLK, &q) != -1 || (errno != EAGAIN && errno != EACCES))
			bad |= 4;
		write(sync_pipe[1], "r", 1);
		long long t0 = now_ms();
		if (fcntl(c, F_SETLKW, &q) != 0 || now_ms() - t0 < 50) // until the parent closes
			bad |= 8;
		_exit(bad);
	}
	char ch;
	read(sync_pipe[0], &ch, 1);
	usleep(150000);
	int other = open(path("lk"), O_RDONLY);
	close(other); // closing any descriptor of the file drops the POSIX locks
	int status;
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "POSIX locks: GETLK, conflict, SETLKW, release on close",
	      "child failed");
	if (WIFEXITED(status) && WEXITSTATUS(status))
		printf("  child status %d\n", WEXITSTATUS(status));
	fl = (struct flock){.l_type = F_UNLCK, .l_whence = SEEK_SET};
	check(fcntl(fd, F_GETLK, &(struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET}) == 0, "F_GETLK after exit",
	      "failed");
	// OFD locks: owned by the description, conflicting within a process.
	int a = open(path("lk"), O_RDWR), b = open(path("lk"), O_RDWR);
	struct flock o = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
	check(fcntl(a, F_OFD_SETLK, &o) == 0, "F_OFD_SETLK", "failed");
	errno = 0;
	check(fcntl(b, F_OFD_SETLK, &o) == -1 && errno == EAGAIN, "F_OFD_SETLK conflict", "not EAGAIN");
	struct flock g = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 3, .l_len = 1};
	check(fcntl(b, F_OFD_GETLK, &g) == 0 && g.l_type == F_WRLCK && g.l_pid == -1, "F_OFD_GETLK", "wrong answer");
	errno = 0;
	o.l_pid = 1;
	check(fcntl(b, F_OFD_SETLK, &o) == -1 && errno == EINVAL, "F_OFD_SETLK l_pid EINVAL", "not EINVAL");
	close(a);
	o.l_pid = 0;
	check(fcntl(b, F_OFD_SETLK, &o) == 0, "OFD lock released on close", "failed");
	int ro = open(path("lk"), O_RDONLY);
	struct flock w = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	errno = 0;
	check(fcntl(ro, F_SETLK, &w) == -1 && errno == EBADF, "F_SETLK write lock on O_RDONLY EBADF", "not EBADF");
	close(ro), close(b), close(fd);
}

static void test_sync_rusage_getdents(void) {
	sync();
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	check(syncfs(fd) == 0, "syncfs", "failed");
	errno = 0;
	check(syncfs(999) == -1 && errno == EBADF, "syncfs EBADF", "not EBADF");
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 200000000UL; i++)
		x += i;
	struct rusage self, thread, kids;
	int r1 = getrusage(RUSAGE_SELF, &self), r2 = getrusage(RUSAGE_THREAD, &thread),
	    r3 = getrusage(RUSAGE_CHILDREN, &kids);
	long self_us = self.ru_utime.tv_sec * 1000000L + self.ru_utime.tv_usec + self.ru_stime.tv_sec * 1000000L +
		       self.ru_stime.tv_usec;
	check(r1 == 0 && r2 == 0 && r3 == 0 && self_us > 10000 && self.ru_maxrss > 0, "getrusage", "no CPU time");
	errno = 0;
	check(getrusage(5, &self) == -1 && errno == EINVAL, "getrusage EINVAL", "not EINVAL");
	char buf[4096];
	long n = syscall(SYS_getdents, fd, buf, sizeof buf);
	int found = 0;
	for (long off = 0; off < n;) {
		unsigned short reclen = *(unsigned short *)(buf + off + 16);
		if (strcmp(buf + off + 18, "o2") == 0 && buf[off + reclen - 1] == DT_REG)
			found = 1;
		off += reclen;
	}
	check(n > 0 && found, "getdents", "o2 not found");
	close(fd);
}

// readv and writev are one transfer: a readv of a pipe holding less than
// its first buffer returns what there is instead of waiting to fill the
// second, and a writev of at most PIPE_BUF bytes is one atomic write.
static void test_vector_io(void) {
	int p[2];
	if (pipe(p) != 0) {
		check(0, "readv short pipe", "pipe");
		return;
	}
	write(p[1], "0123456789", 10);
	char a[10], b[100];
	struct iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
	alarm(5); // a readv that waits for more would hang here
	ssize_t n = readv(p[0], iov, 2);
	alarm(0);
	check(n == 10 && memcmp(a, "0123456789", 10) == 0, "readv short pipe", "did not return the 10 bytes there");
	char x[3000], y[1000];
	memset(x, 'x', sizeof x);
	memset(y, 'y', sizeof y);
	struct iovec w[2] = {{x, sizeof x}, {y, sizeof y}};
	n = writev(p[1], w, 2);
	char got[4000];
	ssize_t m = 0, k;
	while (m < 4000 && (k = read(p[0], got + m, sizeof got - m)) > 0)
		m += k;
	check(n == 4000 && m == 4000 && got[2999] == 'x' && got[3000] == 'y', "writev pipe", "bytes out of order or short");
	close(p[0]);
	close(p[1]);
}

// The probe works in a new directory under argv[1] (default /tmp).
int main(int argc, char **argv) {
	snprintf(dir, sizeof dir, "%s/files_probe.XXXXXX", argc > 1 ? argv[1] : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_sendfile();
	test_splice_tee();
	test_copy_file_range();
	test_fallocate();
	test_memfd();
	test_openat2();
	test_tmpfile();
	test_fifo();
	test_flock();
	test_record_locks();
	test_sync_rusage_getdents();
	test_vector_io();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	system(cmd);
	if (failures == 0)
		printf("PASSED\n");
	return failures != 0;
}
