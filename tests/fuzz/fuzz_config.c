/* libFuzzer harness: the INI config parser (src/config/config.c over libinih),
 * with the live view's [colors] hook installed as cattop installs it. Each
 * input is a `-c FILE` read on top of the built-in defaults; whatever it
 * leaves behind is then used the way a scan uses it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "ui/colors.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Paths a runtime's patterns are matched against during a scan. */
static const char *const sample_paths[] = {
    "tokio::runtime::task::raw::poll",
    "tokio::runtime::task::harness::Harness<T,S>::complete",
    "async_task::raw::RawTask<F,T,S,M>::run",
    "<app::Spin as core::future::future::Future>::poll",
    "app::handler::{{closure}}",
    "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[256];
	size_t i, j;

	config_color_hook = color_role_set;
	if (config_init(&cfg) != 0)
		abort(); /* the built-in config must always parse */
	err[0] = '\0';
	if (config_load_file(&cfg, fuzz_file(data, size), err, sizeof(err)) != 0 && !err[0])
		abort(); /* a refused file always says why */
	if (cfg.runtime_count > MAX_RUNTIMES || !memchr(cfg.sort, '\0', sizeof(cfg.sort)))
		abort();
	for (i = 0; i < cfg.runtime_count; i++) {
		const struct runtime_profile *rt = &cfg.runtimes[i];

		if (config_find_runtime(&cfg, rt->name) != rt)
			abort(); /* names are unique: the first is the one */
		for (j = 0; j < sizeof(sample_paths) / sizeof(sample_paths[0]); j++) {
			pattern_list_matches(&rt->detect, sample_paths[j]);
			pattern_list_matches(&rt->task_poll, sample_paths[j]);
			pattern_list_matches(&rt->task_end, sample_paths[j]);
		}
	}
	/* --exclude extends the file's [cattop] exclude. */
	if (config_add_exclude(&cfg, "wl_*::spin*, ,tokio::*") != 0)
		abort();
	for (j = 0; j < sizeof(sample_paths) / sizeof(sample_paths[0]); j++) {
		pattern_list_matches(&cfg.app_crates, sample_paths[j]);
		pattern_list_matches(&cfg.exclude, sample_paths[j]);
		pattern_list_contains(&cfg.library_crates, sample_paths[j]);
	}
	config_free(&cfg);
	return 0;
}
