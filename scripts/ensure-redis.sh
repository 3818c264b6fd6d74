#!/usr/bin/env bash
# Make sure a Redis server answers for the tests: use the one at POSTFLOW_TEST_REDIS_URL
# (default redis://127.0.0.1:6379/15) if it answers; otherwise start one on that port, installing
# Debian's redis-server first if it is missing. Data is kept nowhere (tests flush their db).
set -euo pipefail

url="${POSTFLOW_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
hostport="${url#redis://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"
[ "$port" = "$hostport" ] && port=6379

answers() {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h "$host" -p "$port" ping 2>/dev/null)" = "PONG" ]
  else
    # No client yet: speak the protocol directly.
    exec 3<>"/dev/tcp/$host/$port" 2>/dev/null || return 1
    printf 'PING\r\n' >&3
    local reply=""; read -r -t 2 reply <&3 || true
    exec 3>&- 3<&-
    [[ "$reply" == +PONG* ]]
  fi
}

if answers; then
  exit 0
fi

case "$host" in
  127.*|localhost) ;;
  *) echo "No Redis answers at $host:$port and it is not local: start it, or unset POSTFLOW_TEST_REDIS_URL." >&2; exit 1 ;;
esac

if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server is missing: installing Debian's package" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
fi

dir="$(pwd)/var/test-redis"
mkdir -p "$dir"
echo "starting redis-server on $host:$port for the tests" >&2
redis-server --bind "$host" --port "$port" --save "" --appendonly no --dir "$dir" \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"

for _ in $(seq 1 50); do
  answers && exit 0
  sleep 0.1
done
echo "redis-server did not answer on $host:$port; see $dir/redis.log" >&2
exit 1
