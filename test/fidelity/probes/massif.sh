#!/bin/sh
# massif: valgrind --tool=massif writes massif.out.PID in the current directory; ms_print prints it
set -e
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
printf '#include <stdlib.h>\n#include <string.h>\nint main(void){ for(int i=0;i<10;i++){ char*p=malloc(100000); memset(p,1,100000);} return 0; }\n' > "$d/p.c"
gcc -g -O0 -o "$d/p" "$d/p.c"
cd "$d"
valgrind --tool=massif ./p >/dev/null 2>&1
ls massif.out.* | sed 's/^massif\.out\.[0-9][0-9]*$/file massif.out.PID/'
ms_print massif.out.* | grep -c 'Detailed snapshots\|peak' | sed 's/^/printed /'
