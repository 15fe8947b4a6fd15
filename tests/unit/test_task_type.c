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

int main(void)
{
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
