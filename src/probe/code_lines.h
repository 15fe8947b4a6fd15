/* Source lines of code addresses, for await points: the return address of a
 * child future's poll points just after the call in its parent, and the
 * line of that call is the parent's .await. In optimised code the call sits
 * in inlined glue (core's IntoFuture, a runtime's poll_fn): the line shown
 * is then the outermost inlined call site in the program's own source.
 * Needs line tables (debug = 1 is enough). */
#ifndef CATTOP_CODE_LINES_H
#define CATTOP_CODE_LINES_H

#include <stdbool.h>
#include <stdint.h>

struct code_lines;

/* Returns 0, or -errno (-ENODATA: no DWARF). */
int code_lines_open(const char *elf_path, struct code_lines **out);
void code_lines_free(struct code_lines *cl);

/* "file:line" of the call that returns to ret_vaddr (a link-time address),
 * or NULL. Answers are cached: a live view asks for the same few often. */
const char *code_lines_call_site(struct code_lines *cl, uint64_t ret_vaddr);

/* Whether the call that returns to ret_vaddr (link-time) is in code that
 * an optimised build inlined from a function matching patterns (globs on
 * demangled paths): such a caller has no symbol of its own. Not cached. */
struct pattern_list;
bool code_lines_inlined_from(struct code_lines *cl, uint64_t ret_vaddr,
			     const struct pattern_list *patterns);

#endif
