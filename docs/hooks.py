"""MkDocs hook: the reference pages' generated parts, rendered from the code at build time."""
from linksim.reference import cli_reference, scenario_reference

_GENERATED = {"<!-- linksim:scenario-reference -->": scenario_reference,
              "<!-- linksim:cli-reference -->": cli_reference}


def on_page_markdown(markdown, page, config, files):
    for marker, render in _GENERATED.items():
        if marker in markdown:
            markdown = markdown.replace(marker, render())
    return markdown
