"""The Jinja environment the mail templates render in (gateway.outgoing.render).

Jinja's own, with per-render costs taken out and the output unchanged: the runner
renders a confirmation and a notice for every new ticket, each of them some eight
template contexts.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import jinja2

# What `getattr` finds on a dict: the names of dict's and object's attributes (a dict has
# no instance attributes of its own).
_DICT_ATTRIBUTES = frozenset(dir(dict))


class TemplateEnvironment(jinja2.Environment):
    """Jinja's environment with three per-render costs taken out, the output the same.

    A notice is some eight template contexts (one per template and include), rendered
    for every mail the runner queues:
    - `x.name` on a plain dict is its key without an exception first. Jinja tries
      `getattr` and falls back to the item: on the dicts every context is made of
      (ticket, message, card...) that raised an AttributeError for each `ticket.tag`,
      some fifty a notice. A name that is one of dict's own attributes (`items`,
      `keys`, ...) keeps resolving to it, as in Jinja.
    - A template's globals are a plain dict, not Jinja's ChainMap over the
      environment's: every context copies them twice, and a ChainMap is several times
      slower to iterate. The Renderer sets the environment's globals once, before it
      loads any template, and never changes them (a template's own stay its own).
    - An include finds its template in a dict kept by the environment instead of the
      loader's LRU cache (whose look-up moves the key in a deque). Templates are never
      reloaded by Jinja (`auto_reload=False`): the Renderer drops the whole environment
      when a file under a templates folder changes.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._loaded: dict[tuple[str, str | None], jinja2.Template] = {}

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}

    def get_template(
        self,
        name: str | jinja2.Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        if globals or not isinstance(name, str):
            return super().get_template(name, parent, globals)
        found = self._loaded.get((name, parent))
        if found is None:
            found = self._loaded[name, parent] = super().get_template(name, parent)
        return found

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)
