/* The built-in config, a file on top of it, and bad lines reported as FILE:LINE. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "config/config.h"

int check_passed, check_failed;

static char *write_temp(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/cattop-cfg-XXXXXX");
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static int load(struct config *cfg, const char *text, char *err, size_t len)
{
	char *path = write_temp(text);
	int ret = config_load_file(cfg, path, err, len);

	unlink(path);
	return ret;
}

static void test_defaults(void)
{
	struct config cfg;
	const struct runtime_profile *tokio;

	CHECK(config_init(&cfg) == 0);
	CHECK(cfg.threshold_ns == 100000);
	CHECK(cfg.interval_ns == 1000000000ULL);
	CHECK(cfg.scope == SCOPE_APP);
	/* tokio, async-std, smol, futures-rs's three executors, and "any" */
	CHECK(cfg.runtime_count == 7);
	CHECK(config_find_runtime(&cfg, "futures-threadpool") &&
	      pattern_list_matches(&config_find_runtime(&cfg, "futures-threadpool")->detect,
				   "futures_executor::thread_pool::ThreadPool::spawn_obj_ok"));
	CHECK(config_find_runtime(&cfg, "futures-block_on") &&
	      pattern_list_matches(&config_find_runtime(&cfg, "futures-block_on")->detect,
				   "futures_executor::local_pool::block_on"));
	/* taken when nothing is detected: it detects nothing itself */
	CHECK(config_find_runtime(&cfg, "any") &&
	      config_find_runtime(&cfg, "any")->detect.count == 0);
	tokio = config_find_runtime(&cfg, "tokio");
	CHECK(tokio && pattern_list_matches(&tokio->task_poll, "tokio::runtime::task::raw::poll"));
	CHECK(config_find_runtime(&cfg, "smol") != NULL);
	CHECK(pattern_list_matches(&config_find_runtime(&cfg, "smol")->task_poll,
				   "async_task::raw::RawTask<F,T,S>::run"));
	/* Multi-line list values keep every continuation line. */
	CHECK(pattern_list_contains(&cfg.library_crates, "std"));
	CHECK(pattern_list_contains(&cfg.library_crates, "futures_util"));
	CHECK(pattern_list_contains(&cfg.library_crates, "signal_hook"));
	config_free(&cfg);
}

static void test_overrides_and_errors(void)
{
	struct config cfg;
	char err[256] = "";

	CHECK(config_init(&cfg) == 0);
	CHECK(load(&cfg,
		   "[cattop]\nthreshold = 2ms\n[runtime glommio]\ndetect = glommio::*\n"
		   "task_poll = glommio::task::raw::RawTask<*>::run\n",
		   err, sizeof(err)) == 0);
	CHECK(cfg.threshold_ns == 2000000);
	CHECK(cfg.runtime_count == 8);
	CHECK(config_find_runtime(&cfg, "glommio") != NULL);

	CHECK(load(&cfg, "[cattop]\n\nbogus = 1\n", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, ":3: unknown key 'bogus' in [cattop]") != NULL);
	CHECK(load(&cfg, "[cattop]\nthreshold = -5ms\n", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, ":2: bad value '-5ms' for 'threshold'") != NULL);
	CHECK(load(&cfg, "[nonsense]\nx = 1\n", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, ":2: unknown section [nonsense]") != NULL);
	CHECK(load(&cfg, "[cattop\nx\n", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, ":1: malformed line") != NULL);
	CHECK(load(&cfg, "[cattop]\nringbuf_mb = 3\n", err, sizeof(err)) == -EINVAL);
	/* listen: empty by default (no metrics), checked as --listen is */
	CHECK(cfg.listen[0] == '\0');
	CHECK(load(&cfg, "[cattop]\nlisten = [::1]:9464\n", err, sizeof(err)) == 0);
	CHECK(strcmp(cfg.listen, "[::1]:9464") == 0);
	CHECK(load(&cfg, "[cattop]\nlisten = localhost:99999\n", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, ":2: bad value 'localhost:99999' for 'listen'") != NULL);
	CHECK(config_load_file(&cfg, "/nonexistent/cattop.ini", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "cannot open") != NULL);
	config_free(&cfg);
}

/* What is not a config file is refused at once, never read forever or
 * silently ignored; an overlong line is an error of its own, not a phantom
 * key on the next line. */
static void test_not_config_files(void)
{
	char err[256] = "", line[512], *path;
	struct config cfg;
	FILE *f;

	CHECK(config_init(&cfg) == 0);
	CHECK(config_load_file(&cfg, "/tmp", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "/tmp: not a regular file") != NULL);
	CHECK(config_load_file(&cfg, "/dev/zero", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "/dev/zero: not a regular file") != NULL);
	snprintf(line, sizeof(line), "[cattop]\nexclude = %0300d threshold = 1ms\n", 0);
	CHECK(load(&cfg, line, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, ":2: line too long") != NULL);
	CHECK(cfg.threshold_ns == 100000); /* the tail was not read as a key */
	CHECK(load(&cfg, "[cattop]\nthreshold = 3ms\n", err, sizeof(err)) == 0);
	CHECK(cfg.threshold_ns == 3000000);
	path = write_temp("[cattop]\n");
	f = fopen(path, "a");
	fwrite("x\0y = 1\n", 1, 8, f);
	fclose(f);
	CHECK(config_load_file(&cfg, path, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "NUL byte") != NULL);
	unlink(path);
	config_free(&cfg);
}

int main(void)
{
	test_defaults();
	test_overrides_and_errors();
	test_not_config_files();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
