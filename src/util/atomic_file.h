/* Output files that appear whole or not at all: written to a temporary file
 * in the same directory (created with O_EXCL, mode 0600, so a planted link
 * is never followed) and renamed over the path at the end. "-" is stdout. */
#ifndef CATTOP_ATOMIC_FILE_H
#define CATTOP_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct atomic_file {
	FILE *file;
	char *path;
	char *tmp_path; /* NULL for stdout */
	char *iobuf;
};

/* Returns 0, or -errno with "cannot create PATH: why" in err. */
int atomic_file_open(struct atomic_file *af, const char *path, char *err, size_t errlen);
/* Flushes, syncs and renames into place. After a write error the partial
 * file is kept if keep_partial, else removed. Returns 0, or -errno with a
 * reason in err. */
int atomic_file_close(struct atomic_file *af, bool keep_partial, char *err, size_t errlen);

#endif
