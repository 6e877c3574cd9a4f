#!/usr/bin/env bash
# Start or stop llama.cpp's OpenAI-compatible server with the bundled model on 127.0.0.1 for the LLM tests.
#   .ci/llm-server.sh start   → prints the base URL (http://127.0.0.1:PORT/v1) once the model answers
#   .ci/llm-server.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${EVIDEX_LLM_TEST_PORT:-8089}"
PIDFILE="${TMPDIR:-/tmp}/evidex-llm-server-$PORT.pid"
LOG="${TMPDIR:-/tmp}/evidex-llm-server-$PORT.log"
PY=.venv/bin/python

case "${1:-}" in
start)
    MODEL=$($PY -c "from evidex.llm.bundled import bundled_model_path; print(bundled_model_path())")
    $PY -m llama_cpp.server --model "$MODEL" --model_alias evidex-local --host 127.0.0.1 --port "$PORT" \
        --n_ctx 4096 --n_threads 2 >"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 120); do
        if $PY -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/v1/models', timeout=2)" \
            >/dev/null 2>&1; then
            echo "http://127.0.0.1:$PORT/v1"
            exit 0
        fi
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "error: the LLM server exited; its log:" >&2
            tail -20 "$LOG" >&2
            exit 1
        fi
        sleep 1
    done
    echo "error: the LLM server did not answer within 120 s; see $LOG" >&2
    exit 1
    ;;
stop)
    if [ -f "$PIDFILE" ]; then
        kill "$(cat "$PIDFILE")" 2>/dev/null || true
        rm -f "$PIDFILE"
    fi
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
