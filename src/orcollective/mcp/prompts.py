"""Prompts for common jobs: each turns a few arguments into one user message that asks the client's model
to call the right tool. Model-id arguments are completed from the catalog (see completions.py)."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

# prompt argument names that take model ids (one id, or a comma list)
MODEL_ARGUMENTS = ("model", "models")


def _panel(models: str) -> str:
    ids = [m.strip() for m in models.split(",") if m.strip()]
    return f" with models={ids}" if ids else ""


def register_prompts(server: MCPServer, groups: list[str]) -> None:
    """Prompts whose tools are switched on."""
    if "core" in groups:

        @server.prompt(name="second_opinion", description="Ask one other model the same question and compare.")
        def second_opinion(question: str, model: str = "") -> str:
            who = f"model='{model}'" if model else "a strong model from another vendor (pick one with list_models)"
            return (
                f"Get a second opinion on this question: call the chat tool with {who} and the question as "
                f"prompt, then compare its answer with yours and say where they differ.\n\nQuestion:\n{question}"
            )

    if "collective" in groups:

        @server.prompt(name="fact_check", description="Check a claim with a panel of models voting true/false.")
        def fact_check(claim: str, models: str = "") -> str:
            return (
                f"Fact-check this claim: call the consensus tool{_panel(models)}, answer_type='boolean', and "
                "the prompt 'Is the following claim true? <claim>'. Report the verdict, the confidence, the "
                f"agreement and any dissenting model's reason.\n\nClaim:\n{claim}"
            )

        @server.prompt(name="council", description="Put a decision to a council of models and weigh the options.")
        def council(decision: str, options: str = "", models: str = "") -> str:
            listed = f"\nOptions: {options}" if options else ""
            return (
                f"Put this decision to a council: call the collaborate tool with mode='council'{_panel(models)}, "
                "asking each model to recommend one option with its main reason and risk. Summarise the "
                f"chairman's recommendation, the peer ranking and where the models disagree.\n\nDecision:\n"
                f"{decision}{listed}"
            )

        @server.prompt(name="code_review", description="Three models review code; issues most of them flag.")
        def code_review(code: str, language: str = "", models: str = "") -> str:
            lang = f" ({language})" if language else ""
            reviewers = _panel(models).replace("models=", "reviewers=")
            return (
                f"Review this code{lang} with three models: call the cross_validate tool{reviewers} with the code "
                "as content. Report the verdict, the scores per criterion and the issues more than one reviewer "
                f"found, most serious first.\n\nCode:\n```\n{code}\n```"
            )
