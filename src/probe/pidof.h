/* The processes running a program of a given name, as pidof(8) finds them:
 * the base name of /proc/PID/exe, of argv[0], or the kernel's comm (which
 * is cut to 15 bytes). Kernel threads and cattop itself are left out. */
#ifndef CATTOP_PIDOF_H
#define CATTOP_PIDOF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Whether process pid runs a program called name. */
bool pidof_matches(pid_t pid, const char *name);

/* Fills pids (at most max, ascending) with the processes of that name;
 * returns how many matched (may exceed max), or -errno if /proc cannot be
 * read. */
int pidof_find(const char *name, pid_t *pids, size_t max);

#endif
