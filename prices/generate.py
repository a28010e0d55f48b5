#!/usr/bin/env python3
"""Regenerate prices/prices.json, the list-price table shipped inside session-export.

    python3 prices/generate.py                      # pip-downloads the pinned litellm wheel
    python3 prices/generate.py --wheel litellm.whl  # or reads a wheel already downloaded
    python3 prices/generate.py --version 1.111.0    # another litellm release

The source is LiteLLM's `model_prices_and_context_window_backup.json`, read from the litellm
wheel on PyPI (`pip download --no-deps litellm==VERSION`). Only chat models of the providers
opencode users reach are kept, under opencode's provider ids (models.dev's), with the four
prices opencode itself uses (models.dev's `cost.input`, `cost.output`, `cost.cache_read`,
`cost.cache_write`), in USD per million tokens; `reasoning` only where the source prices
reasoning apart from output, `context_over_200k` where the price changes past 200k tokens of
context. Subscription providers (GitHub Copilot, ChatGPT, OpenCode Go) are left out on purpose:
what they bill is not a list price, and session-export prices their usage at the model's maker.

The snapshot date written into the file is the day the table was taken (today, UTC, unless
--date says otherwise): the wheel carries no date of its own.
"""

import argparse
import datetime
import hashlib
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

VERSION = "1.110.2"
MEMBER = "litellm/model_prices_and_context_window_backup.json"
OUT = pathlib.Path(__file__).resolve().parent / "prices.json"

# LiteLLM's provider -> opencode's (models.dev's) provider id.
PROVIDERS = {
    "anthropic": "anthropic",
    "openai": "openai",
    "gemini": "google",
    "vertex_ai-language-models": "google-vertex",
    "vertex_ai-anthropic_models": "google-vertex-anthropic",
    "bedrock": "amazon-bedrock",
    "bedrock_converse": "amazon-bedrock",
    "azure": "azure",
    "xai": "xai",
    "deepseek": "deepseek",
    "mistral": "mistral",
    "groq": "groq",
    "together_ai": "togetherai",
    "fireworks_ai": "fireworks-ai",
    "deepinfra": "deepinfra",
    "cerebras": "cerebras",
    "moonshot": "moonshotai",
    "zai": "zai",
    "minimax": "minimax",
    "dashscope": "alibaba",
    "vercel_ai_gateway": "vercel",
}

# Bedrock's cross-region ids (us., eu., global., ...) are left out: opencode names the model
# without them, and they cost the same or a regional uplift the table does not try to carry.
REGION_PREFIXES = ("us.", "eu.", "apac.", "au.", "jp.", "global.", "us-gov.", "ca.", "ap.")

MODES = {"chat", "responses", "completion"}


def per_million(per_token):
    """USD per token -> USD per million tokens, without float noise (1e-07 * 1e6)."""
    return float(f"{per_token * 1_000_000:.10g}")


def prices(entry, suffix=""):
    """The prices an entry gives (reasoning only when set apart from output)."""
    keys = {
        "input": "input_cost_per_token",
        "output": "output_cost_per_token",
        "cache_read": "cache_read_input_token_cost",
        "cache_write": "cache_creation_input_token_cost",
        "reasoning": "output_cost_per_reasoning_token",
    }
    out = {}
    for name, key in keys.items():
        value = entry.get(key + suffix)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            out[name] = per_million(value)
    if out.get("reasoning") == out.get("output"):
        out.pop("reasoning", None)
    return out


def model_id(key, provider):
    """The model part of a LiteLLM key: its provider prefix dropped."""
    prefix = {
        "vertex_ai-anthropic_models": "vertex_ai/",
        "vertex_ai-language-models": "vertex_ai/",
        "bedrock_converse": "bedrock/",
    }.get(provider, provider + "/")
    return key[len(prefix) :] if key.startswith(prefix) else key


def table(source):
    models = {}
    for key, entry in source.items():
        if not isinstance(entry, dict) or entry.get("mode") not in MODES:
            continue
        provider = entry.get("litellm_provider")
        if provider not in PROVIDERS:
            continue
        model = model_id(key, provider)
        # Region-, deployment- or account-specific ids (bedrock/us-gov-west-1/...,
        # azure/eu/...) are not ids opencode shows.
        if "/" in model and provider in ("azure", "bedrock", "bedrock_converse"):
            continue
        if model.startswith(REGION_PREFIXES):
            continue
        cost = prices(entry)
        if "input" not in cost or "output" not in cost:
            continue
        over = prices(entry, "_above_200k_tokens")
        if over:
            # Past 200k tokens of context, a price the tier does not change stays the base one.
            cost["context_over_200k"] = {**cost, **over}
        models.setdefault(f"{PROVIDERS[provider]}/{model}", cost)
    return dict(sorted(models.items()))


def download(version, into):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", f"litellm=={version}", "-d", into],
        check=True,
    )
    wheels = sorted(pathlib.Path(into).glob(f"litellm-{version}-*.whl"))
    if not wheels:
        sys.exit(f"pip download left no litellm-{version} wheel in {into}")
    return wheels[0]


def write(path, header, models):
    """One model a line: small diffs when the table is refreshed."""
    lines = ["{"]
    for k, v in header.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v)},")
    lines.append('  "models": {')
    rows = [f"    {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in models.items()]
    lines.append(",\n".join(rows))
    lines.append("  }")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", default=VERSION, help=f"litellm release to read [default: {VERSION}]")
    ap.add_argument("--wheel", type=pathlib.Path, help="a litellm wheel already downloaded")
    ap.add_argument("--date", help="snapshot date to record, YYYY-MM-DD [default: today, UTC]")
    ap.add_argument("--out", type=pathlib.Path, default=OUT, help=f"[default: {OUT}]")
    args = ap.parse_args()
    date = args.date or datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    datetime.date.fromisoformat(date)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download(args.version, tmp)
        data = wheel.read_bytes()
        with zipfile.ZipFile(wheel) as z:
            source = json.loads(z.read(MEMBER))
    version = wheel.name.split("-")[1]
    models = table(source)
    header = {
        "source": f"LiteLLM {version}: {MEMBER} in the PyPI wheel {wheel.name}",
        "sha256": hashlib.sha256(data).hexdigest(),
        "snapshot": date,
        "unit": "USD per million tokens",
    }
    write(args.out, header, models)
    print(f"{args.out}: {len(models)} models from litellm {version}, snapshot {date}")


if __name__ == "__main__":
    main()
