/* Output files that appear whole or not at all: a regular file (or a name
 * not taken yet) is written to a temporary file in the same directory
 * (created with O_EXCL, mode 0600, so a planted link is never followed) and
 * renamed over the path at the end. Anything else (stdout for "-", a
 * terminal, a FIFO, /dev/null) is written to as it is: see output_target.h
 * for what is refused. */
#ifndef CATTOP_ATOMIC_FILE_H
#define CATTOP_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct atomic_file {
	FILE *file;
	char *path;
	char *tmp_path; /* NULL when written to as it is */
	char *iobuf;
};

/* Returns 0, or -errno with "cannot create PATH: why" in err. */
int atomic_file_open(struct atomic_file *af, const char *path, char *err, size_t errlen);
/* Flushes, syncs and renames into place. After a write error the partial
 * file is kept if keep_partial, else removed. Returns 0, or -errno with a
 * reason in err. */
int atomic_file_close(struct atomic_file *af, bool keep_partial, char *err, size_t errlen);

#endif
