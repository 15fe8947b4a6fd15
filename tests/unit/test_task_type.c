/* Task types named from the DW_AT_name of runtime task poll entries, as
 * rustc 1.95 writes them for tokio 1.24 and async-task 4. */
#include <stdlib.h>

#include "check.h"
#include "probe/task_type.h"

int check_passed, check_failed;

static void check_type(const char *dwarf_name, const char *want)
{
	char *got = task_type_name(dwarf_name);

	if (want)
		CHECK_STR(got, want);
	else
		CHECK(got == NULL);
	free(got);
}

/* hyper 0.14's connection task under tokio, as rustc names the task poll
 * entry of the hello server (debug and release alike): the task runs
 * hyper's NewSvcTask; the app's futures are what it is generic over. The
 * handler is a fn pointer's return type: never the task's name. */
static const char hyper_task[] =
    "poll<hyper::server::server::new_svc::NewSvcTask<hyper::server::tcp::addr_stream::"
    "AddrStream, hyper_hello::main::{async_block#0}::{closure#0}::{async_block_env#0}, "
    "hyper::service::util::ServiceFn<fn(http::request::Request<hyper::body::body::Body>) -> "
    "hyper_hello::hello::{async_fn_env#0}, hyper::body::body::Body>, hyper::common::exec::"
    "Exec, hyper::server::server::NoopWatcher>, alloc::sync::Arc<tokio::runtime::scheduler::"
    "multi_thread::handle::Handle, alloc::alloc::Global>>";

static void test_library_task_type(void)
{
	struct task_type t;

	CHECK(task_type_parse(hyper_task, &t) == 1);
	CHECK_STR(t.name, "hyper::server::server::new_svc::NewSvcTask");
	CHECK(t.inner_count == 2);
	if (t.inner_count == 2) {
		CHECK_STR(t.inner[0],
			  "hyper_hello::main::{async_block#0}::{closure#0}::{async_block#0}");
		CHECK_STR(t.inner[1], "hyper_hello::hello");
	}
	task_type_free(&t);
	/* an app future as the task: no detail */
	CHECK(task_type_parse("poll<app::conn::{async_fn_env#0}, Arc<H>>", &t) == 1);
	CHECK_STR(t.name, "app::conn");
	CHECK(t.inner_count == 0);
	task_type_free(&t);
	CHECK(task_type_parse("poll", &t) == 0);
	CHECK(t.name == NULL && t.inner_count == 0);
}

int main(void)
{
	test_library_task_type();
	check_type(
	    "poll<bench_tokio::conn_loop::{async_fn_env#0}, alloc::sync::Arc<tokio::runtime::"
	    "scheduler::multi_thread::handle::Handle, alloc::alloc::Global>>",
	    "bench_tokio::conn_loop");
	/* async-std: spawn's async block around SupportTaskLocals around the task */
	check_type(
	    "run<async_executor::{impl#4}::spawn::{async_block_env#0}<bench_async_std::common::"
	    "Response, async_std::task::builder::SupportTaskLocals<bench_async_std::"
	    "handle_request::{async_fn_env#0}>>, bench_async_std::common::Response, "
	    "async_executor::{impl#4}::schedule::{closure_env#0}>",
	    "bench_async_std::handle_request");
	/* a closure is not a future: the async block around it is the task */
	check_type(
	    "run<blocking::unblock::{async_block_env#0}<core::result::Result<(), std::io::error::"
	    "Error>, async_net::addr::{impl#15}::to_socket_addrs::{closure_env#0}>, (), "
	    "blocking::{impl#0}::spawn::{closure_env#0}<()>>",
	    "blocking::unblock::{async_block#0}");
	check_type("poll<app::main::{async_block_env#3}, alloc::sync::Arc<Handle>>",
		   "app::main::{async_block#3}");
	/* #[tokio::main]'s body and the make-service block inside it are two
	 * futures: two names */
	check_type("poll<hyper_hello::main::{async_block_env#0}, alloc::sync::Arc<Handle>>",
		   "hyper_hello::main::{async_block#0}");
	check_type("poll<hyper_hello::main::{async_block#0}::{closure#0}::{async_block_env#0}, "
		   "alloc::sync::Arc<Handle>>",
		   "hyper_hello::main::{async_block#0}::{closure#0}::{async_block#0}");
	/* a block inside an async fn's body: the body is the fn, as in the
	 * future's own name (async-std's #[async_std::main] on the CAT paper's
	 * usage example) */
	check_type(
	    "run<async_executor::{impl#4}::spawn::{async_block_env#0}<(), async_std::task::"
	    "builder::SupportTaskLocals<usage_example::main::main::{async_fn#0}::"
	    "{async_block_env#0}>>, (), async_executor::{impl#4}::schedule::{closure_env#0}>",
	    "usage_example::main::main::{async_block#0}");
	/* no async environment: the first argument without its generics */
	check_type("poll<tokio::runtime::blocking::task::BlockingTask<app::f::{closure_env#0}>, "
		   "tokio::runtime::blocking::schedule::BlockingSchedule>",
		   "tokio::runtime::blocking::task::BlockingTask");
	check_type("poll", NULL);
	check_type("poll<>", NULL);
	check_type(NULL, NULL);
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
