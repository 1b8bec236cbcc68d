/* tcp_tput: a child writes MiB megabytes over a TCP connection on
 * 127.0.0.1 in 64 KiB chunks and the parent reads them; prints MiB/s. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
	long mib = argc > 1 ? atol(argv[1]) : 256;
	static char buf[65536];
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sa, &len)) {
		perror("listen");
		return 1;
	}
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t c = fork();
	if (c == 0) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&sa, sizeof sa)) _exit(1);
		memset(buf, 'x', sizeof buf);
		for (long i = 0; i < mib * 16; i++)
			for (size_t done = 0; done < sizeof buf;) {
				ssize_t n = write(s, buf + done, sizeof buf - done);
				if (n <= 0) _exit(1);
				done += n;
			}
		_exit(0);
	}
	int s = accept(l, 0, 0);
	long total = 0, n;
	while ((n = read(s, buf, sizeof buf)) > 0) total += n;
	waitpid(c, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	if (total != mib << 20) { fprintf(stderr, "short: %ld\n", total); return 1; }
	printf("%.1f\n", mib / secs);
	return 0;
}
