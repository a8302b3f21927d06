"""Print the Markdown table of default keys, generated from the command registry.

python scripts/keys_table.py > keys.md
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.commands import default_registry


def keys_table() -> str:
    """The table: category, command, keys, description."""
    lines = ["| Keys | Command | What it does |", "|---|---|---|"]
    registry = default_registry()
    for category in registry.categories():
        lines.append(f"| **{category}** | | |")
        for c in registry:
            if c.category != category:
                continue
            keys = " / ".join(f"`{k}`" for k in c.keys) or "(palette)"
            lines.append(f"| {keys} | {c.title} | {c.description.replace('|', '/')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(keys_table())
