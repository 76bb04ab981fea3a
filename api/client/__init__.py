"""The HTTP client side of platecut: ``platecut upload``, ``platecut plates``, ``platecut cuts``.

It needs only httpx: a workstation uploads plates without the server's packages.
"""
