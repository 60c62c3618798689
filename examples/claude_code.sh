#!/usr/bin/env bash
# Register orcollective with Claude Code (user scope). The key comes from `orcollective config set api-key`.
# From a checkout (absolute paths, as `orcollective install claude-code` writes them):
claude mcp add orcollective --scope user -- "$(command -v uvx)" --from "$(pwd)" orcollective serve
# Once published on PyPI, with only the core and collective tools:
#   claude mcp add orcollective --scope user --env ORCOLLECTIVE_TOOLS=core,collective -- uvx orcollective serve
