"""Serve a LocalCluster until interrupted: ``python -m pixelproof_localcluster --help``."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from pixelproof_localcluster.cluster import LocalCluster
from pixelproof_localcluster.kubelet import LocalProcessJobRunner


def _image_mapping(values: Sequence[str]) -> dict[str, list[str]]:
    images: dict[str, list[str]] = {}
    for value in values:
        image, sep, command = value.partition("=")
        if not sep or not image or not command.strip():
            raise SystemExit(f"--job-image expects IMAGE=COMMAND, got {value!r}")
        images[image] = shlex.split(command)
    return images


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pixelproof_localcluster",
        description="A local Kubernetes API server (no auth, plain HTTP on 127.0.0.1) with a "
        "stand-in kubelet for Deployments and Jobs.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free)")
    parser.add_argument(
        "--crds",
        action="append",
        default=[],
        metavar="PATH",
        help="a CRD YAML file or a directory of them (repeatable)",
    )
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        default=Path("localcluster.kubeconfig"),
        help="where to write the kubeconfig for this server",
    )
    parser.add_argument(
        "--deployment-ready-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="how long Deployments take to become ready after a change",
    )
    parser.add_argument(
        "--job-image",
        action="append",
        default=[],
        metavar="IMAGE=COMMAND",
        help="run Job pods of IMAGE as this local command (repeatable); "
        "pods of unmapped images stay in ImagePullBackOff",
    )
    args = parser.parse_args(argv)

    runner = LocalProcessJobRunner(_image_mapping(args.job_image)) if args.job_image else None
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with LocalCluster(
        crd_paths=args.crds,
        port=args.port,
        kubeconfig_path=args.kubeconfig,
        job_runner=runner,
        deployment_ready_delay=args.deployment_ready_delay,
    ) as cluster:
        print(f"Serving the Kubernetes API at {cluster.url}", flush=True)
        print(f"Kubeconfig: {cluster.kubeconfig_path.resolve()}", flush=True)
        print(
            f"  export KUBECONFIG={shlex.quote(str(cluster.kubeconfig_path.resolve()))}", flush=True
        )
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
