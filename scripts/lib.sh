# Shared shell helpers for the project's scripts. Sourced, never run.

# Prints a free TCP port on 127.0.0.1 (the kernel picks it; we release it at once).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL PID [SECONDS]: waits until URL answers 2xx, failing early if PID died.
wait_http() {
  local url="$1" pid="$2" limit="${3:-60}" start
  start=$(date +%s)
  until curl -fsS -o /dev/null --max-time 2 "$url"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: process $pid exited before $url answered" >&2
      return 1
    fi
    if (( $(date +%s) - start > limit )); then
      echo "error: $url did not answer within ${limit}s" >&2
      return 1
    fi
    sleep 0.1
  done
}

# stop_pids PID...: TERM, then KILL what is still alive after 5 s.
stop_pids() {
  local pid i
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 50); do
    local alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive == 0 )) && return 0
    sleep 0.1
  done
  for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; done
}
