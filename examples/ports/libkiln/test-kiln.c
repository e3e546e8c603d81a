/* Run by `make check` (dh_auto_test): the greeting is exact, and a too-small buffer is refused. */
#include <stdio.h>
#include <string.h>

#include "kiln.h"

int main(void)
{
	char buf[64];
	char tiny[8];

	if (kiln_greet(buf, sizeof buf, "tester") < 0 || strcmp(buf, "Hello, tester! (libkiln 1.0)") != 0) {
		fprintf(stderr, "unexpected greeting: %s\n", buf);
		return 1;
	}
	if (kiln_greet(tiny, sizeof tiny, "tester") != -1) {
		fprintf(stderr, "a too-small buffer was accepted\n");
		return 1;
	}
	puts("libkiln: all checks passed");
	return 0;
}
