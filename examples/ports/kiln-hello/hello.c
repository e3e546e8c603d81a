/* kiln-hello: an architecture-dependent program with no build dependency beyond debhelper. */
#include <stdio.h>

int main(void)
{
	printf("Hello from Kiln, built for a %zu-bit system.\n", sizeof(void *) * 8);
	return 0;
}
