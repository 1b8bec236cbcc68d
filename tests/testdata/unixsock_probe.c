// unixsock_probe checks AF_UNIX sockets: socketpair of each type, bind,
// listen, accept and connect by path and abstract name, datagrams with
// sender names, SCM_RIGHTS, EOF, EPIPE and SIGPIPE, non-blocking EAGAIN,
// poll and epoll readiness, socket options, and EINTR. It prints "ok NAME"
// per check and PASSED at the end, and must pass natively and under ward.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void fail(const char *what) {
	printf("FAIL %s: errno %d (%s)\n", what, errno, strerror(errno));
	exit(1);
}
#define CHECK(c, what) do { if (!(c)) fail(what); } while (0)

static void stream_pair(void) {
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	CHECK(write(sv[0], "hello", 5) == 5, "write");
	struct iovec iov[2] = {{" wor", 4}, {"ld", 2}};
	CHECK(writev(sv[0], iov, 2) == 6, "writev");
	char buf[32] = {0};
	int n = 0;
	while (n < 11) {
		int r = read(sv[1], buf + n, sizeof buf - n);
		CHECK(r > 0, "read");
		n += r;
	}
	CHECK(n == 11 && memcmp(buf, "hello world", 11) == 0, "stream data");
	CHECK(send(sv[1], "back", 4, 0) == 4, "send back");
	char a[2], b[2];
	struct iovec riov[2] = {{a, 2}, {b, 2}};
	CHECK(readv(sv[0], riov, 2) == 4 && memcmp(a, "ba", 2) == 0 && memcmp(b, "ck", 2) == 0, "readv");
	struct stat st;
	CHECK(fstat(sv[0], &st) == 0 && S_ISSOCK(st.st_mode), "fstat S_IFSOCK");
	CHECK(fcntl(sv[0], F_GETFD) == FD_CLOEXEC, "SOCK_CLOEXEC");
	close(sv[0]);
	close(sv[1]);
	printf("ok socketpair-stream\n");
}

static void dgram_pair(void) {
	int types[2] = {SOCK_DGRAM, SOCK_SEQPACKET};
	for (int i = 0; i < 2; i++) {
		int sv[2];
		CHECK(socketpair(AF_UNIX, types[i], 0, sv) == 0, "socketpair dgram");
		CHECK(send(sv[0], "one", 3, 0) == 3, "send one");
		CHECK(send(sv[0], "two-two", 7, 0) == 7, "send two");
		CHECK(send(sv[0], "abcdef", 6, 0) == 6, "send three");
		char buf[16];
		CHECK(recv(sv[1], buf, sizeof buf, 0) == 3 && memcmp(buf, "one", 3) == 0, "recv one");
		CHECK(recv(sv[1], buf, sizeof buf, MSG_PEEK) == 7, "peek two");
		CHECK(recv(sv[1], buf, sizeof buf, 0) == 7 && memcmp(buf, "two-two", 7) == 0, "recv two");
		struct iovec iov = {buf, 2};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		CHECK(recvmsg(sv[1], &mh, 0) == 2 && (mh.msg_flags & MSG_TRUNC), "truncated recvmsg");
		CHECK(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN, "rest discarded");
		int type;
		socklen_t len = sizeof type;
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == types[i], "SO_TYPE");
		close(sv[0]);
		close(sv[1]);
	}
	printf("ok socketpair-dgram-seqpacket\n");
}

static int send_fd(int sock, int fd) {
	char c = 'F';
	struct iovec iov = {&c, 1};
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(sock, &mh, 0);
}

static int recv_fd(int sock) {
	char c;
	struct iovec iov = {&c, 1};
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1 || c != 'F')
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

static void scm_rights(void) {
	int sv[2], p[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	CHECK(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(sv[0]);
		int fd = recv_fd(sv[1]);
		if (fd < 0 || fcntl(fd, F_GETFD) != FD_CLOEXEC)
			_exit(2);
		if (write(fd, "through", 7) != 7)
			_exit(3);
		_exit(0);
	}
	close(sv[1]);
	CHECK(send_fd(sv[0], p[1]) == 1, "sendmsg SCM_RIGHTS");
	close(p[1]);
	char buf[16];
	CHECK(read(p[0], buf, sizeof buf) == 7 && memcmp(buf, "through", 7) == 0, "read via passed fd");
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child");
	close(p[0]);
	close(sv[0]);
	printf("ok scm-rights\n");
}

static socklen_t path_addr(struct sockaddr_un *a, const char *path) {
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static void listen_connect(void) {
	char path[64];
	snprintf(path, sizeof path, "/tmp/unixsock-probe-%d", getpid());
	unlink(path);
	struct sockaddr_un a;
	socklen_t alen = path_addr(&a, path);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(connect(c, (struct sockaddr *)&a, alen) == -1 && errno == ENOENT, "connect ENOENT");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(l >= 0, "socket");
	CHECK(bind(l, (struct sockaddr *)&a, alen) == 0, "bind");
	struct stat st;
	CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "stat socket node");
	int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(l2, (struct sockaddr *)&a, alen) == -1 && errno == EADDRINUSE, "EADDRINUSE");
	CHECK(connect(c, (struct sockaddr *)&a, alen) == -1 && errno == ECONNREFUSED, "connect before listen");
	close(c);
	CHECK(listen(l, 4) == 0, "listen");
	int accepting;
	socklen_t ol = sizeof accepting;
	CHECK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &ol) == 0 && accepting == 1, "SO_ACCEPTCONN");
	struct pollfd pfd = {l, POLLIN, 0};
	CHECK(poll(&pfd, 1, 0) == 0, "listener not readable");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(connect(c, (struct sockaddr *)&a, alen) == 0, "connect");
	CHECK(poll(&pfd, 1, 1000) == 1 && (pfd.revents & POLLIN), "listener readable");
	struct sockaddr_un peer;
	socklen_t plen = sizeof peer;
	int s = accept4(l, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK);
	CHECK(s >= 0, "accept4");
	CHECK(plen == offsetof(struct sockaddr_un, sun_path) && peer.sun_family == AF_UNIX, "accepted peer unnamed");
	CHECK(fcntl(s, F_GETFL) & O_NONBLOCK, "accept4 SOCK_NONBLOCK");
	struct sockaddr_un got;
	socklen_t glen = sizeof got;
	CHECK(getpeername(c, (struct sockaddr *)&got, &glen) == 0 && glen == alen && strcmp(got.sun_path, path) == 0, "getpeername");
	glen = sizeof got;
	CHECK(getsockname(s, (struct sockaddr *)&got, &glen) == 0 && strcmp(got.sun_path, path) == 0, "getsockname accepted");
	glen = sizeof got;
	CHECK(getsockname(c, (struct sockaddr *)&got, &glen) == 0 && glen == offsetof(struct sockaddr_un, sun_path), "getsockname unbound");
	struct ucred uc;
	socklen_t ul = sizeof uc;
	CHECK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul) == 0 && uc.pid == getpid() && uc.uid == getuid(), "SO_PEERCRED");
	CHECK(write(c, "ping", 4) == 4, "client write");
	char buf[8];
	CHECK(read(s, buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0, "server read");
	CHECK(read(s, buf, sizeof buf) == -1 && errno == EAGAIN, "server EAGAIN");
	close(c);
	CHECK(read(s, buf, sizeof buf) == 0, "EOF after client close");
	close(s);
	close(l);
	close(l2);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(connect(c, (struct sockaddr *)&a, alen) == -1 && errno == ECONNREFUSED, "ECONNREFUSED after close");
	close(c);
	CHECK(unlink(path) == 0, "unlink");
	printf("ok bind-listen-accept-connect\n");
}

static void abstract_and_dgram(void) {
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char name[32];
	int nl = snprintf(name, sizeof name, "unixsock-probe-%d", getpid());
	memcpy(a.sun_path + 1, name, nl);
	socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + nl;
	int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(bind(srv, (struct sockaddr *)&a, alen) == 0, "bind abstract");
	int cli = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un ca = {.sun_family = AF_UNIX};
	CHECK(bind(cli, (struct sockaddr *)&ca, offsetof(struct sockaddr_un, sun_path)) == 0, "autobind");
	socklen_t cl = sizeof ca;
	CHECK(getsockname(cli, (struct sockaddr *)&ca, &cl) == 0 && cl == offsetof(struct sockaddr_un, sun_path) + 6 && ca.sun_path[0] == 0, "autobind name");
	CHECK(sendto(cli, "dg1", 3, 0, (struct sockaddr *)&a, alen) == 3, "sendto");
	char buf[8];
	struct sockaddr_un from;
	socklen_t fl = sizeof from;
	CHECK(recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) == 3 && fl == cl && memcmp(&from, &ca, cl) == 0, "recvfrom name");
	CHECK(sendto(srv, "re", 2, 0, (struct sockaddr *)&from, fl) == 2, "reply");
	CHECK(recv(cli, buf, sizeof buf, 0) == 2, "reply received");
	close(srv);
	CHECK(sendto(cli, "x", 1, 0, (struct sockaddr *)&a, alen) == -1 && errno == ECONNREFUSED, "sendto closed");
	close(cli);
	int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK(connect(s, (struct sockaddr *)&a, alen) == -1 && errno == ECONNREFUSED, "connect abstract refused");
	close(s);
	printf("ok abstract-and-dgram\n");
}

static void eof_epipe(void) {
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	CHECK(shutdown(sv[0], SHUT_WR) == 0, "shutdown");
	char buf[4];
	CHECK(read(sv[1], buf, sizeof buf) == 0, "EOF after SHUT_WR");
	signal(SIGPIPE, SIG_IGN);
	CHECK(write(sv[0], "x", 1) == -1 && errno == EPIPE, "EPIPE after SHUT_WR");
	signal(SIGPIPE, SIG_DFL);
	close(sv[1]);
	CHECK(send(sv[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE, "MSG_NOSIGNAL EPIPE");
	close(sv[0]);
	pid_t pid = fork();
	if (pid == 0) {
		int p[2];
		socketpair(AF_UNIX, SOCK_STREAM, 0, p);
		close(p[1]);
		write(p[0], "x", 1);
		_exit(0);
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "SIGPIPE kills");
	printf("ok eof-epipe-sigpipe\n");
}

static void readiness(void) {
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0, "socketpair");
	char buf[4096];
	CHECK(read(sv[1], buf, 1) == -1 && errno == EAGAIN, "EAGAIN empty");
	struct pollfd p[2] = {{sv[0], POLLIN | POLLOUT, 0}, {sv[1], POLLIN, 0}};
	CHECK(poll(p, 2, 0) == 1 && p[0].revents == POLLOUT && p[1].revents == 0, "initial poll");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = 7};
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev) == 0, "epoll_ctl");
	struct epoll_event out;
	CHECK(epoll_wait(ep, &out, 1, 0) == 0, "epoll idle");
	write(sv[0], "a", 1);
	CHECK(epoll_wait(ep, &out, 1, 1000) == 1 && out.events == EPOLLIN && out.data.u32 == 7, "epoll EPOLLIN");
	read(sv[1], buf, 1);
	// Fill the socket: POLLOUT goes away and EAGAIN follows.
	memset(buf, 'z', sizeof buf);
	long total = 0;
	for (;;) {
		int n = send(sv[0], buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0) {
			CHECK(errno == EAGAIN, "EAGAIN full");
			break;
		}
		total += n;
		CHECK(total < (64L << 20), "never full");
	}
	p[0].events = POLLOUT;
	CHECK(poll(p, 1, 0) == 0, "not writable when full");
	shutdown(sv[0], SHUT_WR);
	CHECK(epoll_wait(ep, &out, 1, 1000) == 1 && (out.events & EPOLLRDHUP) && (out.events & EPOLLIN), "epoll EPOLLRDHUP");
	close(sv[0]);
	p[1].events = POLLIN;
	CHECK(poll(&p[1], 1, 1000) == 1 && (p[1].revents & POLLHUP), "POLLHUP after close");
	close(sv[1]);
	close(ep);
	printf("ok poll-epoll-readiness\n");
}

static void on_alarm(int sig) { (void)sig; }

static void eintr(void) {
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	char c;
	CHECK(recv(sv[1], &c, 1, 0) == -1 && errno == EINTR, "EINTR recv");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	CHECK(bind(l, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path)) == 0 && listen(l, 1) == 0, "listen autobound");
	alarm(1);
	CHECK(accept(l, NULL, NULL) == -1 && errno == EINTR, "EINTR accept");
	close(l);
	close(sv[0]);
	close(sv[1]);
	printf("ok eintr\n");
}

static void not_socket(void) {
	int p[2];
	pipe(p);
	struct sockaddr_un a;
	socklen_t l = sizeof a;
	CHECK(getsockname(p[0], (struct sockaddr *)&a, &l) == -1 && errno == ENOTSOCK, "ENOTSOCK getsockname");
	CHECK(getpeername(p[0], (struct sockaddr *)&a, &l) == -1 && errno == ENOTSOCK, "ENOTSOCK getpeername");
	CHECK(send(p[1], "x", 1, 0) == -1 && errno == ENOTSOCK, "ENOTSOCK send");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(getpeername(s, (struct sockaddr *)&a, &l) == -1 && errno == ENOTCONN, "ENOTCONN getpeername");
	close(s);
	close(p[0]);
	close(p[1]);
	printf("ok not-a-socket\n");
}

// sendmmsg and recvmmsg: one call, several datagrams, each msg_len set.
static void mmsg(void) {
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair mmsg");
	char a[] = "one", b[] = "three";
	struct iovec iv[2] = {{a, 3}, {b, 5}};
	struct mmsghdr m[2];
	memset(m, 0, sizeof m);
	for (int i = 0; i < 2; i++) {
		m[i].msg_hdr.msg_iov = &iv[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK(sendmmsg(sv[0], m, 2, 0) == 2 && m[0].msg_len == 3 && m[1].msg_len == 5, "sendmmsg");
	char r[3][10];
	struct iovec rv[3] = {{r[0], 10}, {r[1], 10}, {r[2], 10}};
	struct mmsghdr rm[3];
	memset(rm, 0, sizeof rm);
	for (int i = 0; i < 3; i++) {
		rm[i].msg_hdr.msg_iov = &rv[i];
		rm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK(recvmmsg(sv[1], rm, 3, MSG_WAITFORONE, NULL) == 2 && rm[0].msg_len == 3 && rm[1].msg_len == 5 &&
		      memcmp(r[0], "one", 3) == 0 && memcmp(r[1], "three", 5) == 0,
	      "recvmmsg");
	close(sv[0]);
	close(sv[1]);
	printf("ok sendmmsg-recvmmsg\n");
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	stream_pair();
	dgram_pair();
	scm_rights();
	listen_connect();
	abstract_and_dgram();
	eof_epipe();
	readiness();
	eintr();
	not_socket();
	mmsg();
	printf("PASSED\n");
	return 0;
}
