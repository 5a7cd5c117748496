"""Where the API server is and how to log in: one source for kopf and for the operator's client."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path

import kopf
import kubernetes

from pixelproof.errors import PixelproofError


class CredentialsError(PixelproofError, RuntimeError):
    """Neither in-cluster credentials nor a usable kubeconfig were found."""


@dataclass
class Connection:
    server: str
    ca_path: str | None = None
    insecure: bool = False
    token: str | None = None
    token_path: str | None = None
    certificate_path: str | None = None
    private_key_path: str | None = None
    default_namespace: str | None = None
    _token_read_at: float = field(default=0.0, repr=False)

    def ssl_context(self) -> ssl.SSLContext | bool:
        if not self.server.startswith("https://"):
            return False
        context = ssl.create_default_context(cafile=self.ca_path)
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.certificate_path:
            context.load_cert_chain(self.certificate_path, self.private_key_path)
        return context

    def current_token(self) -> str | None:
        # Projected service-account tokens rotate on disk; re-read them every minute.
        if self.token_path and time.monotonic() - self._token_read_at > 60:
            self.token = Path(self.token_path).read_text().strip()
            self._token_read_at = time.monotonic()
        return self.token

    def auth_headers(self) -> dict[str, str]:
        token = self.current_token()
        return {"Authorization": f"Bearer {token}"} if token else {}

    def for_kopf(self) -> kopf.ConnectionInfo:
        return kopf.ConnectionInfo(
            server=self.server,
            ca_path=self.ca_path,
            insecure=self.insecure,
            scheme="Bearer" if self.current_token() else None,
            token=self.current_token(),
            certificate_path=self.certificate_path,
            private_key_path=self.private_key_path,
            default_namespace=self.default_namespace,
        )


_SA_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def load_connection(kubeconfig: str | None = None, context: str | None = None) -> Connection:
    """In-cluster credentials when no kubeconfig is named and they exist, else the kubeconfig
    ($KUBECONFIG or ~/.kube/config when none is named)."""
    config = kubernetes.client.Configuration()
    in_cluster = kubeconfig is None and Path(_SA_TOKEN).exists()
    try:
        if in_cluster:
            kubernetes.config.load_incluster_config(client_configuration=config)  # type: ignore[no-untyped-call]
        else:
            kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig, context=context, client_configuration=config
            )
    except (kubernetes.config.ConfigException, OSError) as exc:
        where = (
            "in-cluster service account"
            if in_cluster
            else f"kubeconfig {kubeconfig or '(default)'}"
        )
        raise CredentialsError(f"cannot load Kubernetes credentials from {where}: {exc}") from exc
    return connection_from(config, token_path=_SA_TOKEN if in_cluster else None)


def connection_from(
    config: kubernetes.client.Configuration, *, token_path: str | None = None
) -> Connection:
    """The server and credentials a loaded kubernetes client configuration holds."""
    header = config.get_api_key_with_prefix("BearerToken") or config.get_api_key_with_prefix(
        "authorization"
    )
    token = header.split(" ", 1)[-1] if header else None
    return Connection(
        server=config.host,
        ca_path=config.ssl_ca_cert or None,
        insecure=not config.verify_ssl,
        token=token,
        token_path=token_path,
        certificate_path=config.cert_file or None,
        private_key_path=config.key_file or None,
    )
