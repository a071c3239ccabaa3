#!/usr/bin/env bash
# Compiles bench/spark/CLASS.java if needed and runs it on Apache Spark 3.5.9 (Java 17), with
# the jars that ../shared/bench/spark/setup.sh installs once (pyspark from PyPI, in a venv).
# Usage: bench/spark/run_class.sh CLASS ARGS...
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLASS=$1; shift
J=${SPARK_JARS:-$("$HERE/../../../shared/bench/spark/setup.sh")}
CLS=${SPARK_BENCH_CLASSES:-$HOME/.cache/ember-bench/classes}
mkdir -p "$CLS"
[ "$CLS/$CLASS.class" -nt "$HERE/$CLASS.java" ] || javac -cp "$J/*" -d "$CLS" "$HERE/$CLASS.java"
exec java --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED \
  -cp "$CLS:$J/*" "$CLASS" "$@" 2>/dev/null
