#!/usr/bin/env bash
# private-pg.sh DIR CMD...: runs CMD in a private mount namespace (root; util-linux unshare) in
# which PostgreSQL's library and extension directories are copies kept in DIR, so that
# `make install` of a special build (the sanitizer build of scripts/robustness.sh) changes
# nothing outside: the system's PostgreSQL keeps the normal build.
set -euo pipefail
dir=$1; shift
lib=$(pg_config --pkglibdir) ext=$(pg_config --sharedir)/extension
mkdir -p "$dir"
[ -d "$dir/lib" ] || cp -a "$lib" "$dir/lib"
[ -d "$dir/ext" ] || cp -a "$ext" "$dir/ext"
exec unshare --mount --propagation private bash -c '
  mount --bind "$1/lib" "$2" && mount --bind "$1/ext" "$3" && shift 3 && exec "$@"' \
  private-pg "$dir" "$lib" "$ext" "$@"
