#include "probe/target.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/safe_text.h"

static void remember_program(struct target *t, const char *path, bool confirmed);
static int hold_program(struct target *t, const char *path);

#define CAP_PERFMON_BIT	   38
#define CAP_BPF_BIT	   39
#define CAP_SYS_PTRACE_BIT 19

/* Effective capabilities from /proc/self/status. */
static uint64_t effective_caps(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	unsigned long long caps = 0;
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps;
}

static bool has_cap(int bit)
{
	return (effective_caps() >> bit) & 1;
}

bool have_bpf_privileges(void)
{
	return geteuid() == 0 || (has_cap(CAP_BPF_BIT) && has_cap(CAP_PERFMON_BIT));
}

/* State letter, real uid and thread group (the process a thread id
 * belongs to) of a process, from /proc/PID/status. */
static int read_status(pid_t pid, char *state, uid_t *uid, pid_t *tgid)
{
	char path[64], line[256];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned int u;
		int g;

		if (sscanf(line, "State: %c", state) == 1)
			found |= 1;
		else if (sscanf(line, "Uid: %u", &u) == 1) {
			*uid = u;
			found |= 2;
		} else if (sscanf(line, "Tgid: %d", &g) == 1) {
			*tgid = g;
			found |= 4;
		}
	}
	fclose(f);
	return found == 7 ? 0 : -EIO;
}

/* Like the kernel's PTRACE_MODE_ATTACH_REALCREDS: same real uid, or
 * CAP_SYS_PTRACE. Matters when cattop has file capabilities and a non-root
 * user runs it: it must not become a way into other users' processes. */
static bool may_trace(uid_t target_uid)
{
	return getuid() == 0 || getuid() == target_uid || has_cap(CAP_SYS_PTRACE_BIT);
}

void thread_comm(pid_t pid, pid_t tid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	comm[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

int target_open_pid(struct target *t, pid_t pid, char *err, size_t errlen)
{
	pid_t tgid = 0;
	char path[64];
	uid_t uid = 0;
	char state = 0;
	ssize_t n;
	int ret;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->release_fd = -1;
	t->binary_fd = -1;
	if (pid <= 0 || (ret = read_status(pid, &state, &uid, &tgid)) == -ENOENT) {
		snprintf(err, errlen, "no such process: %d", pid);
		return -ESRCH;
	}
	if (ret) {
		snprintf(err, errlen, "cannot read /proc/%d/status: %s", pid, strerror(-ret));
		return ret;
	}
	if (state == 'Z' || state == 'X') {
		snprintf(err, errlen, "process %d is a zombie (it has exited)", pid);
		return -ESRCH;
	}
	/* /proc/TID exists for every thread, though no listing shows it. */
	if (tgid != pid) {
		snprintf(err, errlen, "%d is a thread of process %d: trace -p %d", pid, tgid, tgid);
		return -ESRCH;
	}
	if (!may_trace(uid)) {
		snprintf(err, errlen,
			 "not permitted to trace process %d (owned by uid %u; needs the same uid "
			 "or CAP_SYS_PTRACE)",
			 pid, uid);
		return -EPERM;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, t->exe, sizeof(t->exe) - 1);
	ret = n < 0 ? -errno : hold_program(t, path);
	if (ret == -ENOENT &&
	    (read_status(pid, &state, &uid, &tgid) || state == 'Z' || state == 'X')) {
		snprintf(err, errlen, "process %d exited", pid);
		return -ESRCH;
	}
	if (ret) {
		snprintf(err, errlen,
			 ret == -ENOENT ? "process %d is a kernel thread (no executable)"
					: "cannot read /proc/%d/exe: %s",
			 pid, strerror(-ret));
		return ret;
	}
	t->exe[n] = '\0';
	remember_program(t, t->binary, true);
	thread_comm(pid, pid, t->comm, sizeof(t->comm));
	return 0;
}

/* The program as /proc/PID/exe and /proc/PID/maps will name it after the
 * exec: absolute, symbolic links resolved. The code's load bias is looked
 * up by that name: a relative command line ("./app") found no mapping, and
 * with no bias no await stack went past its root future. */
static void canonical(char *path, size_t len)
{
	char *real = realpath(path, NULL);

	if (real && strlen(real) < len)
		snprintf(path, len, "%s", real);
	free(real);
}

static int resolve_in_path(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	int ret = -ENOENT;

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return access(out, X_OK) ? -errno : 0;
	}
	copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!copy)
		return -ENOMEM;
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", dir, cmd);
		if (access(out, X_OK) == 0) {
			ret = 0;
			break;
		}
	}
	free(copy);
	return ret;
}

/* Under ptrace the kernel runs a set-user-ID program without its
 * privileges unless the tracer has CAP_SYS_PTRACE: otherwise a tracer could
 * read and change what runs as root. cattop with file capabilities, run by
 * an ordinary user, must not be that way in either (the rule of
 * target_open_pid's may_trace): its command gets no new privileges from
 * exec (no set-user-ID, set-group-ID or file capabilities). */
static bool exec_may_elevate(void)
{
	return getuid() == 0 || has_cap(CAP_SYS_PTRACE_BIT);
}

static void warn_if_privileged_program(const char *path)
{
	char shown[512];
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)))
		fprintf(stderr,
			"cattop: %s is set-user-ID or set-group-ID: it runs with your own "
			"privileges, as under a debugger\n",
			safe_text(path, shown, sizeof(shown)));
}

/* The child: wait until the parent has attached, then exec. */
static void run_child(int release_fd, const char *path, char *const argv[], bool may_elevate)
{
	char go;

	if (read(release_fd, &go, 1) != 1)
		_exit(127); /* cattop gave up before attaching */
	close(release_fd);
	if (!may_elevate && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		fprintf(stderr, "cattop: cannot drop privileges for %s: %s\n", path,
			strerror(errno));
		_exit(127);
	}
	execv(path, argv);
	fprintf(stderr, "cattop: cannot execute %s: %s\n", path, strerror(errno));
	_exit(127);
}

int target_launch(struct target *t, char *const argv[], char *err, size_t errlen)
{
	bool may_elevate = exec_may_elevate();
	int fds[2], ret;
	pid_t pid;

	memset(t, 0, sizeof(*t));
	t->release_fd = -1;
	t->binary_fd = -1;
	ret = resolve_in_path(argv[0], t->exe, sizeof(t->exe));
	if (!ret)
		canonical(t->exe, sizeof(t->exe));
	if (!ret)
		ret = hold_program(t, t->exe);
	if (ret) {
		snprintf(err, errlen, "cannot find %s: %s", argv[0], strerror(-ret));
		return ret;
	}
	if (!may_elevate)
		warn_if_privileged_program(t->exe);
	if (pipe2(fds, O_CLOEXEC)) {
		ret = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return ret;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return ret;
	}
	if (pid == 0) {
		close(fds[1]);
		run_child(fds[0], t->exe, argv, may_elevate);
	}
	close(fds[0]);
	t->pid = pid;
	t->launched = true;
	t->release_fd = fds[1];
	/* Until exec, the child runs cattop's image: probe the file itself. */
	remember_program(t, t->binary, false);
	snprintf(t->comm, sizeof(t->comm), "%.31s",
		 strrchr(t->exe, '/') ? strrchr(t->exe, '/') + 1 : t->exe);
	return 0;
}

int target_release(struct target *t)
{
	int ret = 0;

	if (t->release_fd < 0)
		return 0;
	if (write(t->release_fd, "g", 1) != 1)
		ret = -errno;
	close(t->release_fd);
	t->release_fd = -1;
	return ret;
}

static int hold_program(struct target *t, const char *path)
{
	t->binary_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->binary_fd < 0)
		return -errno;
	snprintf(t->binary, sizeof(t->binary), "/proc/self/fd/%d", t->binary_fd);
	return 0;
}

void target_close(struct target *t)
{
	if (t->binary_fd >= 0)
		close(t->binary_fd);
	t->binary_fd = -1;
}

static void remember_program(struct target *t, const char *path, bool confirmed)
{
	struct stat st;

	if (stat(path, &st) == 0) {
		t->exe_dev = st.st_dev;
		t->exe_ino = st.st_ino;
		t->exe_confirmed = confirmed;
	}
}

/* An exec leaves the pid but not the code the probes are on. A launched
 * command runs cattop's own image until its exec: it counts only once
 * /proc/PID/exe has been seen to be the command. */
static bool program_replaced(struct target *t)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", t->pid);
	if (!t->exe_ino || stat(path, &st))
		return false;
	if (st.st_dev == t->exe_dev && st.st_ino == t->exe_ino) {
		t->exe_confirmed = true;
		return false;
	}
	return t->exe_confirmed;
}

bool target_alive(struct target *t)
{
	char path[64];
	char state = 0;
	pid_t tgid;
	uid_t uid;

	if (t->exited || t->execed)
		return false;
	if (program_replaced(t)) {
		t->execed = true;
		return false;
	}
	if (t->launched) {
		int status;

		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			t->exit_status = status;
			t->exited = true;
			return false;
		}
		return true;
	}
	snprintf(path, sizeof(path), "/proc/%d", t->pid);
	if (access(path, F_OK) || read_status(t->pid, &state, &uid, &tgid) || state == 'Z' ||
	    state == 'X')
		t->exited = true;
	return !t->exited;
}

int target_thread_exists(unsigned int tid, void *target)
{
	struct target *t = target;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%u", t->pid, tid);
	return access(path, F_OK) == 0;
}
