/*
 * glibc < 2.38 compatibility shim for the @earthmover/icechunk native binding, which references
 * the C23 aliases __isoc23_sscanf and __isoc23_strtol that only glibc >= 2.38 exports.
 * Build: cc -shared -fPIC -O2 -o libglibc-compat.so glibc-compat.c
 * Use:   LD_PRELOAD=/path/to/libglibc-compat.so node ...
 * The C23 variants differ from the classic ones only in accepting "0b" binary prefixes, which the
 * binding does not rely on for the formats it parses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int __isoc23_sscanf(const char *str, const char *format, ...) {
  va_list args;
  va_start(args, format);
  int result = vsscanf(str, format, args);
  va_end(args);
  return result;
}

long __isoc23_strtol(const char *nptr, char **endptr, int base) {
  return strtol(nptr, endptr, base);
}
