#include "model/task_sort.h"

#include <stddef.h>
#include <strings.h>

bool task_sort_parse(const char *word, enum task_sort *out)
{
	static const struct {
		const char *word;
		enum task_sort sort;
	} words[] = {{"longest", SORT_MAX_POLL},
		     {"busy", SORT_BUSY},
		     {"polls", SORT_POLLS},
		     {"slow", SORT_SLOW},
		     {"inflight", SORT_INFLIGHT},
		     {"name", SORT_NAME},
		     {"id", SORT_ID},
		     {"busy%", SORT_BUSY_PCT},
		     {"idle", SORT_IDLE},
		     {"last", SORT_IDLE},
		     {"state", SORT_STATE},
		     {"sched", SORT_SCHED}};
	size_t i;

	for (i = 0; word && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(word, words[i].word) == 0) {
			*out = words[i].sort;
			return true;
		}
	return false;
}
