#include "session/link_handoff.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* After the target exec'd its own binary, the kernel can take as long as
 * the process lives to unregister the uprobes (return instances of the old
 * program's threads hold its SRCU grace period open). A child takes over
 * the links and lets go of them once cattop has exited, so the user does
 * not wait: closing a shared link in cattop is then immediate. */
void link_handoff_to_child(void)
{
	int fds[2], null;
	char c;

	if (pipe(fds))
		return;
	switch (fork()) {
	case -1:
		break;
	case 0:
		close(fds[1]);
		null = open("/dev/null", O_RDWR);
		dup2(null, 0), dup2(null, 1), dup2(null, 2); /* not holding anyone's pipes */
		while (read(fds[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0); /* cattop has gone: the last close of the links is here */
	default:
		close(fds[0]);
		fcntl(fds[1], F_SETFD, FD_CLOEXEC); /* closes when cattop exits */
		return;
	}
	close(fds[0]);
	close(fds[1]);
}
