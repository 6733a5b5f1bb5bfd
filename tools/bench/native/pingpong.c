/*
 * The reference for tools/bench: a C ping-pong of 332-byte datagrams (DPDK
 * 22.11's mp message size) between two processes over AF_UNIX SOCK_DGRAM,
 * with blocking sendmsg/recvmsg as DPDK's mp thread does. It prints the
 * median and other percentiles of the round trip in microseconds, as JSON.
 *
 * usage: pingpong <socket-dir> <warmup> <iterations>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_SIZE 332

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int bind_at(const char *path, struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (snprintf(addr->sun_path, sizeof(addr->sun_path), "%s", path) >= (int)sizeof(addr->sun_path)) {
		fprintf(stderr, "socket path too long: %s\n", path);
		exit(1);
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) < 0)
		die("bind");
	return fd;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The echo side answers every datagram to its sender, like an mp reply. */
static void echo(int fd)
{
	char buf[MSG_SIZE];
	struct sockaddr_un from;

	for (;;) {
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recvfrom");
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len) < 0)
			die("sendto");
	}
}

int main(int argc, char **argv)
{
	char server_path[108], client_path[108], buf[MSG_SIZE];
	struct sockaddr_un server, client;
	long warmup, iterations, i;
	double *samples;
	pid_t child;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s <socket-dir> <warmup> <iterations>\n", argv[0]);
		return 2;
	}
	warmup = strtol(argv[2], NULL, 10);
	iterations = strtol(argv[3], NULL, 10);
	if (warmup < 0 || iterations <= 0)
		return 2;
	snprintf(server_path, sizeof(server_path), "%s/c_server", argv[1]);
	snprintf(client_path, sizeof(client_path), "%s/c_client", argv[1]);

	fd = bind_at(server_path, &server);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		echo(fd);
	close(fd);

	fd = bind_at(client_path, &client);
	samples = calloc((size_t)iterations, sizeof(*samples));
	if (samples == NULL)
		die("calloc");
	memset(buf, 0xab, sizeof(buf));
	for (i = -warmup; i < iterations; i++) {
		double start = now_us();

		if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&server, sizeof(server)) < 0)
			die("sendto");
		if (recv(fd, buf, sizeof(buf), 0) != MSG_SIZE)
			die("recv");
		if (i >= 0)
			samples[i] = now_us() - start;
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	unlink(server_path);
	unlink(client_path);

	qsort(samples, (size_t)iterations, sizeof(*samples), cmp_double);
	printf("{\"iterations\":%ld,\"medianUs\":%.3f,\"p90Us\":%.3f,\"p99Us\":%.3f}\n", iterations,
	       samples[iterations / 2], samples[iterations * 9 / 10], samples[iterations * 99 / 100]);
	free(samples);
	return 0;
}
