"""MCP client support: configuration, approvals, supervised server connections, tools."""

from __future__ import annotations

from codesm.mcp.approvals import McpApprovals
from codesm.mcp.config import McpConfig, McpServerConfig, load_mcp_config
from codesm.mcp.connection import McpConnection, McpLimits, McpUnavailable, ServerStatus
from codesm.mcp.manager import McpManager
from codesm.mcp.tools import McpTool, mcp_tool_name

__all__ = [
    "McpApprovals",
    "McpConfig",
    "McpConnection",
    "McpLimits",
    "McpManager",
    "McpServerConfig",
    "McpTool",
    "McpUnavailable",
    "ServerStatus",
    "load_mcp_config",
    "mcp_tool_name",
]
