/* Where a user-given output path (--snapshot, export -o, record -o) leads,
 * decided before anything is written. A regular file, or a name not taken
 * yet, is the caller's to create (atomically, or in place for a
 * recording). Anything else is written to as it is, the way a shell's `>`
 * would: stdout ("-"), a terminal, a FIFO with a reader, /dev/null,
 * /dev/stdout. Nothing that is not the path's own regular file is ever
 * removed or replaced: a device or FIFO is not turned into a file, a
 * symbolic link to a regular file is refused (as root, following a
 * planted link would overwrite its target), and so is a block device. */
#ifndef CATTOP_OUTPUT_TARGET_H
#define CATTOP_OUTPUT_TARGET_H

#include <stdbool.h>
#include <stddef.h>

struct output_target {
	bool stream; /* write to fd as it is; else create the regular file */
	int fd;	     /* stream: open for writing (STDOUT_FILENO for "-"), else -1 */
};

/* binary: the output is not text (a recording), so a terminal is refused.
 * Returns 0, or -errno with "cannot write PATH: why" in err. A stream's fd
 * is the caller's to close, unless it is STDOUT_FILENO. */
int output_target_open(const char *path, bool binary, struct output_target *out, char *err,
		       size_t errlen);

#endif
