"""MCP client support: configuration (`config`), approvals (`approvals`), supervised server
connections (`connection`), tools (`tools`) and the per-workspace `manager`.

Nothing is re-exported here: the SDK is heavy, and it is imported only when a server starts.
"""
