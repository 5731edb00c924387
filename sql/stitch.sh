#!/bin/sh
# Builds an extension script from the current SQL sources (run by the Makefile).
#   stitch.sh list sql/install.list    the install script: the listed files, in order
#   stitch.sh step sql/upgrade/A--B.sql an upgrade step: the file, with each line
#                                       "\ir <path>" replaced by that current source file
# Paths are relative to sql/. A missing file is an error, not a silently shorter script.
set -eu
mode=$1 src=$2
dir=$(dirname "$0")
case $mode in
  list)
    grep -v -e '^#' -e '^[[:space:]]*$' "$src" | while read -r f; do
      [ -f "$dir/$f" ] || { echo "stitch.sh: $src names $f, which does not exist" >&2; exit 1; }
      cat "$dir/$f"
      echo
    done ;;
  step)
    while IFS= read -r line; do
      case $line in
        '\ir '*)
          f=${line#\\ir }
          [ -f "$dir/$f" ] || { echo "stitch.sh: $src includes $f, which does not exist" >&2; exit 1; }
          cat "$dir/$f" ;;
        *) printf '%s\n' "$line" ;;
      esac
    done <"$src" ;;
  *) echo "usage: stitch.sh list|step FILE" >&2; exit 2 ;;
esac
