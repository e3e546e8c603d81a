#include <stdio.h>

#include "kiln.h"

#define KILN_VERSION "1.0"

const char *kiln_version(void)
{
	return KILN_VERSION;
}

int kiln_greet(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, "Hello, %s! (libkiln %s)", name, KILN_VERSION);

	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}
