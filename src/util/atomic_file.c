#include "util/atomic_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/output_target.h"

/* A device, FIFO, terminal or stdout: written to as it is. */
static int open_stream(struct atomic_file *af, int fd)
{
	if (fd == STDOUT_FILENO) {
		af->file = stdout;
		return 0;
	}
	af->file = fdopen(fd, "w");
	if (!af->file) {
		int e = errno;

		close(fd);
		return -e;
	}
	return 0;
}

int atomic_file_open(struct atomic_file *af, const char *path, char *err, size_t errlen)
{
	struct output_target target;
	int fd, ret;

	memset(af, 0, sizeof(*af));
	af->path = strdup(path);
	if (!af->path)
		return -ENOMEM;
	ret = output_target_open(path, false, &target, err, errlen);
	if (ret) {
		free(af->path);
		af->path = NULL;
		return ret;
	}
	if (target.stream) {
		ret = open_stream(af, target.fd);
		if (ret)
			goto fail;
		return 0;
	}
	if (asprintf(&af->tmp_path, "%s.tmpXXXXXX", path) < 0) {
		af->tmp_path = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	fd = mkstemp(af->tmp_path); /* O_EXCL, mode 0600 */
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	af->file = fdopen(fd, "w");
	if (!af->file) {
		ret = -errno;
		close(fd);
		unlink(af->tmp_path);
		goto fail;
	}
	af->iobuf = malloc(1 << 20); /* glibc ignores the size without a buffer of ours */
	if (af->iobuf)
		setvbuf(af->file, af->iobuf, _IOFBF, 1 << 20);
	return 0;
fail:
	snprintf(err, errlen, "cannot create %s: %s", path, strerror(-ret));
	free(af->tmp_path);
	free(af->path);
	free(af->iobuf);
	memset(af, 0, sizeof(*af));
	return ret;
}

static int finish_stream(struct atomic_file *af)
{
	int ret = 0;

	if (fflush(af->file) || ferror(af->file))
		ret = errno ? -errno : -EIO;
	if (af->tmp_path && !ret && fsync(fileno(af->file)))
		ret = -errno;
	if (af->file != stdout && fclose(af->file) && !ret)
		ret = errno ? -errno : -EIO;
	af->file = NULL;
	return ret;
}

int atomic_file_close(struct atomic_file *af, bool keep_partial, char *err, size_t errlen)
{
	int ret;

	if (!af->file)
		return 0;
	errno = 0;
	ret = finish_stream(af);
	if (ret)
		snprintf(err, errlen, "writing %s: %s", af->path, strerror(-ret));
	if (af->tmp_path && (!ret || keep_partial) && rename(af->tmp_path, af->path)) {
		int e = errno;

		if (!ret)
			snprintf(err, errlen, "cannot create %s: %s", af->path, strerror(e));
		ret = ret ? ret : -e;
		unlink(af->tmp_path);
	} else if (af->tmp_path && ret && !keep_partial) {
		unlink(af->tmp_path);
	}
	free(af->tmp_path);
	free(af->path);
	free(af->iobuf);
	memset(af, 0, sizeof(*af));
	return ret;
}
