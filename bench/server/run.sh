#!/usr/bin/env bash
# redis-benchmark against redkit-server (release build) and a redis-server in the same run:
# both results side by side and their ratio (target: redkit-server ≥ 0.5× redis-server).
#   bench/server/run.sh [-n REQUESTS] [-c CLIENTS] [--threads N]   (defaults: 100000, 50, 1)
# Both servers listen on free loopback ports and are stopped by PID when the script ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
requests=100000 clients=50 threads=1
while [ $# -gt 0 ]; do
  case "$1" in
    -n) requests="$2"; shift 2 ;;
    -c) clients="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "usage: $0 [-n REQUESTS] [-c CLIENTS] [--threads N]" >&2; exit 2 ;;
  esac
done
tests=set,get,lpush,lpop,zadd,incr
for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (make setup installs it)" >&2; exit 1; }
done
${CARGO:-cargo} build -q --release -p redkit --features server --bin redkit-server

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=()
dir=$(mktemp -d)
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT

wait_ready() {
  for _ in $(seq 1 500); do
    [ "$(redis-cli -p "$1" PING 2>/dev/null)" = PONG ] && return 0
    sleep 0.02
  done
  echo "server on port $1 did not start" >&2; exit 1
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >/dev/null 2>&1 &
pids+=($!)
redkit_port=$(free_port)
target/release/redkit-server --port "$redkit_port" --threads "$threads" 2>/dev/null &
pids+=($!)
wait_ready "$redis_port"
wait_ready "$redkit_port"

# `-q` prints "SET: 81234.56 requests per second, p50=0.303 msec" per test.
bench() { redis-benchmark -p "$1" -t "$tests" -n "$requests" -c "$clients" -q 2>&1 | tr '\r' '\n' | grep 'requests per second' | sed 's/^ *//'; }
bench "$redis_port" > "$dir/redis.txt"
bench "$redkit_port" > "$dir/redkit.txt"

echo "redis-benchmark -t $tests -n $requests -c $clients (requests per second; redkit-server --threads $threads)"
printf '%-8s %14s %14s %8s\n' test redis-server redkit-server ratio
python3 - "$dir/redis.txt" "$dir/redkit.txt" <<'PY'
import re, sys
def load(path):
    out = {}
    for line in open(path):
        m = re.match(r"(\w+): ([\d.]+) requests per second", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out
redis, redkit = load(sys.argv[1]), load(sys.argv[2])
ratios = []
for test, rps in redis.items():
    mine = redkit.get(test, 0.0)
    ratios.append(mine / rps if rps else 0.0)
    print(f"{test:<8} {rps:>14,.0f} {mine:>14,.0f} {ratios[-1]:>7.2f}x")
if len(redkit) != len(redis) or not ratios:
    sys.exit("redkit-server did not complete every test")
print(f"lowest ratio {min(ratios):.2f}x (target ≥ 0.5x)")
PY
