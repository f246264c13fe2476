/* optdaemon detaches only when given -d, the way memcached and nutcracker
   document their daemon flag; it is installed under those names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *p = getenv("PIDFILE");
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--daemon") == 0 || strcmp(argv[i], "--daemonize") == 0)
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
