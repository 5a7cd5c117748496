#!/bin/sh
# Installs one pixelproof image target into a virtual environment at PREFIX.
# The Dockerfile runs it at build time; CI runs it too, so the image's install
# steps are tested without a Docker engine.
#
# usage: docker/install.sh operator|evaluator PREFIX [SOURCE]
#   SOURCE defaults to the repository this script belongs to.
# environment:
#   PIXELPROOF_SKIP_WEIGHTS=1   evaluator: do not download the LPIPS AlexNet backbone
#                               (offline builds; the evaluator then says it runs with
#                               a random backbone)
#   PIXELPROOF_WEIGHTS_DIR      evaluator: where the backbone goes
#                               (default PREFIX/share/torch/hub/checkpoints)
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL are honoured by pip as usual.
set -eu

target="${1:-}"
prefix="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"
source_dir="${3:-$(dirname "$here")}"

case "$target" in
  operator|evaluator) ;;
  *) echo "install.sh: target must be 'operator' or 'evaluator', not '${target}'" >&2; exit 2 ;;
esac
if [ -z "$prefix" ]; then
  echo "install.sh: name the install prefix, e.g. docker/install.sh ${target} /opt/pixelproof" >&2
  exit 2
fi

python3 -m venv "$prefix"
"$prefix/bin/python" -m pip install --no-cache-dir --disable-pip-version-check \
  --constraint "$here/constraints.txt" "${source_dir}[${target}]"

if [ "$target" = operator ]; then
  # The operator image must stay small: torch arriving through a dependency is a bug.
  "$prefix/bin/python" -c 'import importlib.util, sys; sys.exit("torch must not be installed in the operator image" if importlib.util.find_spec("torch") else 0)'
  "$prefix/bin/pixelproof" operator --help >/dev/null
else
  # The evaluator imports torchvision through this guard (a CPU torch cannot load a CUDA
  # torchvision's extension); the smoke test imports it the same way.
  "$prefix/bin/python" -c 'from pixelproof_evaluator.perceptual import prepare_torchvision; prepare_torchvision(); import lpips, rapidocr_onnxruntime'
  if [ "${PIXELPROOF_SKIP_WEIGHTS:-0}" = 1 ]; then
    echo "install.sh: PIXELPROOF_SKIP_WEIGHTS=1: the LPIPS AlexNet backbone is not baked in" >&2
  else
    weights_dir="${PIXELPROOF_WEIGHTS_DIR:-$prefix/share/torch/hub/checkpoints}"
    "$prefix/bin/python" "$here/fetch_weights.py" --into "$weights_dir"
  fi
fi
