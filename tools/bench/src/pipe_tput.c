/* pipe_tput: a child writes MiB megabytes into a pipe in 64 KiB chunks and
 * the parent reads them; prints MiB/s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
	long mib = argc > 1 ? atol(argv[1]) : 256;
	static char buf[65536];
	int p[2];
	if (pipe(p)) return 1;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		memset(buf, 'x', sizeof buf);
		for (long i = 0; i < mib * 16; i++)
			if (write(p[1], buf, sizeof buf) != sizeof buf) _exit(1);
		_exit(0);
	}
	close(p[1]);
	long total = 0, n;
	while ((n = read(p[0], buf, sizeof buf)) > 0) total += n;
	waitpid(c, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	if (total != mib << 20) { fprintf(stderr, "short: %ld\n", total); return 1; }
	printf("%.1f\n", mib / s);
	return 0;
}
