/* daemonize detaches with daemon(3), as memcached -d and the C hd-idle do. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	const char *p = getenv("PIDFILE");
	if (daemon(0, 0) != 0)
		return 1;
	if (p) {
		FILE *f = fopen(p, "w");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	for (;;)
		pause();
}
