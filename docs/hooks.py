"""mkdocs hook: the command-line page is written from the CLI's own --help texts at build time,
so it lists every command and cannot drift from the code."""

from __future__ import annotations

import argparse


def cli_reference() -> str:
    from scheduler.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    out = ["```text", parser.format_help().rstrip(), "```"]
    for name, command in sub.choices.items():
        out += ["", f"## hybridsched {name}", "", "```text", command.format_help().rstrip(), "```"]
    return "\n".join(out)


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 (mkdocs' signature)
    if "<!-- cli-reference -->" in markdown:
        markdown = markdown.replace("<!-- cli-reference -->", cli_reference())
    return markdown
