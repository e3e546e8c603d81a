/* kiln-greet: prints libkiln's greeting, so it only builds once libkiln-dev is installable. */
#include <stdio.h>

#include <kiln.h>

int main(int argc, char **argv)
{
	char buf[256];
	const char *name = argc > 1 ? argv[1] : "world";

	if (kiln_greet(buf, sizeof buf, name) < 0) {
		fprintf(stderr, "kiln-greet: name too long\n");
		return 1;
	}
	puts(buf);
	return 0;
}
