/* fg stays in its process: it imports nothing that makes one. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	const char *p = getenv("PIDFILE");
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
