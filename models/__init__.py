"""The models shipped with zhtext, installed as the package data ``zhtext.models``.

In a source checkout this is the ``models/`` folder; a built wheel carries it
as ``zhtext/models/`` (see ``pyproject.toml``), so every default the command
line relies on works after a plain ``pip install``. Provenance: README.md here.
"""
