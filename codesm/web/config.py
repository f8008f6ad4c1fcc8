"""What one `codesm web` server serves and how tightly it is bounded."""

from __future__ import annotations

from dataclasses import dataclass

from codesm.agent.launch import LaunchOptions

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class WebConfig(LaunchOptions):
    """Settings fixed for the life of one server (with the runtime's `LaunchOptions`).

    `port` is the port actually bound (never 0): the Host allowlist and the served origins are
    built from it. `owner_token` is the secret printed in the launch URL; the session cookie and
    the CSRF token are derived from it.
    """

    port: int
    owner_token: str
    host: str = "127.0.0.1"
    extra_host_names: tuple[str, ...] = ()
    max_body_bytes: int = 10 * MIB
    max_ws_message_bytes: int = 1 * MIB
    max_ws_connections: int = 32
    share_at_start: bool = False
    """`--share`: the LAN address (`share_host`) is bound with the loopback one from the start."""
    share_host: str | None = None
    """The LAN address sharing binds (default: this machine's primary IPv4, found when needed)."""
    share_controller: bool = False
    """`--share` also issues a controller link (can chat and approve), not just a viewer link."""
    share_ttl_s: float = 8 * 3600

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be the bound port (1-65535), got {self.port}")
        if len(self.owner_token) < 32:
            raise ValueError("the owner token must be at least 32 characters")
