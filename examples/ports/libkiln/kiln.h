/* libkiln: the smallest useful shared library, so the example tree has a real build-dependency chain. */
#ifndef KILN_H
#define KILN_H

#include <stddef.h>

/* The library's version, e.g. "1.0". */
const char *kiln_version(void);

/* Writes "Hello, <name>! (libkiln <version>)" into buf; returns its length, or -1 when it does not fit. */
int kiln_greet(char *buf, size_t size, const char *name);

#endif
