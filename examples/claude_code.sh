#!/usr/bin/env bash
# Register orcollective with Claude Code (user scope), with only the core and collective tools.
claude mcp add orcollective --scope user \
  --env OPENROUTER_API_KEY="${OPENROUTER_API_KEY:?set OPENROUTER_API_KEY first}" \
  --env ORCOLLECTIVE_TOOLS=core,collective \
  -- uvx orcollective serve
