#include <stdio.h>
#include "greeting.h" /* made at build time from kiln-arch-data's greeting.txt */

int main(void) {
  printf("%s (kiln-arch-hello, built for %s)\n", greeting, KILN_CARCH);
  return 0;
}
