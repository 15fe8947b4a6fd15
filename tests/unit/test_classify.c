/* Demangling and classification of Rust symbols as rustc 1.95 emits them. */
#include <stdlib.h>

#include "check.h"
#include "probe/classify.h"
#include "probe/rust_demangle.h"

int check_passed, check_failed;

static void test_demangle(void)
{
	char *p;

	/* Legacy mangling: wl_tokio::nested_inner::{{closure}} */
	p = rust_demangle_path("_ZN8wl_tokio12nested_inner28_$u7b$$u7b$closure$u7d$$u7d$"
			       "17h0123456789abcdefE");
	CHECK_STR(p, "wl_tokio::nested_inner::{{closure}}");
	free(p);
	p = rust_demangle_path("_ZN69_$LT$wl_tokio..SpinFuture$u20$as$u20$core..future..future.."
			       "Future$GT$4poll17h0123456789abcdefE");
	CHECK_STR(p, "<wl_tokio::SpinFuture as core::future::future::Future>::poll");
	free(p);
	/* LLVM's suffix on promoted locals in optimised builds */
	p = rust_demangle_path("_ZN5tokio7runtime4task3raw4poll17h032767a02067403dE.llvm."
			       "5853865406810272542");
	CHECK_STR(p, "tokio::runtime::task::raw::poll");
	free(p);
	/* ".." inside a legacy path is not a suffix */
	p = rust_demangle_path("_ZN69_$LT$wl_tokio..SpinFuture$u20$as$u20$core..future..future.."
			       "Future$GT$4poll17h0123456789abcdefE.cold");
	CHECK_STR(p, "<wl_tokio::SpinFuture as core::future::future::Future>::poll");
	free(p);
	/* v0 mangling */
	p = rust_demangle_path("_RNvCs1234_5hello4main");
	CHECK_STR(p, "hello::main");
	free(p);
	/* C and C++ symbols are not Rust */
	CHECK(rust_demangle_path("main") == NULL);
	CHECK(rust_demangle_path("_ZN3foo3barEv") == NULL);
	CHECK(!rust_symbol_is_mangled("_ZN3foo3barE"));
	CHECK(rust_symbol_is_mangled("_ZN3foo3bar17h0123456789abcdefE"));
}

static void check_class(const char *path, enum future_kind kind, const char *crate)
{
	struct path_class pc;

	classify_path(path, &pc);
	CHECK(pc.kind == kind);
	CHECK_STR(pc.crate, crate);
}

static void test_classify(void)
{
	check_class("wl_tokio::nested_inner::{{closure}}", FUTURE_ASYNC_FN, "wl_tokio");
	check_class("wl_tokio::blocker_task::{{closure}}::{{closure}}", FUTURE_ASYNC_BLOCK,
		    "wl_tokio");
	check_class("app::f::{closure#0}", FUTURE_ASYNC_FN, "app");
	check_class("<wl_tokio::SpinFuture as core::future::future::Future>::poll",
		    FUTURE_USER_FUTURE, "wl_tokio");
	check_class("<tokio::time::sleep::Sleep as core::future::future::Future>::poll",
		    FUTURE_USER_FUTURE, "tokio");
	check_class("<&mut F as core::future::future::Future>::poll", FUTURE_USER_FUTURE, "core");
	check_class("<core::pin::Pin<P> as core::future::future::Future>::poll", FUTURE_USER_FUTURE,
		    "core");
	check_class("wl_tokio::main", FUTURE_NONE, "wl_tokio");
	check_class("tokio::runtime::task::raw::poll", FUTURE_NONE, "tokio");
	/* A method merely named poll on a non-Future trait is not a future. */
	check_class("<app::X as app::Poller>::poll", FUTURE_NONE, "app");
}

static void check_display(const char *path, enum future_kind kind, const char *dwarf,
			  const char *want)
{
	char *name = display_name(path, kind, dwarf);

	CHECK_STR(name, want);
	free(name);
}

static void test_display(void)
{
	check_display("wl_tokio::nested_inner::{{closure}}", FUTURE_ASYNC_FN, "{async_fn#0}",
		      "wl_tokio::nested_inner");
	check_display("wl_tokio::blocker_task::{{closure}}::{{closure}}", FUTURE_ASYNC_BLOCK,
		      "{async_block#0}", "wl_tokio::blocker_task::{async_block#0}");
	check_display("wl_tokio::blocker_task::{{closure}}::{{closure}}", FUTURE_ASYNC_BLOCK, NULL,
		      "wl_tokio::blocker_task::{async_block}");
	check_display("app::f::{{closure}}", FUTURE_CLOSURE, "{closure#1}", "app::f::{closure#1}");
	check_display("<wl_tokio::SpinFuture as core::future::future::Future>::poll",
		      FUTURE_USER_FUTURE, NULL, "wl_tokio::SpinFuture");
	/* hyper's hello server: #[tokio::main]'s body and the make-service
	 * block inside it have the same symbol shape but are two futures */
	check_display("hyper_hello::main::{{closure}}", FUTURE_ASYNC_BLOCK,
		      "hyper_hello::main::{async_block#0}", "hyper_hello::main::{async_block#0}");
	check_display("hyper_hello::main::{{closure}}::{{closure}}::{{closure}}",
		      FUTURE_ASYNC_BLOCK,
		      "hyper_hello::main::{async_block#0}::{closure#0}::{async_block#0}",
		      "hyper_hello::main::{async_block#0}::{closure#0}::{async_block#0}");
	/* a block in an async fn's body: the body is the fn, as the task type
	 * names the same future (test_task_type) */
	check_display("usage_example::main::main::{{closure}}::{{closure}}", FUTURE_ASYNC_BLOCK,
		      "usage_example::main::main::{async_fn#0}::{async_block#0}",
		      "usage_example::main::main::{async_block#0}");
	check_display("app::serve::{{closure}}", FUTURE_ASYNC_FN, "app::serve::{async_fn#0}",
		      "app::serve");
	/* v0 demangling, generic closure */
	check_display("app::run::{closure#0}::{closure#1}", FUTURE_CLOSURE,
		      "app::run::{async_fn#0}::{closure#1}<u32>", "app::run::{closure#1}");
}

/* A future's body and its state machine type name it the same. */
static void test_future_path_name(void)
{
	static const char *const pairs[][2] = {
	    {"app::main::{async_block_env#0}", "app::main::{async_block#0}"},
	    {"app::main::{async_fn#0}::{async_block_env#1}", "app::main::{async_block#1}"},
	    {"app::conn::{async_fn_env#0}", "app::conn"},
	    {"app::f::{closure_env#2}<alloc::vec::Vec<u8>>", "app::f::{closure#2}"},
	    {"app::{impl#3}::poll::{async_fn#0}", "app::{impl#3}::poll"},
	};
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char *got = future_path_name(pairs[i][0], strlen(pairs[i][0]));

		CHECK_STR(got, pairs[i][1]);
		free(got);
	}
}

int main(void)
{
	test_demangle();
	test_classify();
	test_display();
	test_future_path_name();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
