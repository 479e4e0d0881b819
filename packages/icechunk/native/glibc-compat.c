/*
 * glibc < 2.38 compatibility shim for the @earthmover/icechunk native binding, which references
 * the C23 aliases __isoc23_sscanf and __isoc23_strtol that only glibc >= 2.38 exports.
 *
 * @vz/icechunk loads it by itself before the binding (process.dlopen with RTLD_GLOBAL, so the
 * binding's undefined symbols resolve to these definitions); it also works with LD_PRELOAD.
 * It is a valid (empty) Node-API module so that process.dlopen keeps it loaded.
 *
 * Build: cc -std=c11 -shared -fPIC -O2 -o libvz-glibc-compat.so glibc-compat.c
 * The C23 variants differ from the classic ones only in accepting "0b" binary prefixes, which the
 * binding does not rely on for the formats it parses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* On glibc >= 2.38 with C23/GNU features the headers would redirect strtol/vsscanf to the
 * __isoc23_ names this file defines (infinite recursion); build with -std=c11 there. */
#if (defined(__GLIBC_USE_C2X_STRTOL) && __GLIBC_USE_C2X_STRTOL) || (defined(__GLIBC_USE_C23_STRTOL) && __GLIBC_USE_C23_STRTOL)
#error "build glibc-compat.c with -std=c11 (without _GNU_SOURCE): the C23 redirects are on"
#endif

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

/* Node-API entry point: exports nothing. (napi_env and napi_value are opaque pointers.) */
void *napi_register_module_v1(void *env, void *exports) {
  (void)env;
  return exports;
}
