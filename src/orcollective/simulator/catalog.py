"""The simulator's model catalog: hundreds of OpenRouter-shaped model records, the same on every run.

Well-known models come from a hand-written table; ``:free`` variants of open-weight models and
seeded community fine-tunes fill the catalog up to the requested size.
"""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime
from decimal import Decimal

# (id, name, context_length, prompt $/Mtok, completion $/Mtok, flags, release date)
# flags: v = image input, t = tools, r = reasoning, o = open weights, f = also offered as ":free"
_KNOWN: tuple[tuple[str, str, int, float, float, str, str], ...] = (
    ("openai/gpt-4o", "GPT-4o", 128000, 2.5, 10, "vt", "2024-05-13"),
    ("openai/gpt-4o-mini", "GPT-4o-mini", 128000, 0.15, 0.6, "vt", "2024-07-18"),
    ("openai/gpt-4o-2024-11-20", "GPT-4o (2024-11-20)", 128000, 2.5, 10, "vt", "2024-11-20"),
    ("openai/gpt-4-turbo", "GPT-4 Turbo", 128000, 10, 30, "vt", "2024-04-09"),
    ("openai/gpt-4", "GPT-4", 8191, 30, 60, "t", "2023-05-28"),
    ("openai/gpt-3.5-turbo", "GPT-3.5 Turbo", 16385, 0.5, 1.5, "t", "2023-05-28"),
    ("openai/gpt-4.1", "GPT-4.1", 1047576, 2, 8, "vt", "2025-04-14"),
    ("openai/gpt-4.1-mini", "GPT-4.1 Mini", 1047576, 0.4, 1.6, "vt", "2025-04-14"),
    ("openai/gpt-4.1-nano", "GPT-4.1 Nano", 1047576, 0.1, 0.4, "vt", "2025-04-14"),
    ("openai/o1", "o1", 200000, 15, 60, "vtr", "2024-12-17"),
    ("openai/o3", "o3", 200000, 2, 8, "vtr", "2025-04-16"),
    ("openai/o3-mini", "o3 Mini", 200000, 1.1, 4.4, "tr", "2025-01-31"),
    ("openai/o4-mini", "o4 Mini", 200000, 1.1, 4.4, "vtr", "2025-04-16"),
    ("openai/gpt-5", "GPT-5", 400000, 1.25, 10, "vtr", "2025-08-07"),
    ("openai/gpt-5-mini", "GPT-5 Mini", 400000, 0.25, 2, "vtr", "2025-08-07"),
    ("openai/gpt-5-nano", "GPT-5 Nano", 400000, 0.05, 0.4, "vtr", "2025-08-07"),
    ("openai/gpt-5.1", "GPT-5.1", 400000, 1.25, 10, "vtr", "2025-11-13"),
    ("openai/gpt-oss-120b", "gpt-oss-120b", 131072, 0.05, 0.25, "trof", "2025-08-05"),
    ("openai/gpt-oss-20b", "gpt-oss-20b", 131072, 0.03, 0.15, "trof", "2025-08-05"),
    ("anthropic/claude-3-haiku", "Claude 3 Haiku", 200000, 0.25, 1.25, "vt", "2024-03-13"),
    ("anthropic/claude-3-opus", "Claude 3 Opus", 200000, 15, 75, "vt", "2024-03-05"),
    ("anthropic/claude-3.5-haiku", "Claude 3.5 Haiku", 200000, 0.8, 4, "vt", "2024-11-04"),
    ("anthropic/claude-3.5-sonnet", "Claude 3.5 Sonnet", 200000, 3, 15, "vt", "2024-10-22"),
    ("anthropic/claude-3.7-sonnet", "Claude 3.7 Sonnet", 200000, 3, 15, "vtr", "2025-02-24"),
    ("anthropic/claude-sonnet-4", "Claude Sonnet 4", 1000000, 3, 15, "vtr", "2025-05-22"),
    ("anthropic/claude-opus-4", "Claude Opus 4", 200000, 15, 75, "vtr", "2025-05-22"),
    ("anthropic/claude-opus-4.1", "Claude Opus 4.1", 200000, 15, 75, "vtr", "2025-08-05"),
    ("anthropic/claude-sonnet-4.5", "Claude Sonnet 4.5", 1000000, 3, 15, "vtr", "2025-09-29"),
    ("anthropic/claude-haiku-4.5", "Claude Haiku 4.5", 200000, 1, 5, "vtr", "2025-10-15"),
    ("anthropic/claude-opus-4.5", "Claude Opus 4.5", 200000, 5, 25, "vtr", "2025-11-24"),
    ("google/gemini-2.5-flash", "Gemini 2.5 Flash", 1048576, 0.3, 2.5, "vtr", "2025-06-17"),
    ("google/gemini-2.5-pro", "Gemini 2.5 Pro", 1048576, 1.25, 10, "vtr", "2025-06-17"),
    ("google/gemini-2.5-flash-lite", "Gemini 2.5 Flash Lite", 1048576, 0.1, 0.4, "vtr", "2025-07-22"),
    ("google/gemini-2.0-flash-001", "Gemini 2.0 Flash", 1048576, 0.1, 0.4, "vt", "2025-02-05"),
    ("google/gemini-2.0-flash-lite-001", "Gemini 2.0 Flash Lite", 1048576, 0.075, 0.3, "vt", "2025-02-25"),
    ("google/gemini-flash-1.5", "Gemini 1.5 Flash", 1000000, 0.075, 0.3, "vt", "2024-05-14"),
    ("google/gemini-pro-1.5", "Gemini 1.5 Pro", 2000000, 1.25, 5, "vt", "2024-04-09"),
    ("google/gemini-3-pro-preview", "Gemini 3 Pro Preview", 1048576, 2, 12, "vtr", "2025-11-18"),
    ("google/gemini-3-flash-preview", "Gemini 3 Flash Preview", 1048576, 0.5, 3, "vtr", "2025-12-17"),
    ("google/gemma-3-27b-it", "Gemma 3 27B", 131072, 0.09, 0.17, "vof", "2025-03-12"),
    ("google/gemma-3-12b-it", "Gemma 3 12B", 131072, 0.05, 0.1, "vof", "2025-03-13"),
    ("google/gemma-3-4b-it", "Gemma 3 4B", 131072, 0.02, 0.04, "vof", "2025-03-13"),
    ("google/gemma-2-9b-it", "Gemma 2 9B", 8192, 0.03, 0.06, "o", "2024-06-28"),
    ("google/gemma-2-27b-it", "Gemma 2 27B", 8192, 0.27, 0.27, "o", "2024-07-13"),
    ("meta-llama/llama-3-8b-instruct", "Llama 3 8B Instruct", 8192, 0.03, 0.06, "o", "2024-04-18"),
    ("meta-llama/llama-3-70b-instruct", "Llama 3 70B Instruct", 8192, 0.3, 0.4, "o", "2024-04-18"),
    ("meta-llama/llama-3.1-8b-instruct", "Llama 3.1 8B Instruct", 131072, 0.02, 0.05, "to", "2024-07-23"),
    ("meta-llama/llama-3.1-70b-instruct", "Llama 3.1 70B Instruct", 131072, 0.1, 0.28, "to", "2024-07-23"),
    ("meta-llama/llama-3.1-405b-instruct", "Llama 3.1 405B Instruct", 131072, 0.8, 0.8, "to", "2024-07-23"),
    ("meta-llama/llama-3.2-1b-instruct", "Llama 3.2 1B Instruct", 131072, 0.005, 0.01, "o", "2024-09-25"),
    ("meta-llama/llama-3.2-3b-instruct", "Llama 3.2 3B Instruct", 131072, 0.003, 0.006, "tof", "2024-09-25"),
    (
        "meta-llama/llama-3.2-11b-vision-instruct",
        "Llama 3.2 11B Vision Instruct",
        131072,
        0.049,
        0.049,
        "vo",
        "2024-09-25",
    ),
    (
        "meta-llama/llama-3.2-90b-vision-instruct",
        "Llama 3.2 90B Vision Instruct",
        131072,
        0.35,
        0.4,
        "vo",
        "2024-09-25",
    ),
    ("meta-llama/llama-3.3-70b-instruct", "Llama 3.3 70B Instruct", 131072, 0.13, 0.4, "tof", "2024-12-06"),
    ("meta-llama/llama-4-scout", "Llama 4 Scout", 327680, 0.08, 0.3, "vtof", "2025-04-05"),
    ("meta-llama/llama-4-maverick", "Llama 4 Maverick", 1048576, 0.15, 0.6, "vtof", "2025-04-05"),
    ("meta-llama/llama-guard-3-8b", "Llama Guard 3 8B", 131072, 0.02, 0.06, "o", "2024-07-23"),
    ("meta-llama/llama-guard-4-12b", "Llama Guard 4 12B", 163840, 0.18, 0.18, "vo", "2025-04-29"),
    ("mistralai/mistral-7b-instruct", "Mistral 7B Instruct", 32768, 0.028, 0.054, "tof", "2024-05-27"),
    ("mistralai/mixtral-8x7b-instruct", "Mixtral 8x7B Instruct", 32768, 0.54, 0.54, "to", "2023-12-10"),
    ("mistralai/mixtral-8x22b-instruct", "Mixtral 8x22B Instruct", 65536, 0.9, 0.9, "to", "2024-04-17"),
    ("mistralai/mistral-large", "Mistral Large", 128000, 2, 6, "t", "2024-02-26"),
    ("mistralai/mistral-large-2411", "Mistral Large 2411", 131072, 2, 6, "t", "2024-11-18"),
    ("mistralai/mistral-medium-3", "Mistral Medium 3", 131072, 0.4, 2, "vt", "2025-05-07"),
    ("mistralai/mistral-medium-3.1", "Mistral Medium 3.1", 131072, 0.4, 2, "vt", "2025-08-13"),
    (
        "mistralai/mistral-small-3.1-24b-instruct",
        "Mistral Small 3.1 24B",
        131072,
        0.05,
        0.1,
        "vtof",
        "2025-03-17",
    ),
    (
        "mistralai/mistral-small-3.2-24b-instruct",
        "Mistral Small 3.2 24B",
        131072,
        0.05,
        0.1,
        "vtof",
        "2025-06-20",
    ),
    ("mistralai/mistral-nemo", "Mistral Nemo", 131072, 0.02, 0.04, "tof", "2024-07-19"),
    ("mistralai/codestral-2508", "Codestral 2508", 256000, 0.3, 0.9, "t", "2025-07-30"),
    ("mistralai/devstral-small", "Devstral Small", 131072, 0.07, 0.28, "tof", "2025-05-21"),
    ("mistralai/devstral-medium", "Devstral Medium", 131072, 0.4, 2, "t", "2025-07-10"),
    ("mistralai/pixtral-large-2411", "Pixtral Large 2411", 131072, 2, 6, "vt", "2024-11-19"),
    ("mistralai/pixtral-12b", "Pixtral 12B", 32768, 0.1, 0.1, "vto", "2024-09-10"),
    ("mistralai/ministral-8b", "Ministral 8B", 131072, 0.1, 0.1, "t", "2024-10-17"),
    ("mistralai/ministral-3b", "Ministral 3B", 131072, 0.04, 0.04, "t", "2024-10-17"),
    ("mistralai/magistral-medium-2506", "Magistral Medium 2506", 40960, 2, 5, "tr", "2025-06-10"),
    ("mistralai/magistral-small-2506", "Magistral Small 2506", 40000, 0.5, 1.5, "tro", "2025-06-10"),
    ("qwen/qwen-2.5-7b-instruct", "Qwen2.5 7B Instruct", 32768, 0.04, 0.1, "to", "2024-10-16"),
    ("qwen/qwen-2.5-72b-instruct", "Qwen2.5 72B Instruct", 32768, 0.07, 0.26, "tof", "2024-09-19"),
    ("qwen/qwen-2.5-coder-32b-instruct", "Qwen2.5 Coder 32B Instruct", 32768, 0.04, 0.16, "of", "2024-11-11"),
    ("qwen/qwen-2.5-vl-7b-instruct", "Qwen2.5-VL 7B Instruct", 32768, 0.2, 0.2, "vo", "2024-08-28"),
    ("qwen/qwen2.5-vl-72b-instruct", "Qwen2.5 VL 72B Instruct", 32000, 0.07, 0.28, "vof", "2025-02-01"),
    ("qwen/qwq-32b", "QwQ 32B", 131072, 0.15, 0.4, "trof", "2025-03-05"),
    ("qwen/qwen-max", "Qwen-Max", 32768, 1.6, 6.4, "t", "2025-02-01"),
    ("qwen/qwen-plus", "Qwen-Plus", 131072, 0.4, 1.2, "t", "2025-02-01"),
    ("qwen/qwen-turbo", "Qwen-Turbo", 1000000, 0.05, 0.2, "t", "2025-02-01"),
    ("qwen/qwen3-8b", "Qwen3 8B", 128000, 0.035, 0.138, "trof", "2025-04-28"),
    ("qwen/qwen3-14b", "Qwen3 14B", 40960, 0.06, 0.24, "trof", "2025-04-28"),
    ("qwen/qwen3-32b", "Qwen3 32B", 40960, 0.03, 0.13, "tro", "2025-04-28"),
    ("qwen/qwen3-30b-a3b", "Qwen3 30B A3B", 40960, 0.02, 0.08, "trof", "2025-04-28"),
    ("qwen/qwen3-235b-a22b", "Qwen3 235B A22B", 40960, 0.13, 0.6, "trof", "2025-04-28"),
    ("qwen/qwen3-235b-a22b-2507", "Qwen3 235B A22B Instruct 2507", 262144, 0.08, 0.55, "to", "2025-07-21"),
    ("qwen/qwen3-coder", "Qwen3 Coder 480B A35B", 262144, 0.22, 0.95, "tof", "2025-07-22"),
    (
        "qwen/qwen3-next-80b-a3b-instruct",
        "Qwen3 Next 80B A3B Instruct",
        262144,
        0.1,
        0.8,
        "tof",
        "2025-09-11",
    ),
    (
        "qwen/qwen3-vl-235b-a22b-instruct",
        "Qwen3 VL 235B A22B Instruct",
        262144,
        0.3,
        1.2,
        "vto",
        "2025-09-23",
    ),
    ("qwen/qwen3-max", "Qwen3 Max", 256000, 1.2, 6, "t", "2025-09-05"),
    ("deepseek/deepseek-chat", "DeepSeek V3", 163840, 0.3, 0.85, "to", "2024-12-26"),
    ("deepseek/deepseek-chat-v3-0324", "DeepSeek V3 0324", 163840, 0.24, 0.84, "tof", "2025-03-24"),
    ("deepseek/deepseek-chat-v3.1", "DeepSeek V3.1", 163840, 0.2, 0.8, "trof", "2025-08-21"),
    ("deepseek/deepseek-r1", "R1", 163840, 0.4, 2, "trof", "2025-01-20"),
    ("deepseek/deepseek-r1-0528", "R1 0528", 163840, 0.5, 2.15, "trof", "2025-05-28"),
    (
        "deepseek/deepseek-r1-distill-llama-70b",
        "R1 Distill Llama 70B",
        131072,
        0.03,
        0.13,
        "rof",
        "2025-01-23",
    ),
    ("deepseek/deepseek-r1-distill-qwen-32b", "R1 Distill Qwen 32B", 131072, 0.27, 0.27, "ro", "2025-01-29"),
    ("deepseek/deepseek-v3.1-terminus", "DeepSeek V3.1 Terminus", 163840, 0.23, 0.9, "tro", "2025-09-22"),
    ("deepseek/deepseek-v3.2-exp", "DeepSeek V3.2 Exp", 163840, 0.27, 0.4, "tro", "2025-09-29"),
    ("deepseek/deepseek-prover-v2", "DeepSeek Prover V2", 163840, 0.5, 2.18, "o", "2025-04-30"),
    ("x-ai/grok-2-1212", "Grok 2 1212", 131072, 2, 10, "t", "2024-12-15"),
    ("x-ai/grok-2-vision-1212", "Grok 2 Vision 1212", 32768, 2, 10, "v", "2024-12-15"),
    ("x-ai/grok-3", "Grok 3", 131072, 3, 15, "t", "2025-06-10"),
    ("x-ai/grok-3-mini", "Grok 3 Mini", 131072, 0.3, 0.5, "tr", "2025-06-10"),
    ("x-ai/grok-4", "Grok 4", 256000, 3, 15, "vtr", "2025-07-09"),
    ("x-ai/grok-4-fast", "Grok 4 Fast", 2000000, 0.2, 0.5, "vtr", "2025-09-19"),
    ("x-ai/grok-code-fast-1", "Grok Code Fast 1", 256000, 0.2, 1.5, "tr", "2025-08-26"),
    ("cohere/command-r-08-2024", "Command R (08-2024)", 128000, 0.15, 0.6, "t", "2024-08-30"),
    ("cohere/command-r-plus-08-2024", "Command R+ (08-2024)", 128000, 2.5, 10, "t", "2024-08-30"),
    ("cohere/command-r7b-12-2024", "Command R7B (12-2024)", 128000, 0.0375, 0.15, "t", "2024-12-14"),
    ("cohere/command-a", "Command A", 256000, 2.5, 10, "t", "2025-03-13"),
    ("microsoft/phi-3-mini-128k-instruct", "Phi-3 Mini 128K Instruct", 128000, 0.1, 0.1, "o", "2024-05-26"),
    ("microsoft/phi-3-medium-128k-instruct", "Phi-3 Medium 128K Instruct", 128000, 1, 1, "o", "2024-05-24"),
    (
        "microsoft/phi-3.5-mini-128k-instruct",
        "Phi-3.5 Mini 128K Instruct",
        128000,
        0.1,
        0.1,
        "to",
        "2024-08-21",
    ),
    ("microsoft/phi-4", "Phi 4", 16384, 0.06, 0.14, "o", "2025-01-10"),
    (
        "microsoft/phi-4-multimodal-instruct",
        "Phi 4 Multimodal Instruct",
        131072,
        0.05,
        0.1,
        "vo",
        "2025-03-08",
    ),
    ("microsoft/phi-4-reasoning-plus", "Phi 4 Reasoning Plus", 32768, 0.07, 0.35, "ro", "2025-05-01"),
    ("microsoft/mai-ds-r1", "MAI DS R1", 163840, 0.3, 1.2, "rof", "2025-04-21"),
    ("microsoft/wizardlm-2-8x22b", "WizardLM-2 8x22B", 65536, 0.48, 0.48, "o", "2024-04-16"),
    (
        "nvidia/llama-3.1-nemotron-70b-instruct",
        "Llama 3.1 Nemotron 70B Instruct",
        131072,
        1.2,
        1.2,
        "to",
        "2024-10-15",
    ),
    (
        "nvidia/llama-3.3-nemotron-super-49b-v1.5",
        "Llama 3.3 Nemotron Super 49B V1.5",
        131072,
        0.1,
        0.4,
        "tro",
        "2025-10-10",
    ),
    ("nvidia/nemotron-nano-9b-v2", "Nemotron Nano 9B V2", 128000, 0.04, 0.16, "trof", "2025-09-05"),
    (
        "nvidia/llama-3.1-nemotron-ultra-253b-v1",
        "Llama 3.1 Nemotron Ultra 253B v1",
        131072,
        0.6,
        1.8,
        "rof",
        "2025-04-08",
    ),
    ("amazon/nova-micro-v1", "Nova Micro 1.0", 128000, 0.035, 0.14, "t", "2024-12-05"),
    ("amazon/nova-lite-v1", "Nova Lite 1.0", 300000, 0.06, 0.24, "vt", "2024-12-05"),
    ("amazon/nova-pro-v1", "Nova Pro 1.0", 300000, 0.8, 3.2, "vt", "2024-12-05"),
    ("amazon/nova-premier-v1", "Nova Premier 1.0", 1000000, 2.5, 12.5, "vt", "2025-10-31"),
    ("moonshotai/kimi-k2", "Kimi K2 0711", 131072, 0.14, 2.49, "tof", "2025-07-11"),
    ("moonshotai/kimi-k2-0905", "Kimi K2 0905", 262144, 0.39, 1.9, "to", "2025-09-04"),
    ("moonshotai/kimi-k2-thinking", "Kimi K2 Thinking", 262144, 0.45, 2.35, "tro", "2025-11-06"),
    ("moonshotai/kimi-dev-72b", "Kimi Dev 72B", 131072, 0.29, 1.15, "rof", "2025-06-16"),
    ("moonshotai/kimi-vl-a3b-thinking", "Kimi VL A3B Thinking", 131072, 0.02, 0.08, "vrof", "2025-04-10"),
    ("z-ai/glm-4.5", "GLM 4.5", 131072, 0.35, 1.55, "tro", "2025-07-25"),
    ("z-ai/glm-4.5-air", "GLM 4.5 Air", 131072, 0.13, 0.85, "trof", "2025-07-25"),
    ("z-ai/glm-4.5v", "GLM 4.5V", 65536, 0.5, 1.8, "vtro", "2025-08-11"),
    ("z-ai/glm-4.6", "GLM 4.6", 202752, 0.4, 1.75, "tro", "2025-09-30"),
    ("z-ai/glm-4-32b", "GLM 4 32B", 128000, 0.1, 0.1, "to", "2025-07-24"),
    ("minimax/minimax-01", "MiniMax-01", 1000192, 0.2, 1.1, "vo", "2025-01-15"),
    ("minimax/minimax-m1", "MiniMax M1", 1000000, 0.4, 2.2, "tro", "2025-06-17"),
    ("minimax/minimax-m2", "MiniMax M2", 204800, 0.3, 1.2, "trof", "2025-10-23"),
    ("perplexity/sonar", "Sonar", 127072, 1, 1, "v", "2025-01-27"),
    ("perplexity/sonar-pro", "Sonar Pro", 200000, 3, 15, "v", "2025-03-07"),
    ("perplexity/sonar-reasoning", "Sonar Reasoning", 127000, 1, 5, "r", "2025-01-29"),
    ("perplexity/sonar-deep-research", "Sonar Deep Research", 128000, 2, 8, "r", "2025-03-07"),
    ("ai21/jamba-large-1.7", "Jamba Large 1.7", 256000, 2, 8, "t", "2025-08-08"),
    ("ai21/jamba-mini-1.7", "Jamba Mini 1.7", 256000, 0.2, 0.4, "t", "2025-08-08"),
    ("nousresearch/hermes-3-llama-3.1-405b", "Hermes 3 405B Instruct", 131072, 1, 1, "of", "2024-08-16"),
    ("nousresearch/hermes-3-llama-3.1-70b", "Hermes 3 70B Instruct", 131072, 0.3, 0.3, "o", "2024-08-18"),
    ("nousresearch/hermes-4-70b", "Hermes 4 70B", 131072, 0.11, 0.38, "ro", "2025-08-26"),
    ("nousresearch/hermes-4-405b", "Hermes 4 405B", 131072, 0.3, 1.2, "ro", "2025-08-26"),
    ("inflection/inflection-3-pi", "Inflection 3 Pi", 8000, 2.5, 10, "", "2024-10-11"),
    ("baidu/ernie-4.5-300b-a47b", "ERNIE 4.5 300B A47B", 123000, 0.28, 1.1, "o", "2025-06-30"),
    ("tencent/hunyuan-a13b-instruct", "Hunyuan A13B Instruct", 131072, 0.03, 0.03, "rof", "2025-07-08"),
    ("thudm/glm-z1-32b", "GLM Z1 32B", 32768, 0.24, 0.24, "ro", "2025-04-17"),
    ("liquid/lfm-7b", "LFM 7B", 32768, 0.01, 0.01, "", "2025-01-25"),
    ("liquid/lfm-3b", "LFM 3B", 32768, 0.02, 0.02, "", "2025-01-25"),
    ("ibm-granite/granite-4.0-h-micro", "Granite 4.0 Micro", 131000, 0.017, 0.11, "to", "2025-10-20"),
    ("arcee-ai/virtuoso-large", "Virtuoso Large", 131072, 0.75, 1.2, "t", "2025-05-05"),
    ("arcee-ai/coder-large", "Coder Large", 32768, 0.5, 0.8, "", "2025-05-05"),
    ("arcee-ai/maestro-reasoning", "Maestro Reasoning", 131072, 0.9, 3.3, "r", "2025-05-05"),
    ("allenai/olmo-2-0325-32b-instruct", "Olmo 2 32B Instruct", 4096, 1, 1.5, "o", "2025-03-14"),
    ("allenai/molmo-7b-d", "Molmo 7B D", 4096, 0.1, 0.2, "vo", "2025-03-26"),
    ("bytedance/ui-tars-1.5-7b", "UI-TARS 7B", 128000, 0.1, 0.2, "vo", "2025-07-22"),
    ("inception/mercury", "Mercury", 128000, 0.25, 1, "t", "2025-06-26"),
    ("inception/mercury-coder", "Mercury Coder", 128000, 0.25, 1, "t", "2025-04-30"),
    (
        "cognitivecomputations/dolphin-mixtral-8x22b",
        "Dolphin 2.9.2 Mixtral 8x22B",
        16000,
        0.9,
        0.9,
        "o",
        "2024-06-08",
    ),
    ("sao10k/l3-lunaris-8b", "Llama 3 8B Lunaris", 8192, 0.04, 0.05, "o", "2024-08-13"),
    ("sao10k/l3.3-euryale-70b", "Llama 3.3 Euryale 70B", 131072, 0.65, 0.75, "o", "2024-12-18"),
    ("thedrummer/rocinante-12b", "Rocinante 12B", 32768, 0.17, 0.43, "to", "2024-09-30"),
    ("thedrummer/unslopnemo-12b", "UnslopNemo 12B", 32768, 0.4, 0.4, "to", "2024-11-08"),
    ("thedrummer/anubis-70b-v1.1", "Anubis 70B V1.1", 131072, 0.4, 0.7, "o", "2025-06-29"),
    ("gryphe/mythomax-l2-13b", "MythoMax 13B", 4096, 0.06, 0.06, "o", "2023-07-02"),
    ("undi95/remm-slerp-l2-13b", "ReMM SLERP 13B", 6144, 0.45, 0.65, "o", "2023-07-22"),
    ("alpindale/goliath-120b", "Goliath 120B", 6144, 4, 5.5, "o", "2023-11-10"),
    ("neversleep/noromaid-20b", "Noromaid 20B", 4096, 1, 1.75, "o", "2023-11-26"),
    ("neversleep/llama-3.1-lumimaid-8b", "Lumimaid v0.2 8B", 32768, 0.09, 0.6, "o", "2024-09-15"),
    ("mancer/weaver", "Weaver (alpha)", 8000, 1.125, 1.125, "o", "2023-08-02"),
    ("eleutherai/llemma_7b", "Llemma 7b", 4096, 0.8, 1.2, "o", "2024-04-14"),
)

_ORGS = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "meta-llama": "Meta",
    "mistralai": "Mistral",
    "qwen": "Qwen",
    "deepseek": "DeepSeek",
    "x-ai": "xAI",
    "cohere": "Cohere",
    "microsoft": "Microsoft",
    "nvidia": "NVIDIA",
    "amazon": "Amazon",
    "moonshotai": "MoonshotAI",
    "z-ai": "Z.AI",
    "minimax": "MiniMax",
    "perplexity": "Perplexity",
    "ai21": "AI21",
    "nousresearch": "Nous",
    "inflection": "Inflection",
    "baidu": "Baidu",
    "tencent": "Tencent",
    "thudm": "THUDM",
    "liquid": "Liquid",
    "ibm-granite": "IBM",
    "arcee-ai": "Arcee AI",
    "allenai": "AllenAI",
    "bytedance": "ByteDance",
    "inception": "Inception",
    "cognitivecomputations": "Dolphin",
    "sao10k": "Sao10K",
    "thedrummer": "TheDrummer",
    "gryphe": "MythoMax",
    "undi95": "ReMM",
    "alpindale": "Goliath",
    "neversleep": "NeverSleep",
    "mancer": "Mancer",
    "eleutherai": "EleutherAI",
    "sim": "Simulator",
}

_TOKENIZERS = {
    "openai": "GPT",
    "anthropic": "Claude",
    "google": "Gemini",
    "meta-llama": "Llama3",
    "qwen": "Qwen3",
    "mistralai": "Mistral",
    "deepseek": "DeepSeek",
    "x-ai": "Grok",
    "cohere": "Cohere",
    "nvidia": "Llama3",
    "amazon": "Nova",
    "nousresearch": "Llama3",
    "sao10k": "Llama3",
    "thedrummer": "Mistral",
}

# Seeded community fine-tunes that fill the catalog beyond the known models.
_COMMUNITY_AUTHORS = (
    "thedrummer",
    "sao10k",
    "nousresearch",
    "neversleep",
    "cognitivecomputations",
    "arcee-ai",
    "allenai",
    "undi95",
    "gryphe",
    "eleutherai",
    "mancer",
    "alpindale",
)
_COMMUNITY_BASES = (
    ("llama-3.1", "Llama 3.1"),
    ("llama-3.3", "Llama 3.3"),
    ("mistral-nemo", "Nemo"),
    ("qwen-2.5", "Qwen2.5"),
    ("qwen3", "Qwen3"),
    ("gemma-3", "Gemma 3"),
    ("mistral-small", "Mistral Small"),
    ("phi-4", "Phi 4"),
)
_COMMUNITY_SIZES = (3, 7, 8, 12, 14, 22, 24, 27, 32, 70, 72)
_COMMUNITY_STYLES = (
    ("instruct", "Instruct"),
    ("chat", "Chat"),
    ("roleplay", "Roleplay"),
    ("coder", "Coder"),
    ("reasoner", "Reasoner"),
    ("storyteller", "Storyteller"),
    ("uncensored", "Uncensored"),
    ("math", "Math"),
)
_COMMUNITY_CAPACITY = (
    len(_COMMUNITY_AUTHORS) * len(_COMMUNITY_BASES) * len(_COMMUNITY_SIZES) * len(_COMMUNITY_STYLES)
)
_SEED = 20250417
_EPOCH_START = int(datetime(2023, 1, 15, tzinfo=UTC).timestamp())
_EPOCH_END = int(datetime(2026, 6, 30, tzinfo=UTC).timestamp())


def build_catalog(size: int = 320) -> list[dict]:
    """Return ``size`` model records in the ``GET /models`` shape, newest first, identical on every run."""
    rows = [_known_row(entry) for entry in _KNOWN]
    rows += [_free_row(row) for row in rows if "f" in row["flags"]]
    if size > len(rows) + _COMMUNITY_CAPACITY:
        raise ValueError(f"catalog size {size} is over the maximum {len(rows) + _COMMUNITY_CAPACITY}")
    rows += _community_rows(max(0, size - len(rows)))
    models = [_model(row) for row in rows[:size]]
    return sorted(models, key=lambda model: (-model["created"], model["id"]))


def scripted_model(model_id: str) -> dict:
    """A catalog record for a scripted model that the catalog lacks, priced like a cheap model."""
    free = model_id.endswith(":free")
    slug = model_id.split("/", 1)[-1].removesuffix(":free")
    return _model(
        {
            "id": model_id,
            "name": slug.replace("-", " ").title() + (" (free)" if free else ""),
            "context": 131072,
            "prompt": 0 if free else 0.1,
            "completion": 0 if free else 0.4,
            "flags": "t",
            "created": _EPOCH_END,
        }
    )


def per_token(usd_per_million: float) -> str:
    """USD per million tokens as OpenRouter's per-token decimal string ("0.0000025")."""
    value = Decimal(str(usd_per_million)) / 1_000_000
    return "0" if value == 0 else format(value.normalize(), "f")


def _timestamp(day: str, key: str) -> int:
    # A stable time of day per model keeps models released on one date in a fixed order.
    midnight = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return int(midnight.timestamp()) + zlib.crc32(key.encode()) % 86400


def _known_row(entry: tuple[str, str, int, float, float, str, str]) -> dict:
    model_id, name, context, prompt, completion, flags, day = entry
    return {
        "id": model_id,
        "name": name,
        "context": context,
        "prompt": prompt,
        "completion": completion,
        "flags": flags,
        "created": _timestamp(day, model_id),
    }


def _free_row(row: dict) -> dict:
    return {
        **row,
        "id": row["id"] + ":free",
        "name": row["name"] + " (free)",
        "prompt": 0,
        "completion": 0,
        "flags": row["flags"].replace("f", ""),
        "canonical": row["id"],
    }


def _community_rows(count: int) -> list[dict]:
    rng = random.Random(_SEED)
    rows: list[dict] = []
    seen: set[str] = set()
    while len(rows) < count:
        author = rng.choice(_COMMUNITY_AUTHORS)
        (base, base_name), size = rng.choice(_COMMUNITY_BASES), rng.choice(_COMMUNITY_SIZES)
        style, style_name = rng.choice(_COMMUNITY_STYLES)
        model_id = f"{author}/{base}-{size}b-{style}"
        if model_id in seen:
            continue
        seen.add(model_id)
        prompt = round(10 ** rng.uniform(-1.7, 0.3), 3)
        rows.append(
            {
                "id": model_id,
                "name": f"{base_name} {size}B {style_name}",
                "context": rng.choice((4096, 8192, 16384, 32768, 65536, 131072)),
                "prompt": prompt,
                "completion": round(prompt * rng.choice((1, 1.5, 2, 3, 4)), 3),
                "flags": "o" + ("v" if rng.random() < 0.15 else "") + ("t" if rng.random() < 0.4 else ""),
                "created": rng.randint(_EPOCH_START, _EPOCH_END),
            }
        )
    return rows


def _model(row: dict) -> dict:
    model_id, flags, context = row["id"], row["flags"], row["context"]
    author = model_id.split("/", 1)[0]
    canonical = row.get("canonical", model_id)
    canonical_slug = f"{canonical}-{datetime.fromtimestamp(row['created'], UTC):%Y%m%d}"
    free_suffix = ":free" if model_id.endswith(":free") else ""
    vision = "v" in flags
    inputs = ["text", "image"] if vision else ["text"]
    return {
        "id": model_id,
        "canonical_slug": canonical_slug,
        "hugging_face_id": canonical if "o" in flags else "",
        "name": f"{_ORGS.get(author, author.title())}: {row['name']}",
        "created": row["created"],
        "description": _description(row, author),
        "context_length": context,
        "architecture": {
            "modality": "text+image->text" if vision else "text->text",
            "input_modalities": inputs,
            "output_modalities": ["text"],
            "tokenizer": _TOKENIZERS.get(author, "Other"),
            "instruct_type": "chatml" if "o" in flags else None,
        },
        "pricing": _pricing(row, author),
        "top_provider": {
            "context_length": context,
            "max_completion_tokens": min(context // 4, 65536) if "o" not in flags else None,
            "is_moderated": author in ("openai", "anthropic"),
        },
        "per_request_limits": None,
        "supported_parameters": _parameters(flags),
        "default_parameters": {},
        "expiration_date": None,
        # A free variant shares its model's canonical slug; the suffix keeps its endpoints apart.
        "links": {"details": f"/api/v1/models/{canonical_slug}{free_suffix}/endpoints"},
    }


def _pricing(row: dict, author: str) -> dict[str, str]:
    prompt, completion = row["prompt"], row["completion"]
    pricing = {"prompt": per_token(prompt), "completion": per_token(completion)}
    if prompt == 0:
        return pricing
    if author == "perplexity":
        pricing["request"] = "0.005"
    if "v" in row["flags"] and author in ("openai", "anthropic"):
        pricing["image"] = per_token(prompt * 1445)
    if "r" in row["flags"] and author in ("openai", "google", "x-ai"):
        pricing["internal_reasoning"] = per_token(completion)
    if author in ("openai", "anthropic", "google", "deepseek", "x-ai"):
        pricing["input_cache_read"] = per_token(prompt / 10)
    if author == "anthropic":
        pricing["input_cache_write"] = per_token(prompt * 1.25)
    return pricing


def _parameters(flags: str) -> list[str]:
    names = {"max_tokens", "temperature", "top_p", "stop", "seed", "frequency_penalty", "presence_penalty"}
    if "o" in flags:
        names |= {"top_k", "min_p", "repetition_penalty", "logit_bias"}
    if "t" in flags:
        names |= {"tools", "tool_choice", "response_format", "structured_outputs"}
    if "r" in flags:
        names |= {"reasoning", "include_reasoning"}
    return sorted(names)


def _description(row: dict, author: str) -> str:
    flags = row["flags"]
    kind = "reasoning" if "r" in flags else "multimodal" if "v" in flags else "language"
    phrase = ("open-weight " if "o" in flags else "") + kind
    article = "an" if phrase[0] in "aeiou" else "a"
    released = datetime.fromtimestamp(row["created"], UTC)
    features = [text for flag, text in (("t", "tool calling"), ("v", "image input")) if flag in flags]
    sentence = f" It supports {' and '.join(features)}." if features else ""
    return (
        f"{row['name']} is {article} {phrase} model from {_ORGS.get(author, author)}, released in "
        f"{released:%B %Y}, with a {row['context']:,}-token context window.{sentence}"
    )
