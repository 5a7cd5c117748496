# syntax=docker/dockerfile:1.7
# Two images from one file:
#   docker build --target operator  -t pixelproof-operator .
#   docker build --target evaluator -t pixelproof-evaluator .
# The install steps live in docker/install.sh so CI can run them without Docker.
# Offline evaluator builds: --build-arg PIXELPROOF_SKIP_WEIGHTS=1 (no baked backbone).
# CPU-only evaluator: --build-arg PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN groupadd --gid 10001 pixelproof \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin pixelproof

FROM base AS source
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator/ operator/
COPY evaluator/ evaluator/
COPY docker/ docker/

FROM source AS operator-build
RUN docker/install.sh operator /opt/pixelproof

FROM source AS evaluator-build
ARG PIXELPROOF_SKIP_WEIGHTS=0
ARG PIP_EXTRA_INDEX_URL=""
RUN PIXELPROOF_SKIP_WEIGHTS="${PIXELPROOF_SKIP_WEIGHTS}" PIP_EXTRA_INDEX_URL="${PIP_EXTRA_INDEX_URL}" \
    docker/install.sh evaluator /opt/pixelproof

FROM base AS operator
LABEL org.opencontainers.image.title="pixelproof-operator" \
      org.opencontainers.image.description="Progressive rollout of image-generation models" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=operator-build /opt/pixelproof /opt/pixelproof
ENV PATH=/opt/pixelproof/bin:$PATH
USER 10001:10001
EXPOSE 8080 9090
ENTRYPOINT ["pixelproof", "operator"]
CMD ["--liveness=http://0.0.0.0:8080/healthz", "--metrics-port=9090"]

FROM base AS evaluator
LABEL org.opencontainers.image.title="pixelproof-evaluator" \
      org.opencontainers.image.description="Golden-set evaluator for pixelproof rollouts" \
      org.opencontainers.image.licenses="Apache-2.0"
# OpenCV (used by the OCR engine) links against these at import time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1=1.6.* libglib2.0-0=2.74.* \
 && rm -rf /var/lib/apt/lists/*
COPY --from=evaluator-build /opt/pixelproof /opt/pixelproof
ENV PATH=/opt/pixelproof/bin:$PATH \
    TORCH_HOME=/opt/pixelproof/share/torch \
    PIXELPROOF_LPIPS_WEIGHTS=/opt/pixelproof/share/torch/hub/checkpoints/alexnet-owt-7be5be79.pth
USER 10001:10001
ENTRYPOINT ["python", "-m", "pixelproof_evaluator"]
