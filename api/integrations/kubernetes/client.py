"""An ``ApiClient`` for the launcher, from the pod's service account or from a kubeconfig file."""

from __future__ import annotations

from typing import Any

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from api.integrations.launcher import LauncherError


class BearerTokenHook:
    """Puts the loaders' token where kubernetes 36.0.0 looks for it, before every request.

    In 36.0.0 the config loaders (in-cluster and kubeconfig) write ``api_key['authorization']``
    while the generated client only sends ``api_key['BearerToken']``: requests went out anonymous
    (kubernetes-client/python#2582, fixed in 36.0.1 by #2585). The loaders' own refresh hook (token
    rotation) is kept: this runs it, re-installs itself if it was replaced, then copies the token.
    Harmless on fixed versions, which write ``BearerToken`` themselves.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, configuration: Any) -> None:
        if self.inner is not None:
            self.inner(configuration)
            if configuration.refresh_api_key_hook is not self:  # the loader installed a new one
                self.inner = configuration.refresh_api_key_hook
                configuration.refresh_api_key_hook = self
        self.copy(configuration)

    @staticmethod
    def copy(configuration: Any) -> None:
        token = configuration.api_key.get("authorization")
        if token:
            configuration.api_key["BearerToken"] = token

    @classmethod
    def install(cls, configuration: Any) -> None:
        configuration.refresh_api_key_hook = cls(configuration.refresh_api_key_hook)
        cls.copy(configuration)  # auth_settings() checks for the key before calling the hook


def load_api_client(kubeconfig: str | None = None, in_cluster: bool = False) -> k8s.ApiClient:
    """An ``ApiClient`` from the pod's service account (``in_cluster``) or from a kubeconfig file
    (``None``: ``$KUBECONFIG`` or ``~/.kube/config``); its own configuration, not the global one.

    Connections are retried, reads are not: urllib3's default would repeat a GET that timed out
    three more times, stalling the reconciler four read timeouts; it retries on its next tick.
    """
    configuration = k8s.Configuration()
    configuration.retries = urllib3.Retry(total=3, connect=3, read=0, redirect=0, status=0,
                                          backoff_factor=0.2)
    try:
        if in_cluster:
            k8s_config.load_incluster_config(client_configuration=configuration)
        else:
            k8s_config.load_kube_config(config_file=kubeconfig, client_configuration=configuration,
                                        persist_config=False)
    except (k8s_config.ConfigException, OSError, ValueError) as exc:
        where = "in-cluster service account" if in_cluster else (kubeconfig or "default kubeconfig")
        raise LauncherError(f"cannot configure the Kubernetes client from the {where}: {exc}") from exc
    BearerTokenHook.install(configuration)
    return k8s.ApiClient(configuration)
