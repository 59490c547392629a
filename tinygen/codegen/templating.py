"""The Jinja2 environment every generated file is rendered with (templates/ in the
package): strict about undefined names, no HTML escaping, whitespace as written.

One environment per process: Jinja2 keeps the templates it compiled in the environment that
loaded them, and a project's files took ~75 ms of lexing, parsing and compiling the same
templates again each time a new environment was made (every build, and every fit check's
flash probe). The loader still checks each template file's modification time when it is
asked for, so an edited template is read again."""

from __future__ import annotations

import functools

import jinja2

from tinygen.resources import data_dir


@functools.lru_cache(maxsize=None)
def template_env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False,
    )


__all__ = ["template_env"]
