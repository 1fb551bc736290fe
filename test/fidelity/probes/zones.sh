#!/bin/sh
# zones: the memory zones this kernel has (one "zone NAME" line each)
awk '/^Node .* zone/ { print "zone", $4 }' /proc/zoneinfo | sort -u
uname -m | sed 's/^/arch /'
