#include "probe/pidof.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* /proc/PID/exe's base name, without the " (deleted)" of a replaced file. */
static bool exe_matches(pid_t pid, const char *name)
{
	char link[64], path[4096];
	ssize_t n;
	size_t len;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return false; /* a kernel thread, or gone */
	path[n] = '\0';
	len = strlen(path);
	if (len > 10 && strcmp(path + len - 10, " (deleted)") == 0)
		path[len - 10] = '\0';
	return strcmp(base_name(path), name) == 0;
}

static bool argv0_matches(pid_t pid, const char *name)
{
	char path[64], arg[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(arg, 1, sizeof(arg) - 1, f);
	fclose(f);
	arg[n] = '\0'; /* argv[0] ends at its NUL */
	return n && strcmp(base_name(arg), name) == 0;
}

static bool comm_matches(pid_t pid, const char *name)
{
	char path[64], comm[32];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(comm, 1, sizeof(comm) - 1, f);
	fclose(f);
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	/* The kernel keeps 15 bytes of the name: a longer name matches its cut. */
	if (strlen(name) <= 15)
		return strcmp(comm, name) == 0;
	return strlen(comm) == 15 && strncmp(comm, name, 15) == 0;
}

bool pidof_matches(pid_t pid, const char *name)
{
	char exe[64];

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	if (access(exe, F_OK) && errno == ENOENT)
		return false; /* gone, or a kernel thread (no exe) */
	return exe_matches(pid, name) || argv0_matches(pid, name) || comm_matches(pid, name);
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int pidof_find(const char *name, pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;
	char *end;
	long v;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		v = strtol(e->d_name, &end, 10);
		if (*end || v <= 0 || v == getpid() || !pidof_matches((pid_t)v, name))
			continue;
		if (n < max)
			pids[n] = (pid_t)v;
		n++;
	}
	closedir(d);
	qsort(pids, n < max ? n : max, sizeof(*pids), by_pid);
	return (int)n;
}
