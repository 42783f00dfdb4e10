#!/usr/bin/env bash
# Runs bench/report_test.py (see there) with Debian's python3.
set -euo pipefail
exec python3 "$TEST_SRCDIR/$TEST_WORKSPACE/bench/report_test.py"
