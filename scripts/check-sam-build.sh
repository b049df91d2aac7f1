#!/usr/bin/env bash
# Builds the functions exactly as docs/deploy.md tells a user to (`sam build`, with the SAM CLI
# and cargo-lambda that scripts/tools.sh installs), then checks every bootstrap SAM produced:
#   - present, for every AWS::Serverless::Function of template.yaml;
#   - the right binary: an x86-64 ELF executable built from functions/<Binary> (its own source
#     paths are in it, no other function's are);
#   - stripped, and at most 12 MB (12,000,000 bytes);
#   - no glibc symbol version newer than GLIBC_2.34, what the provided.al2023 runtime ships.
# Exits non-zero on any failure. Uses CARGO_TARGET_DIR (default ~/.cache/modelwatch/target),
# so a test run that already built the release profile builds little here.
#
#   scripts/check-sam-build.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/tools.sh
source scripts/tools.sh
ensure_venv sam
export PATH="$MW_VENV_sam/bin:$PATH" SAM_CLI_TELEMETRY=0
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/modelwatch/target}"

MAX_BYTES=12000000
MAX_GLIBC=2.34
for tool in objdump readelf; do
  command -v "$tool" >/dev/null || { echo "check-sam-build: $tool missing (Debian package binutils)"; exit 1; }
done

echo "== sam build ($(sam --version), $(cargo lambda --version))"
start=$(date +%s)
sam build
echo "sam build: $(( $(date +%s) - start )) s"

# Function logical id -> Binary, from the template SAM just wrote (already resolved).
mapfile -t pairs < <(python3 - <<'PY'
import re
logical = None
for line in open("template.yaml"):
    m = re.match(r"^  ([A-Za-z0-9]+):\s*$", line)
    if m:
        logical = m.group(1)
    m = re.match(r"^\s+Binary: ([A-Za-z0-9_-]+)\s*$", line)
    if m:
        print(logical, m.group(1))
PY
)
[[ ${#pairs[@]} -gt 0 ]] || { echo "check-sam-build: no function with a Binary in template.yaml"; exit 1; }
names=()
for pair in "${pairs[@]}"; do names+=("${pair#* }"); done

failed=0
fail() { echo "FAIL: $*"; failed=1; }
printf '\n%-28s %-20s %12s %-12s %s\n' function binary bytes glibc verdict
for pair in "${pairs[@]}"; do
  fn=${pair% *}
  bin=${pair#* }
  boot=.aws-sam/build/$fn/bootstrap
  if [[ ! -f $boot ]]; then
    fail "$fn: $boot is missing"
    continue
  fi
  ok=1
  bytes=$(stat -c %s "$boot")
  if ! readelf -h "$boot" 2>/dev/null | grep -q 'Type:.*EXEC\|Type:.*DYN'; then fail "$fn: not an ELF executable"; ok=0; fi
  if ! readelf -h "$boot" | grep -q 'Machine:.*X86-64'; then fail "$fn: not built for x86-64"; ok=0; fi
  if readelf -S "$boot" | grep -q '\.symtab'; then fail "$fn: not stripped (.symtab present)"; ok=0; fi
  (( bytes <= MAX_BYTES )) || { fail "$fn: $bytes bytes > $MAX_BYTES"; ok=0; }
  glibc=$(objdump -T "$boot" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
  if [[ -n $glibc && $(printf '%s\n%s\n' "$glibc" "$MAX_GLIBC" | sort -V | tail -1) != "$MAX_GLIBC" ]]; then
    fail "$fn: needs GLIBC_$glibc, provided.al2023 has $MAX_GLIBC"; ok=0
  fi
  # The right binary: its own crate's source path is in it, and no other function's.
  if ! grep -aq "functions/$bin/src" "$boot"; then fail "$fn: no trace of functions/$bin/src in $boot"; ok=0; fi
  for other in "${names[@]}"; do
    [[ $other == "$bin" ]] && continue
    if grep -aq "functions/$other/src" "$boot"; then fail "$fn: contains functions/$other/src: wrong binary"; ok=0; fi
  done
  printf '%-28s %-20s %12s %-12s %s\n' "$fn" "$bin" "$bytes" "GLIBC_${glibc:-none}" "$([[ $ok == 1 ]] && echo ok || echo FAIL)"
done

# What `sam deploy` uploads: the built template and its nested alarm templates, linted as
# CloudFormation will read them (SAM transform included).
ensure_venv lint
echo
if "$MW_VENV_lint/bin/cfn-lint" .aws-sam/build/template.yaml .aws-sam/build/*/template.yaml; then
  echo "cfn-lint of the built templates: clean"
else
  fail "cfn-lint of .aws-sam/build/template.yaml and its nested templates"
fi

if [[ $failed -ne 0 ]]; then
  printf '\ncheck-sam-build: FAILED\n'
  exit 1
fi
printf '\ncheck-sam-build: OK (%d functions)\n' "${#pairs[@]}"
