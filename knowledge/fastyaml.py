"""The YAML loader every reader here uses: libyaml's safe loader where PyYAML was built with
it (about twenty times faster than the pure-Python one), else the pure-Python safe loader.

A module of its own so that the search, which must not depend on the exchange format
(`knowledge.content`), reads its data files with the same loader."""

from typing import Any

import yaml

FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
