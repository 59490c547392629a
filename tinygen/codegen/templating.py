"""The Jinja2 environment every generated file is rendered with (templates/ in the
package): strict about undefined names, no HTML escaping, whitespace as written."""

from __future__ import annotations

import jinja2

from tinygen.resources import data_dir


def template_env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False,
    )


__all__ = ["template_env"]
