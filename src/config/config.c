#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export/listen_address.h"
#include "model/task_sort.h"
#include "util/duration.h"
#include "default_config.h" /* generated: default_config_text */

/* A config file is small: anything bigger is not one. */
#define MAX_CONFIG_BYTES (1 << 20)

struct parse_ctx {
	struct config *cfg;
	const char *source;
	char *err;
	size_t errlen;
	bool failed;
	char last_key[96]; /* "section/key" of the previous value */
	char why[160];	   /* what the first refused value got wrong */
};

static void pattern_list_clear(struct pattern_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* "a, b ,c" replaces the list (an empty value empties it), or extends it
 * when the value continues the previous line (inih multi-line values). */
static int pattern_list_set(struct pattern_list *list, const char *value, bool append)
{
	char *copy = strdup(value), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	if (!append)
		pattern_list_clear(list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char **grown, *item = trim(tok);

		if (!*item)
			continue;
		grown = realloc(list->items, (list->count + 1) * sizeof(*grown));
		if (!grown || !(grown[list->count] = strdup(item))) {
			if (grown)
				list->items = grown;
			err = -ENOMEM;
			break;
		}
		list->items = grown;
		list->count++;
	}
	free(copy);
	return err;
}

bool pattern_list_matches(const struct pattern_list *list, const char *text)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		if (fnmatch(list->items[i], text, 0) == 0)
			return true;
	return false;
}

bool pattern_list_contains(const struct pattern_list *list, const char *text)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		if (strcmp(list->items[i], text) == 0)
			return true;
	return false;
}

const struct runtime_profile *config_find_runtime(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->runtime_count; i++)
		if (strcmp(cfg->runtimes[i].name, name) == 0)
			return &cfg->runtimes[i];
	return NULL;
}

static int set_duration(uint64_t *field, const char *value)
{
	return duration_parse(value, 0, field);
}

static int set_count(size_t *field, const char *value, size_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(value, &end, 10);
	if (errno || end == value || *end || v > max || value[0] == '-')
		return -EINVAL;
	*field = v;
	return 0;
}

int (*config_color_hook)(const char *role, const char *value);

static int set_bool(bool *field, const char *value)
{
	if (!strcmp(value, "yes") || !strcmp(value, "on") || !strcmp(value, "true"))
		*field = true;
	else if (!strcmp(value, "no") || !strcmp(value, "off") || !strcmp(value, "false"))
		*field = false;
	else
		return -EINVAL;
	return 0;
}

/* Checked here, so a bad address is reported with its file and line. */
static int set_listen(struct config *cfg, const char *value)
{
	struct sockaddr_storage addr;
	socklen_t len;
	char err[256];

	if (*value && (strlen(value) >= sizeof(cfg->listen) ||
		       metrics_listen_parse(value, &addr, &len, err, sizeof(err))))
		return -EINVAL;
	snprintf(cfg->listen, sizeof(cfg->listen), "%s", value);
	return 0;
}

static int set_general(struct config *cfg, const char *key, const char *value, bool append)
{
	enum task_sort sort;
	size_t mb;
	int err;

	if (strcmp(key, "sort") == 0) {
		if (!task_sort_parse(value, &sort))
			return -EINVAL;
		return snprintf(cfg->sort, sizeof(cfg->sort), "%s", value), 0;
	}
	if (strcmp(key, "color") == 0)
		return set_bool(&cfg->color, value);
	if (strcmp(key, "closures") == 0)
		return set_bool(&cfg->closures, value);
	if (strcmp(key, "wakes") == 0)
		return set_bool(&cfg->wakes, value);
	if (strcmp(key, "split") == 0)
		return set_bool(&cfg->split, value);
	if (strcmp(key, "light") == 0)
		return set_bool(&cfg->light, value);
	if (strcmp(key, "listen") == 0)
		return set_listen(cfg, value);
	if (strcmp(key, "duty") == 0) {
		err = set_count(&mb, value, 100); /* 0: not set; 100: all the time */
		if (!err)
			cfg->duty_pct = (unsigned int)mb;
		return err;
	}
	if (strcmp(key, "threshold") == 0)
		return set_duration(&cfg->threshold_ns, value);
	if (strcmp(key, "interval") == 0) {
		err = set_duration(&cfg->interval_ns, value);
		return err ? err : cfg->interval_ns < 10 * NSEC_PER_MSEC ? -EINVAL : 0;
	}
	if (strcmp(key, "retain_done") == 0)
		return set_duration(&cfg->retain_done_ns, value);
	if (strcmp(key, "max_done_tasks") == 0)
		return set_count(&cfg->max_done_tasks, value, 1000000);
	if (strcmp(key, "ringbuf_mb") == 0) {
		err = set_count(&mb, value, 1024);
		/* The ring buffer size must be a power of two pages. */
		if (err || mb == 0 || (mb & (mb - 1)))
			return -EINVAL;
		cfg->ringbuf_bytes = mb << 20;
		return 0;
	}
	if (strcmp(key, "scope") == 0) {
		if (strcmp(value, "app") == 0)
			cfg->scope = SCOPE_APP;
		else if (strcmp(value, "all") == 0)
			cfg->scope = SCOPE_ALL;
		else
			return -EINVAL;
		return 0;
	}
	if (strcmp(key, "library_crates") == 0)
		return pattern_list_set(&cfg->library_crates, value, append);
	if (strcmp(key, "app_crates") == 0)
		return pattern_list_set(&cfg->app_crates, value, append);
	if (strcmp(key, "exclude") == 0)
		return pattern_list_set(&cfg->exclude, value, append);
	return -ENOENT;
}

static struct runtime_profile *runtime_section(struct config *cfg, const char *name)
{
	struct runtime_profile *rt = (struct runtime_profile *)config_find_runtime(cfg, name);

	if (rt || cfg->runtime_count == MAX_RUNTIMES || strlen(name) >= sizeof(rt->name))
		return rt;
	rt = &cfg->runtimes[cfg->runtime_count++];
	memset(rt, 0, sizeof(*rt));
	snprintf(rt->name, sizeof(rt->name), "%s", name);
	return rt;
}

static int set_runtime(struct config *cfg, const char *name, const char *key, const char *value,
		       bool append)
{
	struct runtime_profile *rt = runtime_section(cfg, name);

	if (!rt)
		return -E2BIG;
	if (strcmp(key, "detect") == 0)
		return pattern_list_set(&rt->detect, value, append);
	if (strcmp(key, "task_poll") == 0)
		return pattern_list_set(&rt->task_poll, value, append);
	if (strcmp(key, "task_end") == 0)
		return pattern_list_set(&rt->task_end, value, append);
	if (strcmp(key, "task_wake") == 0)
		return pattern_list_set(&rt->task_wake, value, append);
	if (strcmp(key, "task_wake_deferred") == 0)
		return pattern_list_set(&rt->task_wake_deferred, value, append);
	if (strcmp(key, "task_poll_catches_panics") == 0)
		return set_bool(&rt->task_poll_catches_panics, value);
	return -ENOENT;
}

/* Debian's inih passes no line number to the handler; ini_parse returns
 * the line of the first value the handler refused, so the handler only says
 * what was wrong and finish_parse() says where. */
static int on_ini_value(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *ctx = user;
	char this_key[sizeof(ctx->last_key)];
	bool append;
	int err;

	snprintf(this_key, sizeof(this_key), "%s/%s", section, key);
	append = strcmp(this_key, ctx->last_key) == 0;
	memcpy(ctx->last_key, this_key, sizeof(this_key));
	if (strcmp(section, "cattop") == 0)
		err = set_general(ctx->cfg, key, value, append);
	else if (strncmp(section, "runtime ", 8) == 0 && section[8])
		err = set_runtime(ctx->cfg, section + 8, key, value, append);
	else if (strcmp(section, "colors") == 0)
		err = config_color_hook ? config_color_hook(key, value) : 0;
	else
		err = -ESRCH;
	if (!err)
		return 1;
	if (ctx->failed)
		return 0;
	ctx->failed = true;
	if (err == -ESRCH)
		snprintf(ctx->why, sizeof(ctx->why), "unknown section [%s]", section);
	else if (err == -E2BIG)
		snprintf(ctx->why, sizeof(ctx->why), "too many runtimes (at [%s])", section);
	else if (err == -ENOENT)
		snprintf(ctx->why, sizeof(ctx->why), "unknown key '%s' in [%s]", key, section);
	else
		snprintf(ctx->why, sizeof(ctx->why), "bad value '%s' for '%s' in [%s]", value, key,
			 section);
	return 0;
}

static int finish_parse(struct parse_ctx *ctx, int rc)
{
	if (rc == 0 && !ctx->failed)
		return 0;
	if (rc == -1)
		snprintf(ctx->err, ctx->errlen, "%s: cannot open: %s", ctx->source,
			 strerror(errno));
	else if (rc == -2)
		snprintf(ctx->err, ctx->errlen, "%s: out of memory", ctx->source);
	else
		snprintf(ctx->err, ctx->errlen, "%s:%d: %s", ctx->source, rc,
			 ctx->failed ? ctx->why : "malformed line");
	return -EINVAL;
}

int config_init(struct config *cfg)
{
	char err[256];
	struct parse_ctx ctx = {cfg, "built-in config", err, sizeof(err), false, "", ""};

	memset(cfg, 0, sizeof(*cfg));
	if (finish_parse(&ctx, ini_parse_string(default_config_text, on_ini_value, &ctx))) {
		fprintf(stderr, "cattop: %s\n", err);
		config_free(cfg);
		return -EINVAL;
	}
	return 0;
}

/* The file's text, read whole: only a regular file (a directory, FIFO or
 * /dev/zero would be ignored or read forever), of bounded size. */
static char *read_config_text(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	char *text = NULL;
	struct stat st;
	ssize_t n = -1;

	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		snprintf(err, errlen, "%s: not a regular file", path);
	else if (st.st_size > MAX_CONFIG_BYTES)
		snprintf(err, errlen, "%s: too big for a config file (over %d KiB)", path,
			 MAX_CONFIG_BYTES >> 10);
	else if (!(text = malloc((size_t)st.st_size + 1)))
		snprintf(err, errlen, "%s: out of memory", path);
	else if ((n = read(fd, text, (size_t)st.st_size)) < 0)
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	close(fd);
	if (n < 0) {
		free(text);
		return NULL;
	}
	text[n] = '\0';
	if (strlen(text) != (size_t)n) {
		snprintf(err, errlen, "%s: not a text file (it holds a NUL byte)", path);
		free(text);
		return NULL;
	}
	return text;
}

/* inih reads a line of up to ini_max_line - 1 bytes, newline included, and
 * the rest of a longer one as the next line: a phantom key there. */
static int check_line_lengths(const char *text, const char *path, char *err, size_t errlen)
{
	size_t max = ini_max_line > 2 ? (size_t)ini_max_line - 2 : 0;
	int line = 1;

	while (*text) {
		size_t len = strcspn(text, "\n");

		if (len > max) {
			snprintf(err, errlen, "%s:%d: line too long (over %zu characters)", path,
				 line, max);
			return -EINVAL;
		}
		text += len + (text[len] == '\n');
		line++;
	}
	return 0;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct parse_ctx ctx = {cfg, path, err, errlen, false, "", ""};
	char *text = read_config_text(path, err, errlen);
	int ret;

	if (!text)
		return -EINVAL;
	ret = check_line_lengths(text, path, err, errlen);
	if (!ret)
		ret = finish_parse(&ctx, ini_parse_string(text, on_ini_value, &ctx));
	free(text);
	return ret;
}

void config_free(struct config *cfg)
{
	size_t i;

	pattern_list_clear(&cfg->library_crates);
	pattern_list_clear(&cfg->app_crates);
	pattern_list_clear(&cfg->exclude);
	for (i = 0; i < cfg->runtime_count; i++) {
		pattern_list_clear(&cfg->runtimes[i].detect);
		pattern_list_clear(&cfg->runtimes[i].task_poll);
		pattern_list_clear(&cfg->runtimes[i].task_end);
		pattern_list_clear(&cfg->runtimes[i].task_wake);
		pattern_list_clear(&cfg->runtimes[i].task_wake_deferred);
	}
	cfg->runtime_count = 0;
}

int config_add_exclude(struct config *cfg, const char *patterns)
{
	return pattern_list_set(&cfg->exclude, patterns, true);
}
