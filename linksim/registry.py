"""Registries: scenario nodes ``{type: name, ...params}`` -> objects.

One :class:`Registry` per kind (codecs, later importance maps, channels). An
entry pairs a factory with a frozen config dataclass; :meth:`Registry.build`
validates the node's parameters against that dataclass (unknown keys, wrong
types and out-of-range values raise :class:`~linksim.errors.ConfigError`)
and calls the factory with the config object.
"""
from __future__ import annotations

import importlib

from .errors import ConfigError


class Registry:
    """Name -> (factory, config class) for one kind of pluggable block.

    Args:
        kind: what the entries are ("codec"), for messages.
        package: the package whose import registers every entry; imported on
            the first look-up, so callers never import it for its side effect.
    """

    def __init__(self, kind: str, package: str):
        self.kind, self.package = kind, package
        self._entries = {}
        self._loaded = False

    def _load(self):
        if not self._loaded:
            self._loaded = True
            importlib.import_module(self.package)

    def register(self, name: str, config_cls):
        """Class decorator: ``@CODECS.register("bpg_ldpc", BpgLdpcConfig)``."""
        def wrap(factory):
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' registered twice")
            if any(cls is config_cls for _, cls in self._entries.values()):
                raise ValueError(f"{self.kind} '{name}': {config_cls.__name__} already configures another entry")
            self._entries[name] = (factory, config_cls)
            return factory
        return wrap

    def names(self):
        self._load()
        return sorted(self._entries)

    def config_class(self, name: str, where: str = ""):
        self._load()
        if name not in self._entries:
            raise ConfigError(f"{where or self.kind}: unknown {self.kind} type '{name}'; "
                              f"allowed: {', '.join(self.names())}")
        return self._entries[name][1]

    def parse(self, node, where: str):
        """Validate a ``{type: name, ...}`` node into its frozen config object."""
        from .config import from_mapping, show
        if not isinstance(node, dict) or "type" not in node:
            raise ConfigError(f"{where}: expected a mapping with a 'type' key "
                              f"(one of {', '.join(self.names())}), got {show(node)}")
        params = {k: v for k, v in node.items() if k != "type"}
        return from_mapping(self.config_class(node["type"], where), params, where)

    def build(self, config):
        """Instantiate the block described by a config object made by :meth:`parse`."""
        self._load()
        for factory, cls in self._entries.values():
            if type(config) is cls:
                return factory(config)
        raise ConfigError(f"no {self.kind} is configured by {type(config).__name__}")


CODECS = Registry("codec", "linksim.codecs")
