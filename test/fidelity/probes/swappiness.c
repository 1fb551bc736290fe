/* swappiness: the cache-first probe, run with the file read twice (its cache active) in cgroups of two
 * memory.swappiness values: how much anonymous memory each swaps out */
#include "cache-first.c"
