/* The process cattop traces: checks on an existing PID, or a command that
 * cattop starts itself and holds before exec until the probes are in. */
#ifndef CATTOP_TARGET_H
#define CATTOP_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

struct target {
	pid_t pid;
	bool launched;	/* started by cattop (-- COMMAND) */
	int release_fd; /* launched: write end that lets the child exec */
	/* The program file, held open: every read of it and every uprobe go
	 * through binary (/proc/self/fd/N), so they all mean the same file,
	 * even if the process exits or execs another program meanwhile. */
	int binary_fd;
	char binary[4096]; /* path for ELF reading and uprobes */
	char exe[4096];	   /* what /proc/PID/exe points to, for display */
	char comm[32];
	int exit_status; /* launched: set once reaped */
	bool exited;
	bool execed;		   /* it replaced its program: the probes see nothing new */
	uint64_t exe_dev, exe_ino; /* the program cattop read and probed */
	bool exe_confirmed;	   /* /proc/PID/exe was seen to be that program */
};

/* Checks that pid is a live user-space process this user may trace.
 * Returns 0, or -errno with a one-line reason in err. */
int target_open_pid(struct target *t, pid_t pid, char *err, size_t errlen);

/* Forks argv[0] (searched in PATH) stopped before exec. The binary to probe
 * is the resolved path until target_release() lets it exec. */
int target_launch(struct target *t, char *const argv[], char *err, size_t errlen);
int target_release(struct target *t);

/* Lets go of the program file. */
void target_close(struct target *t);

/* False once the process is gone (reaps a launched child). */
bool target_alive(struct target *t);

/* The name of thread tid of process pid (/proc/PID/task/TID/comm); "" if gone. */
void thread_comm(pid_t pid, pid_t tid, char *buf, size_t len);

/* 1 if /proc/PID/task/TID exists. */
int target_thread_exists(unsigned int tid, void *target);

/* True when the caller has what attaching needs (root, or CAP_BPF+CAP_PERFMON). */
bool have_bpf_privileges(void);

#endif
