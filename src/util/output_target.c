#include "util/output_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int refuse(const char *path, int e, const char *why, char *err, size_t errlen)
{
	snprintf(err, errlen, "cannot write %s: %s", path, why ? why : strerror(e));
	return -e;
}

/* The one of our stdout and stderr that st is, if any: /dev/stdout
 * redirected to a file leads to that file, which must not be truncated
 * (the shell chose how it is written: `>>` appends). */
static int std_stream_of(const struct stat *st)
{
	struct stat std;
	int fd;

	for (fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++)
		if (fstat(fd, &std) == 0 && std.st_dev == st->st_dev && std.st_ino == st->st_ino)
			return fd;
	return -1;
}

/* What the opened fd is decides whether writing there makes sense. */
static int check_opened(const char *path, int fd, bool binary, struct output_target *out, char *err,
			size_t errlen)
{
	struct stat st;
	int std;

	if (fstat(fd, &st))
		return refuse(path, errno, NULL, err, errlen);
	if (S_ISREG(st.st_mode)) {
		std = std_stream_of(&st);
		if (std < 0)
			return refuse(path, ELOOP,
				      "a symbolic link to a regular file (not followed: give the "
				      "file's own path)",
				      err, errlen);
		out->fd = std == STDOUT_FILENO ? STDOUT_FILENO : dup(std);
		return out->fd < 0 ? refuse(path, errno, NULL, err, errlen) : 0;
	}
	if (S_ISBLK(st.st_mode))
		return refuse(path, EPERM, "a block device (not overwritten)", err, errlen);
	if (binary && isatty(fd))
		return refuse(path, ENOTTY,
			      "a terminal, and a recording is binary (give a file or a pipe)", err,
			      errlen);
	/* Opened without blocking on a FIFO with no reader; writes may block. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	out->fd = fd;
	return 0;
}

static int open_special(const char *path, bool is_link, bool binary, struct output_target *out,
			char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), ret;

	if (fd < 0) {
		int e = errno;

		if (e == ENXIO)
			return refuse(path, e, "a FIFO or socket with no reader", err, errlen);
		if (e == ENOENT && is_link)
			return refuse(path, e, "a symbolic link to nothing (not followed)", err,
				      errlen);
		return refuse(path, e, NULL, err, errlen);
	}
	ret = check_opened(path, fd, binary, out, err, errlen);
	if (ret || out->fd != fd)
		close(fd);
	return ret;
}

int output_target_open(const char *path, bool binary, struct output_target *out, char *err,
		       size_t errlen)
{
	struct stat st;

	out->stream = true;
	out->fd = -1;
	if (strcmp(path, "-") == 0) {
		if (binary && isatty(STDOUT_FILENO))
			return refuse("stdout", ENOTTY,
				      "a terminal, and a recording is binary (redirect it to a "
				      "file or a pipe)",
				      err, errlen);
		out->fd = STDOUT_FILENO;
		return 0;
	}
	if (lstat(path, &st)) {
		if (errno != ENOENT)
			return refuse(path, errno, NULL, err, errlen);
		out->stream = false; /* a new file: the caller creates it */
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		out->stream = false;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return refuse(path, EISDIR, NULL, err, errlen);
	return open_special(path, S_ISLNK(st.st_mode), binary, out, err, errlen);
}
