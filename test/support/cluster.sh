# Throwaway PostgreSQL clusters run by a test script itself (sourced): initdb with trust on
# loopback, the postmaster a child of the script (so that it can be killed, reaped and
# restarted), sockets in the script's own directory. As root: the servers run as postgres.
#   cluster_init DIR        once: DIR holds the clusters, their logs and sockets
#   cluster_start NAME PORT [postgres -c options...]
#   cluster_stop NAME       fast shutdown
#   cluster_psql NAME DB SQL  (-At, ON_ERROR_STOP)
# Environment passed to the postmaster: whatever the caller exports (LD_PRELOAD, ASAN_OPTIONS).
declare -gA cluster_pm=() cluster_port=()
cluster_dir=
cluster_init() {
  cluster_dir=$1
  mkdir -p "$cluster_dir"
  chown postgres "$cluster_dir"
}
cluster_start() {
  local n=$1 port=$2; shift 2
  local bindir; bindir=$(pg_config --bindir)
  [ -d "$cluster_dir/$n" ] ||
    setpriv --reuid=postgres --regid=postgres --init-groups "$bindir/initdb" -D "$cluster_dir/$n" -A trust -U postgres >/dev/null
  setsid setpriv --reuid=postgres --regid=postgres --init-groups \
    "$bindir/postgres" -D "$cluster_dir/$n" -p "$port" -k "$cluster_dir" -c listen_addresses=127.0.0.1 \
    -c fsync=off "$@" >>"$cluster_dir/$n.log" 2>&1 &
  cluster_pm[$n]=$!
  cluster_port[$n]=$port
  for _ in $(seq 1 300); do pg_isready -q -h "$cluster_dir" -p "$port" && return 0; sleep 0.1; done
  tail -20 "$cluster_dir/$n.log"
  echo "not ok - cluster $n did not start"
  return 1
}
cluster_stop() {
  local n=$1 p=${cluster_pm[$1]:-}
  [ -n "$p" ] || return 0
  kill -INT "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  cluster_pm[$n]=
}
cluster_psql() {
  psql -X -q -At -v ON_ERROR_STOP=1 -h "$cluster_dir" -p "${cluster_port[$1]}" -U postgres -d "$2" -c "$3"
}
