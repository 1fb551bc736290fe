#!/bin/sh
# size-command: size(1)'s columns for a small program; dec should be text + data + bss
set -e
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
printf 'int g = 1; int z; int main(void) { return g + z; }\n' > "$d/p.c"
gcc -O0 -o "$d/p" "$d/p.c"
size "$d/p" | awk 'NR == 2 { print "text", $1; print "data", $2; print "bss", $3; print "dec", $4 }'
