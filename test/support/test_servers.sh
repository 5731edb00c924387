# The loopback servers of the delivery tests (test/servers/*.py, run with Debian's python3),
# for scripts that set $dir (their scratch directory), $py and $repo.
#   serve NAME SCRIPT ARGS...  starts one, waits for its "READY <port>" and prints the port;
#                              its output in $dir/NAME.out, errors in $dir/NAME.err
#   stop_servers               stops every server started so (call it from the cleanup trap)
# serve is called as $(serve ...), in a subshell: the pid goes to $dir/NAME.pid, not a variable.
serve() {
  local name=$1 script=$2
  shift 2
  "$py" "$repo/test/servers/$script" --dir "$dir/$name" "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
  echo $! >"$dir/$name.pid"
  for _ in $(seq 1 100); do
    grep -q READY "$dir/$name.out" 2>/dev/null && { awk '/READY/ {print $2}' "$dir/$name.out"; return; }
    sleep 0.1
  done
  echo "server $name did not start" >&2
  cat "$dir/$name.err" >&2
  exit 1
}
stop_servers() {
  local f
  for f in "$dir"/*.pid; do
    [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  return 0
}
